/**
 * How the dispatch loop's applier sends what handling produced: the bus's own send path, seen
 * through the four operations it needs (so the loop depends on this interface, not on the Bus).
 */
import type { AclMessage, Delivery, SendResult } from '@caxton/core';
import type { Origin } from './origin.js';

export interface OutboxSender {
  send(message: AclMessage, origin: Origin, messageId?: string): Promise<SendResult>;
  sendPlatformReplies(replies: AclMessage[]): Promise<void>;
  failureFor(delivery: Delivery, reason: string, kind: string): AclMessage;
  refusalFor(agent: string, message: AclMessage, reason: string): AclMessage;
}
