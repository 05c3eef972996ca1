/** The node's outbound HTTP gateway (decision 1601). */
export { HttpGateway, answerMessageId, type HttpGatewayEvent, type HttpGatewayOptions, type HttpRequestEvent } from './gateway.js';
export { EgressGate, type EgressHold } from './egress-hold.js';
export { classifyAddress, decideAddress, judgeAddress, type AddressClass, type AddressVerdict } from './address-guard.js';
export { planRedirect, redirectMethod } from './redirects.js';
export {
  HTTP_POLICY_MAXIMA,
  nodeDefaultHttpPolicy,
  resolveHttpPolicy,
  normaliseRuleHost,
  checkPem,
  type HttpPolicyInput,
} from './policy.js';
export { parseAllowHttpFlag } from './allow-flag.js';
export { PENDING_CALL_PREFIX, pendingCallKey } from './pending-calls.js';
