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
 * The same shares bound the messages' TEXT in each mailbox (code units, `messageTextUnits`;
 * decision 2195): a count alone let a few agents park 10,000 messages of up to 1 Mi each in every
 * slow receiver's mailbox. An agent may hold a quarter of a mailbox's text, agents together all but
 * a tenth; anyone is refused past the whole. A delivery's text counts from its routing (an append in
 * flight) until it finishes, like its slot. What all the node's mailboxes hold is node-text.ts's.
 *
 * Pure bookkeeping, no I/O: counts per (receiver, sender), kept in step by the bus's send path
 * (reserve/release around an append) and by the mailboxes (accept/finish/forget).
 */
import { DEFAULT_TRAFFIC_LIMITS } from '@caxton/core';

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

/** What one mailbox's text may add up to (code units), each part made by `textLimits`. */
export interface TextLimits {
  /** Every sender (waiting, completing, being appended). */
  mailbox: number;
  /** One agent sender's. */
  perSender: number;
  /** Agent senders' together (the rest is the operator's and the platform's). */
  agentsTotal: number;
}

/** A mailbox's text shares, as its slots' (a quarter per agent sender, a tenth kept). */
export function textLimits(mailbox: number = DEFAULT_TRAFFIC_LIMITS.mailboxTextUnits): TextLimits {
  const one = shareLimits(mailbox);
  return { mailbox, perSender: one.perSender, agentsTotal: one.agentsTotal };
}

/**
 * Why a send to a receiver is not admitted: an agent's `sender-share` or `agents-full` of the
 * receiver's slots, or `sender-text` or `agents-text` of its text; anyone's `mailbox-text` (the
 * receiver's mailbox holds its whole text).
 */
export type ShareVerdict = 'ok' | 'sender-share' | 'agents-full' | 'sender-text' | 'agents-text' | 'mailbox-text';

/** One sender's counts in one receiver's mailbox. */
interface SenderSlots {
  /** Slots held: queued or being completed. */
  held: number;
  /** Appends in flight (not consumed yet). */
  appending: number;
  /**
   * Of `held`, the slots `take` counted against the agents' part and the sender's node-wide agent
   * count: what `forget` takes off that count (not the slots taken while it was not counted).
   */
  counted: number;
  /** The text of `held`, of `appending` and of `counted`, in code units. */
  heldUnits: number;
  appendingUnits: number;
  countedUnits: number;
}

/** One receiver's counts. */
interface ReceiverSlots {
  /** Slots held by agent senders together. */
  agents: number;
  /** Text held or being appended: by every sender, and by agent senders (counted ones) together. */
  units: number;
  agentUnits: number;
  senders: Map<string, SenderSlots>;
  /** Entries of `senders` at zero, kept for the sender's next message (dropped all at once when many). */
  idle: number;
  /**
   * The mailbox went away while appends to it were in flight: the record is kept only until the
   * last of them is settled, then dropped (else every removal mid-send leaked one record).
   */
  gone: boolean;
  /**
   * Bumped by every `forget`: a slot taken before it was already taken back, and must not be
   * given back again — even when the record was kept (appends in flight) and the mailbox came
   * back, when the sender's count is a newer delivery's.
   */
  epoch: number;
}

/** One agent sender's slots over all receivers. */
interface AgentSlots {
  slots: number;
  /** Known to be an agent (holds or appends something); an entry at zero is kept only for reuse. */
  known: boolean;
}

/** The send path's handle on one sender's counts in one receiver's mailbox (see `senderSlot`). */
export interface SenderShare {
  readonly receiver: string;
  readonly r: ReceiverSlots;
  readonly c: SenderSlots;
  /** The sender's agent record, once `reserveSlot` counted an append against it. */
  agent: AgentSlots | undefined;
  /** The text `reserveSlot` reserved (given back by `releaseSlot`). */
  units: number;
}

/**
 * The slot one delivery holds, as `take` found it: the records `give` must change, so that giving
 * it back costs no lookup (decision 2070: three string-keyed lookups per message less). Opaque
 * outside this file.
 */
export interface HeldSlot {
  readonly receiver: string;
  readonly r: ReceiverSlots;
  readonly c: SenderSlots;
  /** The agent sender's record, when the slot counted against the agents' part of the mailbox. */
  readonly agent: AgentSlots | undefined;
  /** The receiver record's `epoch` when the slot was taken: given back only if no `forget` came between. */
  readonly epoch: number;
  /** The delivery's text, in code units. */
  readonly units: number;
}

