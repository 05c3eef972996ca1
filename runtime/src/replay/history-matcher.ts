/**
 * What a history source's records mean for one agent's replay (issue 57), whatever log they come
 * from: the agent's deliveries wait here for the commit that completes them, the messages it sent
 * for the commit that claims them (by their derived ids: ids.ts `derivedMessageId(parent, i)`,
 * parent = the delivery id, or `<local name>:timer:<timer id>`: handling-plan.ts `sendParentOf`),
 * the timers it set for their firing; a commit then becomes a `handled` event (or a `state` one).
 * Pure: the embedded log's frames (agent-history.ts) and the Kafka log's records (kafka-history.ts)
 * are decoded elsewhere and handed in.
 *
 * A timer a handling set is recorded in that handling's commit as `timerSetStateKey(id)` →
 * `{ token, delayMs, at? }` (plan/timer-intents.ts); its firing is a commit carrying the timer's
 * done marker (core `timerDoneStateKey`).
 *
 * Bounded whatever the span: deliveries waiting for their completion, sent messages waiting for the
 * commit that claims them and timer records waiting for their firing are each capped, the oldest
 * dropped past the cap and counted (never silently).
 */
import { parseJson, replicaOwner, timerIdOfDoneKey, timerIdOfSetKey, type AclMessage, type Delivery, type StateWrite } from '@caxton/core';
import { derivedMessageId } from '../bus/ids.js';
import { readDoneMarker } from '../bus/plan/handling-plan.js';
import { ReplayError } from './errors.js';
import type { RecordedEvent, RecordedHandling, RecordedWork } from './recorded.js';

/** Outbox indexes in a row with no message in the log after which a handling's sends are taken to end. */
export const MAX_SEND_GAP = 8;

export interface AgentHistoryLimits {
  /** Deliveries of the agent waiting for their completion. Default 100,000. */
  maxPendingDeliveries?: number;
  /** Messages the agent sent waiting for the commit that claims them. Default 100,000. */
  maxUnclaimedSends?: number;
  /** Timers set (their token and due time) waiting for their firing. Default 100,000. */
  maxTimerIntents?: number;
}

export const DEFAULT_HISTORY_LIMITS: Readonly<Required<AgentHistoryLimits>> = Object.freeze({
  maxPendingDeliveries: 100_000,
  maxUnclaimedSends: 100_000,
  maxTimerIntents: 100_000,
});

/** What the reader met that is not an event: counted, so nothing is left out silently. */
export interface AgentHistoryCounts {
  /** Pending deliveries dropped (oldest first) past `maxPendingDeliveries`: their completion is then skipped. */
  droppedDeliveries: number;
  /** Unclaimed sends dropped (oldest first) past `maxUnclaimedSends`. */
  droppedSends: number;
  /** Timer records dropped (oldest first) past `maxTimerIntents`. */
  droppedTimerIntents: number;
  /** Deliveries of the agent still pending where the history ends (neither completed nor dead-lettered). */
  pendingDeliveries: number;
  /**
   * Messages of the agent no commit claimed by the end: `init`'s sends (never claimed), those after
   * an index not in this log (a send to another platform only), those of handlings committed
   * before the history's start.
   */
  unclaimedSends: number;
  /** Commits with state writes whose delivery's append is not in the log: given as `state` events. */
  orphanCompletions: number;
  /** Timer firings whose timer record is not in the log (token '' and dueAt undefined then). */
  timersWithoutRecord: number;
  /** State transactions of the agent whose last frame was never read (torn tail, damage): not applied, as recovery does. */
  incompleteStateTransactions: number;
  /** Frames (records) whose checksum holds but whose payload no writer writes: skipped. */
  malformedFrames: number;
}

/** One commit of the agent's state as a source decoded it. */
export interface CommittedState {
  writes: readonly StateWrite[];
  /** A snapshot or a clear: the agent's state is these writes alone. */
  reset: boolean;
  /** The delivery it completes, if it completes one. */
  completes?: string | undefined;
  /** Its handling's first clock read, where recorded. */
  clockAt?: number | undefined;
}

interface TimerRecord {
  token: string;
}

