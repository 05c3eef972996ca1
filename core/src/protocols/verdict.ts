/** What the engine tells the bus about one routed message. */
import type { AclMessage } from '../acl/message.js';
import type { ProtocolViolation } from './errors.js';
import type { ProtocolName } from './names.js';

/** The conversation a message was judged in, for logs and span attributes. */
export interface ConversationStatus {
  readonly protocol: ProtocolName;
  readonly conversationId: string | undefined;
  readonly initiator: string;
  /** The conversation has ended (this message may be the one that ended it). */
  readonly ended: boolean;
}

export type ProtocolVerdict =
  /** Route the message to its receivers. No `conversation` means it was not policed. */
  | { readonly kind: 'deliver'; readonly conversation?: ConversationStatus }
  /**
   * Do not deliver. Send `reply` (from the platform identity, to the offending sender or its
   * reply-to) instead: not-understood for a protocol violation, reject-proposal for a late
   * proposal, failure when the runtime cannot take on another conversation.
   */
  | {
      readonly kind: 'reject';
      readonly reply: AclMessage;
      readonly reason: string;
      readonly error: ProtocolViolation;
      readonly conversation?: ConversationStatus;
    };