/**
 * Entries at zero kept per map before all are dropped at once. The counts change on every message
 * (a ping-pong holds one slot and gives it back each round): deleting an entry when it reached zero
 * and creating it again on the next message was a map delete, a map insert and an allocation per
 * message and per count (profiled: 4 % of the bus thread); idle entries are kept instead, and
 * bounded like the mailbox's idle sender queues (decision 1830).
 */
const IDLE_KEPT = 64;

export class MailboxShares {
  /** receiver → its counts, per sender inside: one lookup per map and no key strings per message. */
  private readonly receivers = new Map<string, ReceiverSlots>();
  /**
   * Agent senders (their deliveries count against `agentsTotal`) while they hold or append
   * something: one holding nothing is forgotten, so a node whose instances of kinds come and go
   * (decision 1980) keeps no entry per instance that ever sent (idle entries are bounded).
   */
  private readonly agentSlots = new Map<string, AgentSlots>();
  private knownAgents = 0;
  private idleAgents = 0;

  constructor(
    readonly limits: ShareLimits,
    readonly text: TextLimits = textLimits(),
  ) {}

  /**
   * May the agent `sender` take `n` more slots of `receiver`'s mailbox, and `units` more of its
   * text? `limits`: those to apply instead of the mailbox's (an absent receiver's shares are of its
   * absent queue, decision 1990).
   */
  admitAgent(receiver: string, sender: string, n = 1, limits: ShareLimits = this.limits, units = 0): ShareVerdict {
    const r = this.receivers.get(receiver);
    const c = r?.senders.get(sender);
    if ((c === undefined ? 0 : c.held + c.appending) + n > limits.perSender) return 'sender-share';
    if ((r?.agents ?? 0) + n > limits.agentsTotal) return 'agents-full';
    return this.admitText(r, c, units, true);
  }

  /** An agent's append to `receiver` is in flight (counted against its share until it is consumed or fails). */
  reserve(receiver: string, sender: string, units: number): void {
    this.reserveSlot(this.senderSlot(receiver, sender), sender, units);
  }

  release(receiver: string, sender: string, units: number): void {
    const r = this.receivers.get(receiver);
    const c = r?.senders.get(sender);
    if (c !== undefined && c.appending > 0) this.unappend(r!, c, this.agentSlots.get(sender), units);
    if (r !== undefined) this.dropIfGone(receiver, r);
  }

  /**
   * The send path's handle on `sender`'s counts in `receiver`'s mailbox, created if missing (an
   * entry at zero is idle and bounded like any other): admitting, reserving and releasing through
   * it look nothing up again (decision 2070). Only for a receiver whose mailbox exists.
   */
  senderSlot(receiver: string, sender: string): SenderShare {
    const { r, c } = this.counts(receiver, sender);
    return { receiver, r, c, agent: undefined, units: 0 };
  }

  /**
   * `admitAgent` through a handle, for an agent sender; for any other (`agent` false: the operator,
   * the platform, an outside client) only the text the mailbox holds in all is checked.
   */
  admitSlot(s: SenderShare, n = 1, limits: ShareLimits = this.limits, units = 0, agent = true): ShareVerdict {
    if (agent) {
      if (s.c.held + s.c.appending + n > limits.perSender) return 'sender-share';
      if (s.r.agents + n > limits.agentsTotal) return 'agents-full';
    }
    return this.admitText(s.r, s.c, units, agent);
  }

  /** The text checks: the receiver's mailbox as a whole; for an agent sender its share and the agents' part. */
  private admitText(r: ReceiverSlots | undefined, c: SenderSlots | undefined, units: number, agent: boolean): ShareVerdict {
    const t = this.text;
    if ((r?.units ?? 0) + units > t.mailbox) return 'mailbox-text';
    if (!agent) return 'ok';
    if ((c === undefined ? 0 : c.heldUnits + c.appendingUnits) + units > t.perSender) return 'sender-text';
    if ((r?.agentUnits ?? 0) + units > t.agentsTotal) return 'agents-text';
    return 'ok';
  }