export class HistoryMatcher {
  /** The agent's name as deliveries and state carry it. */
  readonly local: string;
  private readonly isOwnSender: (name: string | undefined) => boolean;
  protected readonly limits: Required<AgentHistoryLimits>;
  /** Deliveries of the agent by id, oldest first. */
  private readonly pending = new Map<string, Delivery>();
  /** Messages the agent sent by message id, oldest first; one copy per message. */
  private readonly sends = new Map<string, AclMessage>();
  private readonly timers = new Map<string, TimerRecord>();
  protected readonly counts: Omit<AgentHistoryCounts, 'pendingDeliveries' | 'unclaimedSends' | 'incompleteStateTransactions'> = {
    droppedDeliveries: 0,
    droppedSends: 0,
    droppedTimerIntents: 0,
    orphanCompletions: 0,
    timersWithoutRecord: 0,
    malformedFrames: 0,
  };

  /**
   * @param agent the agent's local name (`echo`) or its full name (`echo@<platform>`): deliveries
   *   and state carry the local name, sends the full one; given local, a sender of any platform
   *   with that local name is taken (claims go by derived id, so another platform's never match).
   * @param out where events go, in log order
   */
  constructor(
    agent: string,
    protected readonly out: RecordedEvent[],
    limits: AgentHistoryLimits = {},
  ) {
    const at = agent.lastIndexOf('@');
    const local = at < 0 ? agent : agent.slice(0, at);
    const platform = at < 0 ? undefined : agent.slice(at + 1);
    if (local.length === 0 || platform === '')
      throw new ReplayError('replay.invalid-argument', `${JSON.stringify(agent.slice(0, 200))} is not an agent name`, {
        context: { agent },
        hint: 'name the agent as deployed (echo, counter/alice) or with its platform (echo@<platform>)',
      });
    this.local = local;
    // A worker X#r<k> sends as its agent X (bus.ts stamps replicaOwner).
    const owner = replicaOwner(local);
    this.isOwnSender =
      platform !== undefined
        ? (name) => name === `${owner}@${platform}`
        : (name) => name !== undefined && (name === owner || (name.startsWith(`${owner}@`) && name.indexOf('@', owner.length + 1) < 0));
    this.limits = { ...DEFAULT_HISTORY_LIMITS, ...checkLimits(limits) };
  }

  counted(): AgentHistoryCounts {
    return {
      ...this.counts,
      pendingDeliveries: this.pending.size,
      unclaimedSends: this.sends.size,
      incompleteStateTransactions: 0,
    };
  }

  /** A record no writer writes was met (skipped). */
  malformed(): void {
    this.counts.malformedFrames++;
  }

  /** A delivery appended: kept (if it is the agent's) until its completion. */
  delivered(delivery: Delivery): void {
    if (delivery.receiver !== this.local) return;
    if (this.pending.has(delivery.id)) return; // a compaction copy of a delivery still pending
    this.pending.set(delivery.id, delivery);
    if (this.pending.size > this.limits.maxPendingDeliveries) {
      this.pending.delete(this.pending.keys().next().value!);
      this.counts.droppedDeliveries++;
    }
  }

  /** Whether the delivery `id` waits here for its completion. */
  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /**
   * A message appended: kept if the agent sent it, until a commit claims it. A copy compaction made
   * (not `fresh`) is not: its original was seen, and claimed, before.
   */
  sent(messageId: string, message: AclMessage, fresh: boolean): void {
    if (!fresh || typeof messageId !== 'string' || this.sends.has(messageId) || !this.isOwnSender(message?.sender?.name)) return;
    this.sends.set(messageId, message);
    if (this.sends.size > this.limits.maxUnclaimedSends) {
      this.sends.delete(this.sends.keys().next().value!);
      this.counts.droppedSends++;
    }
  }

  /** A delivery completed with no state written (its completion alone). */
  completed(id: string, position: string, clockAt?: number): void {
    const delivery = this.takePending(id);
    if (delivery !== undefined) this.handled({ kind: 'message', delivery }, [], delivery.id, position, clockAt);
  }

  /** A delivery moved aside: its handling never committed. */
  deadLettered(id: string, position: string): void {
    const delivery = this.takePending(id);
    if (delivery !== undefined) this.out.push({ kind: 'dead-lettered', delivery, position });
  }

