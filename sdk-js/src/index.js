// @caxton/sdk-js: helpers for Caxton agents written in JavaScript. See docs/writing-agents.md.
export { defineAgent, self, configValue } from './agent.js';
export {
  send, log, now, newId, setTimer, registerService, deregisterService, searchServices, HostError,
} from './host.js';
// Reading HTTP responses needs no WIT import; making calls does: '@caxton/sdk-js/http' (and state:
// '@caxton/sdk-js/state'), so an agent imports only the interfaces it uses.
export { httpResponse, isHttpResponse, httpAgentName } from './http-response.js';
export { PERFORMATIVES, agentId, message, param, setParam, isExpired, receiverCount } from './message.js';
export {
  createReply, reply, initiate, agree, refuse, informDone, informResult, failure, notUnderstood,
} from './reply.js';
export { ContractNetInitiator, bestProposal, propose, CONTRACT_NET } from './protocols/contract-net.js';
export { SubscriptionTable, subscribe, unsubscribe, SUBSCRIBE } from './protocols/subscribe.js';
export { request, queryRef, queryIf, REQUEST, QUERY } from './protocols/request.js';
