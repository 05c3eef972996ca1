/**
 * Errors of the protocol engine. Violations are not thrown at the bus: they travel inside a
 * `ProtocolVerdict` so the bus can log them (`describe()`) while the runtime answers the offending
 * agent. Only misuse of the engine itself (bad options, a message without a stamped sender) throws.
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '../errors.js';

/** Stable codes; they also travel to agents in the `X-caxton-code` user parameter. */
export const PROTOCOL_ERROR_CODES = {
  /** The act is not allowed in the branch's current phase. */
  outOfSequence: 'protocol.out-of-sequence',
  /** The sender's part of the conversation has already ended (or the whole conversation has). */
  conversationEnded: 'protocol.conversation-ended',
  /** The initiator addressed an agent that is not a participant of the conversation. */
  notParticipant: 'protocol.not-a-participant',
  /** A non-opening act names a conversation the runtime does not know. */
  unknownConversation: 'protocol.unknown-conversation',
  /** The message's `:protocol` differs from the protocol of the conversation it belongs to. */
  protocolMismatch: 'protocol.mismatch',
  /** `:protocol` names a protocol the runtime does not implement (only with `unknownProtocol: 'reject'`). */
  unknownProtocol: 'protocol.unknown',
  /** An opening act reuses the conversation-id of an active conversation of the same initiator. */
  conversationInUse: 'protocol.conversation-in-use',
  /** A contract-net proposal arrived after the cfp's reply-by; the runtime rejected it. */
  lateProposal: 'protocol.late-proposal',
  /** The runtime tracks as many conversations as it is allowed to; the opening act was refused. */
  capacity: 'protocol.capacity',
  /** Engine misuse: invalid tracker options. */
  configInvalid: 'protocol.config-invalid',
  /** A tracker snapshot could not be restored (corrupt, or from an incompatible version). */
  snapshotInvalid: 'protocol.snapshot-invalid',
  /** Engine misuse: the bus observed a message before stamping its sender. */
  senderMissing: 'protocol.sender-missing',
} as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[keyof typeof PROTOCOL_ERROR_CODES];

/**
 * The kind of each protocol code. Violations reach an operator only when a `caxton send` is
 * refused; an unknown conversation is a missing thing, the rest are the runtime's verdict.
 */
export const PROTOCOL_ERROR_KINDS: Readonly<Record<ProtocolErrorCode, ErrorKind>> = Object.freeze({
  'protocol.out-of-sequence': 'internal',
  'protocol.conversation-ended': 'internal',
  'protocol.not-a-participant': 'internal',
  'protocol.unknown-conversation': 'not-found',
  'protocol.mismatch': 'internal',
  'protocol.unknown': 'internal',
  'protocol.conversation-in-use': 'internal',
  'protocol.late-proposal': 'internal',
  'protocol.capacity': 'internal',
  'protocol.config-invalid': 'internal',
  'protocol.snapshot-invalid': 'internal',
  'protocol.sender-missing': 'internal',
});

/** A message broke an interaction protocol (or could not be admitted); carried in a reject verdict. */
export class ProtocolViolation extends CaxtonError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super(code, message, { ...opts, kind: PROTOCOL_ERROR_KINDS[code] });
  }
}

/** The tracker was configured with impossible options. */
export class ProtocolConfigError extends CaxtonError {
  constructor(message: string, hint: string) {
    super(PROTOCOL_ERROR_CODES.configInvalid, message, { kind: PROTOCOL_ERROR_KINDS[PROTOCOL_ERROR_CODES.configInvalid], hint });
  }
}

/** The engine was called in a way its contract forbids (a bug in the caller, not in an agent). */
export class ProtocolUsageError extends CaxtonError {
  constructor(code: ProtocolErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: PROTOCOL_ERROR_KINDS[code] });
  }
}
