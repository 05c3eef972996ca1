// @caxton/sdk-assemblyscript: write Caxton agents in AssemblyScript.
//
//   import { Agent, AclMessage, Performative, register, reply } from "@caxton/sdk-assemblyscript";
//   class Echo extends Agent {
//     onMessage(msg: AclMessage): void { reply(msg, Performative.Inform, msg.content); }
//   }
//   register(new Echo());
//   export * from "@caxton/sdk-assemblyscript/exports";
// The toolchain points AssemblyScript's abort/seed hooks at these (`--use abort=…`); importing them
// here puts them in every program that uses the SDK, even one that forgot the exports line, so
// the build can report that mistake clearly instead of failing on a missing hook.
import "./abi/abort";
import "./abi/seed";

export { Performative, LogLevel, performativeName, parsePerformative } from "./performative";
export { AclMessage, AgentId, KeyValue, ServiceDescription, InitContext } from "./types";
export { Agent, register } from "./agent";
export { self, fail } from "./context";
export {
  send, log, trace, debug, info, warn, error, now, newId, setTimer,
  registerService, deregisterService, searchServices,
} from "./host";
export { State, StateError, StateErrorKind, stateErrorKindName } from "./state";
export { Topics, TopicError, TopicErrorKind, topicErrorKindName } from "./topics";
export {
  MessageInfo, MessageInfoError, MessageInfoErrorKind, messageInfoErrorKindName, ReceiversPage,
  RECEIVER_COUNT_PARAM, MAX_RECEIVERS_PAGE,
} from "./message-info";
export {
  Http, HttpRequest, HttpError, HttpErrorKind, httpErrorKindName, FetchResult, HttpResponse,
  httpResponse, isHttpResponse, httpAgentName,
} from "./http";
export {
  A2a, A2aCall, A2aSent, A2aError, A2aErrorKind, a2aErrorKindName, A2aResult, A2aResponse, a2aResponse,
} from "./a2a";
export {
  createReply, reply, initiate, agree, refuse, informDone, informResult, failure, notUnderstood,
  isExpired,
} from "./reply";
export {
  ContractNetInitiator, CfpRound, RoundState, CnetEvent, bestProposal, propose, CONTRACT_NET,
} from "./protocols/contract-net";
export { SubscriptionTable, subscribe, unsubscribe, SUBSCRIBE } from "./protocols/subscribe";
export { request, queryRef, queryIf, REQUEST, QUERY } from "./protocols/request";
export { Files, FileError, FileText, DirEntry, DirList, Errno } from "./files";