  /**
   * `reserve` through a handle; `releaseSlot` gives it back. `agent` false: a sender that is no
   * agent (its text counts for the mailbox, in no agent's share).
   */
  reserveSlot(s: SenderShare, sender: string, units = 0, agent = true): void {
    const a = agent ? this.knownAgent(sender) : undefined;
    s.agent = a;
    s.units = units;
    this.slots(a, 1);
    this.change(s.r, s.c, 0, 1);
    s.c.appendingUnits += units;
    s.r.units += units;
    if (a !== undefined) s.r.agentUnits += units;
  }

  /** `release` through the handle `reserveSlot` was given. */
  releaseSlot(s: SenderShare): void {
    const { r, c } = s;
    if (c.appending > 0) this.unappend(r, c, s.agent, s.units);
    if (r.gone && this.receivers.get(s.receiver) === r) this.dropIfGone(s.receiver, r);
  }

  /** One append of `units` of text ended: its slot and text come off every count that took them. */
  private unappend(r: ReceiverSlots, c: SenderSlots, a: AgentSlots | undefined, units: number): void {
    this.change(r, c, 0, -1);
    c.appendingUnits = Math.max(0, c.appendingUnits - units);
    r.units = Math.max(0, r.units - units);
    if (a !== undefined) r.agentUnits = Math.max(0, r.agentUnits - units);
    this.slots(a, -1);
  }

  /**
   * `sender` (an agent or not) now holds one more slot of `receiver`'s mailbox, and `units` of its
   * text. The returned handle gives both back with `giveHeld`, without looking anything up again.
   */
  take(receiver: string, sender: string, isAgent: boolean, units = 0): HeldSlot {
    const agent = isAgent ? this.knownAgent(sender) : this.agentSlots.get(sender);
    const { r, c } = this.counts(receiver, sender);
    r.gone = false; // a delivery arrived: the mailbox is back
    this.change(r, c, 1, 0);
    c.heldUnits += units;
    r.units += units;
    const counted = agent?.known;
    if (counted) {
      r.agents += 1;
      r.agentUnits += units;
      c.counted += 1;
      c.countedUnits += units;
      this.slots(agent, 1);
    }
    return { receiver, r, c, agent: counted ? agent : undefined, epoch: r.epoch, units };
  }

  /**
   * The slot `take` returned is given back. A slot `forget` already took back (the mailbox went
   * away while its delivery was completing) gives nothing twice: the record's epoch moved on, so
   * the counts are no longer this slot's — even when the record was kept for appends in flight and
   * the mailbox came back, where the sender's count is now a newer delivery's.
   */
  giveHeld(h: HeldSlot): void {
    const { r, c } = h;
    if (h.epoch === r.epoch && c.held > 0) this.unhold(r, c, h.agent, h.units);
    if (r.gone && this.receivers.get(h.receiver) === r) this.dropIfGone(h.receiver, r);
  }

  /** `sender` gave one slot of `receiver`'s mailbox back, holding `units` of text. */
  give(receiver: string, sender: string, units: number): void {
    const r = this.receivers.get(receiver);
    const c = r?.senders.get(sender);
    if (r === undefined || c === undefined || c.held === 0) return;
    const agent = this.agentSlots.get(sender);
    this.unhold(r, c, agent?.known && c.counted > 0 ? agent : undefined, units);
    this.dropIfGone(receiver, r);
  }

  /** A held slot and its text come off the counts; `agent`: it counted against the agents' part. */
  private unhold(r: ReceiverSlots, c: SenderSlots, agent: AgentSlots | undefined, units: number): void {
    this.change(r, c, -1, 0);
    c.heldUnits = Math.max(0, c.heldUnits - units);
    r.units = Math.max(0, r.units - units);
    // The handle says `take` counted the slot against the agents' part: it comes off that count
    // even if the sender is no longer known as an agent (`slots` skips an unknown one).
    if (agent === undefined) return;
    if (r.agents > 0) r.agents -= 1;
    if (c.counted > 0) c.counted -= 1;
    r.agentUnits = Math.max(0, r.agentUnits - units);
    c.countedUnits = Math.max(0, c.countedUnits - units);
    this.slots(agent, -1);
  }

