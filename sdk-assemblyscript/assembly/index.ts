// @caxton/sdk-assemblyscript: write Caxton agents in AssemblyScript.
//
//   import { Agent, AclMessage, Performative, register, reply } from "@caxton/sdk-assemblyscript";
//   class Echo extends Agent {
//     onMessage(msg: AclMessage): void { reply(msg, Performative.Inform, msg.content); }
//   }
//   register(new Echo());
//   export * from "@caxton/sdk-assemblyscript/exports";
export { Performative, LogLevel, performativeName, parsePerformative } from "./performative";
export { AclMessage, AgentId, KeyValue, ServiceDescription, InitContext } from "./types";
export { Agent, register } from "./agent";
export { self, fail } from "./context";
export {
  send, log, trace, debug, info, warn, error, now, newId, setTimer,
  registerService, deregisterService, searchServices,
} from "./host";
export {
  createReply, reply, initiate, agree, refuse, informDone, informResult, failure, notUnderstood,
  isExpired,
} from "./reply";
export {
  ContractNetInitiator, CfpRound, RoundState, CnetEvent, bestProposal, propose, CONTRACT_NET,
} from "./protocols/contract-net";
export { SubscriptionTable, subscribe, unsubscribe, SUBSCRIBE } from "./protocols/subscribe";
export { request, queryRef, queryIf, REQUEST, QUERY } from "./protocols/request";
