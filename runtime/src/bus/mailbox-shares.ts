/**
 * Per-sender shares of every mailbox (issue 25). One capacity check per mailbox let a single agent
 * sending as fast as its quotas allow keep a neighbour's mailbox full, so every other sender —
 * operators' probes included — was refused. Now:
 *
 * - an agent may hold at most `share` of one receiver's slots (waiting, being completed, or being
 *   appended), so it takes its own messages' room, never the room of others;
 * - agents together may fill a mailbox only up to `capacity - reserve`: the last `reserve` slots
 *   are kept for the operator and the platform (failures, deadline replies), which therefore
 *   always have room while no outside client floods it.
 *
 * Pure bookkeeping, no I/O: counts per (receiver, sender), kept in step by the bus's send path
 * (reserve/release around an append) and by the mailboxes (accept/finish/forget).
 */

/** The default share of one sender in one mailbox: a quarter of its capacity. */
export const DEFAULT_SENDER_SHARE = 0.25;
/** The default room kept for the operator and the platform: a tenth of the capacity. */
export const DEFAULT_OPERATOR_RESERVE = 0.1;

export interface ShareLimits {
  /** Slots one agent sender may hold in one mailbox. */
  perSender: number;
  /** Slots all agent senders together may hold in one mailbox (capacity less the operator's reserve). */
  agentsTotal: number;
}

export function shareLimits(capacity: number, share = DEFAULT_SENDER_SHARE, reserve = DEFAULT_OPERATOR_RESERVE): ShareLimits {
  const kept = Math.min(capacity - 1, Math.max(1, Math.floor(capacity * reserve)));
  const agentsTotal = Math.max(1, capacity - kept);
  return { perSender: Math.max(1, Math.min(agentsTotal, Math.floor(capacity * share))), agentsTotal };
}

/** Why an agent's send to a receiver is not admitted. */
export type ShareVerdict = 'ok' | 'sender-share' | 'agents-full';

export class MailboxShares {
  /** receiver → sender → slots held (queued, completing or being appended). Nested: no key strings per message. */
  private readonly held = new Map<string, Map<string, number>>();
  /** receiver → slots held by agent senders together. */
  private readonly agentsHeld = new Map<string, number>();
  /**
   * Senders known to be agents (their deliveries count against `agentsTotal`), while they hold or
   * append something: one holding nothing is forgotten, so a node whose instances of kinds come
   * and go (decision 1980) keeps no entry per instance that ever sent.
   */
  private readonly agentSenders = new Set<string>();
  /** agent sender → slots it holds or is appending, over all receivers. */
  private readonly agentSlots = new Map<string, number>();
  /** receiver → sender → an agent's appends in flight to that receiver (not consumed yet). */
  private readonly appending = new Map<string, Map<string, number>>();

  constructor(readonly limits: ShareLimits) {}

  /**
   * May the agent `sender` take `n` more slots of `receiver`'s mailbox? `limits`: those to apply
   * instead of the mailbox's (an absent receiver's shares are of its absent queue, decision 1990).
   */
  admitAgent(receiver: string, sender: string, n = 1, limits: ShareLimits = this.limits): ShareVerdict {
    if (count(this.held, receiver, sender) + count(this.appending, receiver, sender) + n > limits.perSender) return 'sender-share';
    if ((this.agentsHeld.get(receiver) ?? 0) + n > limits.agentsTotal) return 'agents-full';
    return 'ok';
  }

  /** An agent's append to `receiver` is in flight (counted against its share until it is consumed or fails). */
  reserve(receiver: string, sender: string): void {
    this.agentSenders.add(sender);
    this.slots(sender, 1);
    bump2(this.appending, receiver, sender, 1);
  }

  release(receiver: string, sender: string): void {
    bump2(this.appending, receiver, sender, -1);
    this.slots(sender, -1);
  }

  /** `sender` (an agent or not) now holds one more slot of `receiver`'s mailbox. */
  take(receiver: string, sender: string, isAgent: boolean): void {
    if (isAgent) this.agentSenders.add(sender);
    bump2(this.held, receiver, sender, 1);
    if (this.agentSenders.has(sender)) {
      bump(this.agentsHeld, receiver, 1);
      this.slots(sender, 1);
    }
  }

  /** `sender` gave one slot of `receiver`'s mailbox back. */
  give(receiver: string, sender: string): void {
    bump2(this.held, receiver, sender, -1);
    if (this.agentSenders.has(sender)) {
      bump(this.agentsHeld, receiver, -1);
      this.slots(sender, -1);
    }
  }

  /** The receiver's mailbox went away: its counts go with it. */
  forget(receiver: string): void {
    for (const [sender, n] of this.held.get(receiver) ?? []) this.slots(sender, -n);
    this.agentsHeld.delete(receiver);
    this.held.delete(receiver);
  }

  /** Agent senders remembered now (tests: one holding nothing is not). */
  get agentSenderCount(): number {
    return this.agentSenders.size;
  }

  private slots(sender: string, by: number): void {
    if (!this.agentSenders.has(sender)) return;
    const n = (this.agentSlots.get(sender) ?? 0) + by;
    if (n > 0) {
      this.agentSlots.set(sender, n);
      return;
    }
    this.agentSlots.delete(sender);
    this.agentSenders.delete(sender);
  }

  /** Slots `sender` holds in `receiver`'s mailbox (tests, status). */
  heldBy(receiver: string, sender: string): number {
    return count(this.held, receiver, sender);
  }
}

function count(map: Map<string, Map<string, number>>, receiver: string, sender: string): number {
  return map.get(receiver)?.get(sender) ?? 0;
}

function bump2(map: Map<string, Map<string, number>>, receiver: string, sender: string, by: number): void {
  let inner = map.get(receiver);
  if (inner === undefined) {
    if (by <= 0) return;
    map.set(receiver, (inner = new Map()));
  }
  bump(inner, sender, by);
  if (inner.size === 0) map.delete(receiver);
}

function bump(map: Map<string, number>, k: string, by: number): void {
  const next = (map.get(k) ?? 0) + by;
  if (next <= 0) map.delete(k);
  else map.set(k, next);
}
