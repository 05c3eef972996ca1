/**
 * What running an agent's work means to every layer that touches it: the sandbox produces these,
 * the bus and the node consume them. One definition each (before, the sandbox and the bus each had
 * their own copy of CrashKind and of the log line's level, and the message travelled in a
 * sandbox-only `Work` reshaping of the bus's delivery; see docs/walks.md).
 */
import type { AclMessage } from '../acl/message.js';

/** Why an instance crashed. Everything but `unavailable` counts against the restart policy. */
export type CrashKind =
  | 'out-of-fuel'
  | 'out-of-memory'
  | 'trap'
  | 'stack-overflow'
  | 'malformed-result'
  | 'timeout'
  /** Not the agent's fault: its shard was reset because another agent timed out; retry it. */
  | 'unavailable';

/**
 * One message accepted for one receiver: the unit the message log stores, the mailbox queues and the
 * sandbox runs. The message itself is the validated AclMessage, never copied into another shape.
 */
export interface Delivery {
  /** Unique delivery id (message id + receiver), the unit of dedup and completion. */
  id: string;
  /** Id of the message as sent (shared by all deliveries of a multi-receiver message). */
  messageId: string;
  /** Name of the receiving agent (the mailbox this delivery goes to, and the Kafka key). */
  receiver: string;
  message: AclMessage;
  /** Accepted at, ms since epoch (host clock). */
  acceptedAt: number;
}