  /** The receiver's mailbox went away: its counts go with it (appends in flight stay counted). */
  forget(receiver: string): void {
    const r = this.receivers.get(receiver);
    if (r === undefined) return;
    r.agents = 0;
    r.epoch += 1; // slots taken before are given back here, not by their handles
    let appending = false;
    for (const [sender, c] of r.senders) {
      if (c.appending > 0) appending = true;
      if (c.held === 0) continue;
      // Only the slots counted as an agent's: the rest never were (decision 2070, *Left*, fixed).
      if (c.counted > 0) this.slots(this.agentSlots.get(sender), -c.counted);
      r.units = Math.max(0, r.units - c.heldUnits);
      r.agentUnits = Math.max(0, r.agentUnits - c.countedUnits);
      c.counted = 0;
      c.countedUnits = 0;
      c.heldUnits = 0;
      this.change(r, c, -c.held, 0);
    }
    if (!appending) this.receivers.delete(receiver);
    else r.gone = true;
  }

  /** Receivers with a record now (tests: a removed mailbox keeps none once its appends settle). */
  get receiverCount(): number {
    return this.receivers.size;
  }

  /** A gone receiver's record goes once every sender entry in it is idle (O(1): idle counts them). */
  private dropIfGone(receiver: string, r: ReceiverSlots): void {
    if (r.gone && r.idle === r.senders.size) this.receivers.delete(receiver);
  }

  /** Agent senders remembered now (tests: one holding nothing is not). */
  get agentSenderCount(): number {
    return this.knownAgents;
  }

  /** Slots `sender` holds in `receiver`'s mailbox (tests, status). */
  heldBy(receiver: string, sender: string): number {
    return this.receivers.get(receiver)?.senders.get(sender)?.held ?? 0;
  }

  /** Text held or being appended in `receiver`'s mailbox (tests, status). */
  unitsIn(receiver: string): number {
    return this.receivers.get(receiver)?.units ?? 0;
  }

  private knownAgent(sender: string): AgentSlots {
    let a = this.agentSlots.get(sender);
    if (a === undefined) {
      a = { slots: 0, known: false };
      this.agentSlots.set(sender, a);
      this.idleAgents += 1;
    }
    if (!a.known) {
      a.known = true;
      this.knownAgents += 1;
      if (a.slots === 0) this.idleAgents -= 1;
    }
    return a;
  }

  /** An agent sender's slots over all receivers; at zero it is no longer known as an agent. */
  private slots(a: AgentSlots | undefined, by: number): void {
    if (a === undefined || !a.known) return;
    a.slots = Math.max(0, a.slots + by);
    if (a.slots > 0) return;
    a.known = false;
    this.knownAgents -= 1;
    this.idleAgents += 1;
    if (this.idleAgents > IDLE_KEPT) {
      for (const [k, v] of this.agentSlots) if (!v.known) this.agentSlots.delete(k);
      this.idleAgents = 0;
    }
  }

  private counts(receiver: string, sender: string): { r: ReceiverSlots; c: SenderSlots } {
    let r = this.receivers.get(receiver);
    if (r === undefined) {
      r = { agents: 0, units: 0, agentUnits: 0, senders: new Map(), idle: 0, gone: false, epoch: 0 };
      this.receivers.set(receiver, r);
    }
    let c = r.senders.get(sender);
    if (c === undefined) {
      // Swept before the new entry exists: a handle (senderSlot) may take it and refuse, leaving it idle.
      if (r.idle >= IDLE_KEPT) this.sweep(r);
      c = { held: 0, appending: 0, counted: 0, heldUnits: 0, appendingUnits: 0, countedUnits: 0 };
      r.senders.set(sender, c);
      r.idle += 1;
    }
    return { r, c };
  }

  /** Moves one sender's counts, keeping its receiver's count of idle entries in step. */
  private change(r: ReceiverSlots, c: SenderSlots, held: number, appending: number): void {
    const wasIdle = c.held === 0 && c.appending === 0;
    c.held += held;
    c.appending += appending;
    const isIdle = c.held === 0 && c.appending === 0;
    if (wasIdle === isIdle) return;
    if (!isIdle) {
      r.idle -= 1;
      return;
    }
    r.idle += 1;
    if (r.idle > IDLE_KEPT) this.sweep(r);
  }

  /** Drops a receiver's idle sender entries all at once. */
  private sweep(r: ReceiverSlots): void {
    for (const [k, v] of r.senders) if (v.held === 0 && v.appending === 0) r.senders.delete(k);
    r.idle = 0;
  }
}
