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
/**
 * Who sends. `toActivation` (the platform's own answers, e.g. an HTTP call's, decision 2163): the
 * receivers are activation ids, a worker's `X#r<k>` included, written to as named, not chosen again.
 */
export type Origin =
  | { agent: string; checked?: boolean }
  | { external: AgentId; lane?: EdgeLane; admitted?: boolean; toActivation?: boolean };

export interface OutboxSender {
  /**
   * Send a message. Resolves once the deliveries are durable. An outside sender gets typed errors
   * (unknown receiver, full mailbox); an agent gets `failure` messages back instead.
   */
  send(message: AclMessage, origin: Origin, messageId?: string): Promise<SendResult>;
  /**
   * Optional (decision 2118): an agent's send whose whole outcome is its log append — every
   * delivery queued, before this returns, in the call order of a log that commits in that order
   * (`MessageLog.appendInOrder`), and nothing left to do after it: no topic resolved first, no
   * refusal (whose failure reply would be appended later), no receiver on another platform
   * (forwarded after the append). Then it returns undefined, anything queued in the log after the
   * call becomes durable only with these deliveries (and fails with them), and `done` is called
   * once, from the log's callback, with the append's outcome (undefined when durable, else the
   * error) and the sending agent, after the send's own bookkeeping. Otherwise it returns what `send`
   * would, and `done` is never called. `done` must not throw.
   */
  sendInOrder?(
    message: AclMessage,
    origin: { agent: string; checked?: boolean },
    messageId: string | undefined,
    done: (error: unknown, agent: string) => void,
  ): Promise<SendResult> | undefined;
  /** Messages the platform sends (failures, not-understood, deadline failures). */
  sendPlatformReplies(replies: AclMessage[]): Promise<void>;
  /** The failure the platform sends when handling `delivery` failed for good. */
  failureFor(delivery: Delivery, reason: string, kind: string): AclMessage;
  /** The failure an agent gets when the bus refused a message from its outbox. */
  refusalFor(agent: string, message: AclMessage, reason: string): AclMessage;
}
