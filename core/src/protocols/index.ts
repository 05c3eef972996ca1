/**
 * FIPA interaction protocols enforced by the runtime: pure state machines per protocol and the
 * conversation tracker the bus consults for every routed message. See docs/protocols.md.
 */
export { ConversationTracker, type TrackerStats } from './tracker.js';
export type { ProtocolVerdict, ConversationStatus } from './verdict.js';
export type { ConversationView } from './conversation.js';
export { TRACKER_DEFAULTS, resolveTrackerOptions, type TrackerOptions, type ResolvedTrackerOptions } from './options.js';
export { PROTOCOL_NAMES, toProtocolName, type ProtocolName } from './names.js';
export {
  PROTOCOL_ERROR_CODES,
  PROTOCOL_ERROR_KINDS,
  ProtocolViolation,
  ProtocolConfigError,
  ProtocolUsageError,
  type ProtocolErrorCode,
} from './errors.js';
export {
  START,
  CANCELLING,
  CANCELLED,
  CANCEL_FAILED,
  NOT_UNDERSTOOD,
  TIMED_OUT,
  ABANDONED,
  META_PHASES,
  defineMachine,
  type Role,
  type DeadlineKind,
  type PhaseInfo,
  type AutoAnswer,
  type Rule,
  type RuleSpec,
  type CallPhases,
  type ProtocolMachine,
  type MachineDefinition,
} from './machine.js';
export { step, allowedActs, isFinal, timedOut, INITIAL_STATE, type BranchState, type StepContext, type StepOutcome } from './step.js';
export {
  PROTOCOL_MACHINES,
  fipaRequest,
  fipaQuery,
  fipaRequestWhen,
  fipaSubscribe,
  fipaPropose,
  fipaContractNet,
  fipaIteratedContractNet,
} from './machines/index.js';
export {
  CAXTON_EVENT_PARAM,
  CAXTON_CODE_PARAM,
  CAXTON_DEADLINE_PARAM,
  CAXTON_PARTICIPANT_PARAM,
  CAXTON_ON_BEHALF_OF_PARAM,
  CALL_SUMMARY_LANGUAGE,
  type CaxtonEvent,
  type CallClosedSummary,
} from './replies.js';
export { MAX_REPLY_LINKS_PER_CONVERSATION, type ReplyLink } from './correlation.js';
export {
  TRACKER_SNAPSHOT_VERSION,
  type TrackerSnapshot,
  type ConversationSnapshot,
  type BranchSnapshot,
} from './snapshot.js';
