/**
 * Everything the agent lifecycle needs from the bus and its dispatcher, behind one small interface:
 * the lifecycle decides when an agent may get work, the bus owns the mailboxes and hands the work
 * out. Keeping it this narrow lets the bus's wiring change (who owns the dispatch loop) without the
 * lifecycle noticing; node.ts builds the one implementation.
 */
import type { AgentBreaker, AgentId, Delivery } from '@caxton/core';
import type { DeadLetter } from '../log/message-log.js';

export interface AgentMessaging {
  /** The agent may have become runnable: hand it its waiting messages. */
  wake(agent: string): void;
  /** Resolves once the agent has no message in hand (the drain before a swap or a stop). */
  idle(agent: string): Promise<void>;
  /** Takes the agent's accepted, unhandled deliveries out of its mailbox (it goes away). */
  forget(agent: string): Delivery[];
  /** Records a delivery nobody will handle. */
  deadLetter(letter: DeadLetter): Promise<void>;
  /**
   * Dead-letters `agent`'s newest waiting deliveries past the first `keep` with `reason`, each
   * sender told (`X-caxton-failure: <kind>`): a refusal after acceptance (decision 2060, activation
   * waits past the cap). Fenced as the bus's absent-queue trim: a delivery whose partition moved is
   * dropped unwritten (the next owner's); one that cannot be written goes back into the mailbox with
   * the rest. Returns how many went. Absent where there is no such bound (one node).
   */
  refuseNewest?(agent: string, keep: number, reason: string, kind: string): Promise<number>;
  /** The platform identity of a local agent name. */
  agentId(name: string): AgentId;
  /** Deliveries waiting in the agent's mailbox on this node. */
  mailboxDepth(name: string): number;
  /** The agent's code was replaced (deploy, upgrade, rollback): what failed before says nothing now (decision 1921). */
  replaced?(name: string): void;
  /** The agent's circuit breaker, when it is not closed (decision 1921). */
  breaker?(name: string): AgentBreaker | undefined;
}

/** Takes `agent`'s waiting deliveries and dead-letters each with `reason`; the first that cannot be written is thrown. */
export async function deadLetterWaiting(
  m: AgentMessaging,
  agent: string,
  reason: string,
  attempts: number,
  now: () => number,
): Promise<void> {
  for (const d of m.forget(agent)) await m.deadLetter({ delivery: d, reason, attempts, at: now() });
}
