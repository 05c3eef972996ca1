/**
 * How the dispatch loop sends what handling produced: the bus's own send path. The bus implements
 * it (`Bus implements OutboxSender`) and hands itself to the loop it creates; the loop sees only
 * this, so dispatch-loop.ts does not import bus.ts (decision 1702).
 */
import type { AclMessage, AgentId, Delivery, SendResult } from '@caxton/core';
import type { EdgeLane } from './edge-admission.js';

/**
 * Who is sending: a deployed agent (sender is stamped from it) or an outside client.
 * `checked`: the message was validated where it entered, against the bus's own limits (an agent's
 * outbox is checked by the sandbox's `send` host call); the bus then checks only the addresses it
 * rewrote, so a message is validated once, not once per hop (decision 1201).
 * `lane`: an outside sender is a client unless the API says it is the operator, whose probes may
 * use the reserve above the edge admission limit (decision 1810); `admitted`: the send was admitted
 * at the edge already (`Bus.admitOutside`, ahead of the audit trail) and holds its ticket.
 */
export type Origin = { agent: string; checked?: boolean } | { external: AgentId; lane?: EdgeLane; admitted?: boolean };

/**
 * Filled in by `send`, synchronously, before it returns its promise (decision 2111). `inOrder` is
 * set true only when the send's whole outcome is its log append: every delivery was queued in the
 * log's call order (`MessageLog.appendInOrder`) during the call, and nothing is left to do after it
 * but wait for that append — no topic resolved first, no refusal (whose failure reply would be
 * appended later), no receiver on another platform (forwarded after the append). Then anything
 * queued in the log after the call becomes durable only with the send's deliveries, and fails
 * with them. The caller resets it before each call; a sender that does not know leaves it false.
 */
export interface SendQueued {
  inOrder: boolean;
}

export interface OutboxSender {
  /**
   * Send a message. Resolves once the deliveries are durable. An outside sender gets typed errors
   * (unknown receiver, full mailbox); an agent gets `failure` messages back instead. `queued`, when
   * given, is filled in before this returns (above).
   */
  send(message: AclMessage, origin: Origin, messageId?: string, queued?: SendQueued): Promise<SendResult>;
  /** Messages the platform sends (failures, not-understood, deadline failures). */
  sendPlatformReplies(replies: AclMessage[]): Promise<void>;
  /** The failure the platform sends when handling `delivery` failed for good. */
  failureFor(delivery: Delivery, reason: string, kind: string): AclMessage;
  /** The failure an agent gets when the bus refused a message from its outbox. */
  refusalFor(agent: string, message: AclMessage, reason: string): AclMessage;
}