  /** A commit of the agent's state: a delivery's completion, a timer's firing, or state alone. */
  committed(tx: CommittedState, position: string): void {
    const writes = tx.writes;
    if (tx.completes !== undefined) {
      const delivery = this.takePending(tx.completes);
      if (delivery !== undefined) this.handled({ kind: 'message', delivery }, writes, delivery.id, position, tx.clockAt);
      else {
        this.counts.orphanCompletions++;
        this.out.push({ kind: 'state', reset: tx.reset, writes, position, completes: tx.completes });
      }
    } else {
      // A snapshot (reset) copies every entry, a done marker not yet cleared included: not a firing.
      const fired = tx.reset ? undefined : firedTimerOf(writes);
      if (fired !== undefined) {
        const { timerId, dueAt, clockAt } = fired;
        const record = this.timers.get(timerId);
        if (record !== undefined) this.timers.delete(timerId);
        else this.counts.timersWithoutRecord++;
        // The done marker records when the timer was due (decision 2174); older logs hold `1` there.
        const work: RecordedWork = { kind: 'timer', timerId, token: record?.token, dueAt };
        this.handled(work, writes, `${this.local}:timer:${timerId}`, position, clockAt);
      } else {
        this.out.push({ kind: 'state', reset: tx.reset, writes, position });
      }
    }
    this.rememberTimers(writes);
  }

  /** Writes that restate what the state already holds (an owner's repair): a `state` event, never a handling or a firing. */
  restated(writes: readonly StateWrite[], position: string): void {
    this.out.push({ kind: 'state', reset: false, writes, position });
  }

  private takePending(id: string): Delivery | undefined {
    const delivery = this.pending.get(id);
    if (delivery !== undefined) this.pending.delete(id);
    return delivery;
  }

  private handled(work: RecordedWork, state: readonly StateWrite[], sendParent: string, position: string, clockAt?: number): void {
    const sendIndexes: number[] = [];
    const sends = this.claim(sendParent, sendIndexes);
    const handling: RecordedHandling = { kind: 'handled', work, state, sends, sendIndexes, position };
    if (clockAt !== undefined) handling.clockAt = clockAt;
    this.out.push(handling);
  }

  /**
   * The messages sent under ids derived from `parent`, in outbox order, with their outbox indexes.
   * A message the log does not hold (to an API caller, to another platform) leaves a gap: the
   * search goes on past up to MAX_SEND_GAP missing indexes in a row.
   */
  private claim(parent: string, indexes: number[]): AclMessage[] {
    const claimed: AclMessage[] = [];
    // Not "since the agent's last commit": a batch's sends are appended before its first commit.
    if (this.sends.size === 0) return claimed;
    for (let i = 0, missed = 0; missed < MAX_SEND_GAP; i++) {
      const id = derivedMessageId(parent, i);
      const message = this.sends.get(id);
      if (message === undefined) {
        missed++;
        continue;
      }
      missed = 0;
      this.sends.delete(id);
      claimed.push(message);
      indexes.push(i);
    }
    return claimed;
  }

  /** Timers set by a commit: kept by id until their firing (their records are removed earlier, once registered). */
  private rememberTimers(writes: readonly StateWrite[]): void {
    for (const { key, value } of writes) {
      if (value === null) continue;
      const id = timerIdOfSetKey(key);
      if (id === undefined) continue;
      const record = timerRecordOf(value);
      if (record === undefined) continue;
      this.timers.delete(id);
      this.timers.set(id, record);
      if (this.timers.size > this.limits.maxTimerIntents) {
        this.timers.delete(this.timers.keys().next().value!);
        this.counts.droppedTimerIntents++;
      }
    }
  }
}

/**
 * The timer whose firing a commit records (its done marker set), if any, with its due time and its
 * handling's first clock read where the marker says.
 */
function firedTimerOf(
  writes: readonly StateWrite[],
): { timerId: string; dueAt: number | undefined; clockAt: number | undefined } | undefined {
  for (const { key, value } of writes) {
    if (value === null) continue;
    const timerId = timerIdOfDoneKey(key);
    if (timerId !== undefined) return { timerId, ...readDoneMarker(value) };
  }
  return undefined;
}

/** `{ token, delayMs }` (plan/timer-intents.ts); the due time is in the firing's done marker. */
function timerRecordOf(value: string): TimerRecord | undefined {
  let v: { token?: unknown };
  try {
    v = parseJson(value) as typeof v;
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || typeof v.token !== 'string') return undefined;
  return { token: v.token };
}

function checkLimits(limits: AgentHistoryLimits): AgentHistoryLimits {
  const out: AgentHistoryLimits = {};
  for (const key of ['maxPendingDeliveries', 'maxUnclaimedSends', 'maxTimerIntents'] as const) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1)
      throw new ReplayError('replay.invalid-argument', `${key} must be a positive integer (got ${String(value)})`, {
        context: { [key]: value },
        hint: `leave it out for the default (${DEFAULT_HISTORY_LIMITS[key].toLocaleString('en')})`,
      });
    out[key] = value;
  }
  return out;
}
