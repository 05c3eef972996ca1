/**
 * One agent's recorded events out of the embedded log's frames, in log order (replay, issue 57),
 * pure: frames in, events out, no I/O (embedded-history.ts reads the files).
 *
 * How the log records a handling, and so how it is found again:
 * - its delivery is an Appended (or AppendedShared) frame whose receiver is the agent's LOCAL name
 *   (bus.ts appends `receiver: <local name>`, and the state frames name the agent the same way);
 * - what it sent was appended before its commit point, under ids derived from its work (ids.ts
 *   `derivedMessageId(parent, i)`, parent = the delivery id, or `<local name>:timer:<timer id>`:
 *   handling-plan.ts `sendParentOf`), each message stamped with the sender `<owner>@<platform>`;
 * - its commit point is a Completed frame, or the last frame of a State transaction that completes
 *   the delivery, or — a durable timer's firing — a State transaction carrying the timer's done
 *   marker (core `timerDoneStateKey`). A timer a handling set is recorded in that handling's commit
 *   as `timerSetStateKey(id)` → `{ token, delayMs, at? }` (plan/timer-intents.ts): its token and due time.
 *
 * Bounded whatever the span: deliveries waiting for their completion, sent messages waiting for the
 * commit that claims them and timer records waiting for their firing are each capped, the oldest
 * dropped past the cap and counted in the summary (never silently).
 *
 * Retention shapes what is seen: compaction copies still-pending deliveries forward (the same
 * delivery id, and sequence number, appended again: kept once), and deletes the oldest segments, so
 * a completion may come without its delivery (skipped; with state writes, given as a `state` event
 * marked `completes`: those writes still make the agent's state).
 */
import { parseJson, replicaOwner, timerIdOfDoneKey, timerIdOfSetKey, type AclMessage, type Delivery, type StateWrite } from '@caxton/core';
import { readDeliveryBody } from '../log/embedded/delivery-body.js';
import { isWellFormedKeyedPayload, keyedBodyStart, readIdPayload, readKeyedId, readKeyedSeq } from '../log/embedded/payload.js';
import { type FrameReader, RecordType } from '../log/embedded/record-format.js';
import { parseSharedBody, readSharedEntries } from '../log/embedded/shared-payload.js';
import { StateTransactionReader, decodeStateFrame, type StateTransaction } from '../log/embedded/state-frames.js';
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
  /** Frames whose checksum holds but whose payload no writer writes: skipped. */
  malformedFrames: number;
}

interface TimerRecord {
  token: string;
}

export class AgentHistory {
  /** The agent's name as deliveries and state frames carry it. */
  readonly local: string;
  private readonly isOwnSender: (name: string | undefined) => boolean;
  /** The start of the agent's state frames' payload: `{"a":"<local>"` (state-frames.ts writes `a` first). */
  private readonly statePrefix: Buffer;
  private readonly limits: Required<AgentHistoryLimits>;
  /** Deliveries of the agent by id, oldest first. */
  private readonly pending = new Map<string, Delivery>();
  /** Messages the agent sent by message id, oldest first; one copy per message. */
  private readonly sends = new Map<string, AclMessage>();
  private readonly timers = new Map<string, TimerRecord>();
  private readonly transactions = new StateTransactionReader();
  /** Highest delivery sequence number seen: an append at or below it is a compaction copy. */
  private maxSeq = -1;
  private readonly counts: Omit<AgentHistoryCounts, 'pendingDeliveries' | 'unclaimedSends' | 'incompleteStateTransactions'> = {
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
    private readonly out: RecordedEvent[],
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
    this.statePrefix = Buffer.from(`{"a":${JSON.stringify(local)}`, 'utf8');
    this.limits = { ...DEFAULT_HISTORY_LIMITS, ...checkLimits(limits) };
  }

  /** One checksum-valid frame at `position` (`<segment>.<offset>`). */
  frame(reader: FrameReader, position: () => string): void {
    const { buf, payloadStart, payloadEnd } = reader;
    if (reader.type !== RecordType.State) this.transactions.interrupt();
    switch (reader.type) {
      case RecordType.Appended:
        return this.appended(buf, payloadStart, payloadEnd);
      case RecordType.AppendedShared:
        return this.appendedShared(buf, payloadStart, payloadEnd);
      case RecordType.Completed: {
        const delivery = this.takePending(readIdPayload(buf, payloadStart, payloadEnd));
        if (delivery !== undefined) this.handled({ kind: 'message', delivery }, [], delivery.id, position());
        return;
      }
      case RecordType.DeadLettered: {
        const delivery = this.takePending(readIdPayload(buf, payloadStart, payloadEnd));
        if (delivery !== undefined) this.out.push({ kind: 'dead-lettered', delivery, position: position() });
        return;
      }
      case RecordType.State:
        return this.stateFrame(buf, payloadStart, payloadEnd, position);
      default:
        this.counts.malformedFrames++; // a dead-letter file's frame has no place in a segment
    }
  }

  /** The end of a segment: a transaction never spans two files. */
  segmentEnd(): void {
    this.transactions.interrupt();
  }

  counted(): AgentHistoryCounts {
    return {
      ...this.counts,
      pendingDeliveries: this.pending.size,
      unclaimedSends: this.sends.size,
      incompleteStateTransactions: this.transactions.dropped,
    };
  }

  // ---- frames ----

  private appended(buf: Buffer, payloadStart: number, payloadEnd: number): void {
    if (!isWellFormedKeyedPayload(buf, payloadStart, payloadEnd)) {
      this.counts.malformedFrames++;
      return;
    }
    const id = readKeyedId(buf, payloadStart);
    let delivery: Delivery;
    try {
      delivery = readDeliveryBody(buf, keyedBodyStart(buf, payloadStart), payloadEnd, id);
    } catch {
      this.counts.malformedFrames++;
      return;
    }
    const fresh = this.seen(readKeyedSeq(buf, payloadStart));
    this.accepted(delivery, delivery.message, fresh);
  }

  private appendedShared(buf: Buffer, payloadStart: number, payloadEnd: number): void {
    const shared = readSharedEntries(buf, payloadStart, payloadEnd);
    let body: ReturnType<typeof parseSharedBody>;
    try {
      if (shared === undefined) throw new TypeError('malformed shared payload');
      body = parseSharedBody(buf, shared.bodyStart, payloadEnd);
    } catch {
      this.counts.malformedFrames++;
      return;
    }
    const message = body.message as AclMessage;
    let fresh = false;
    for (const entry of shared!.entries) {
      if (this.seen(entry.seq)) fresh = true;
      if (entry.receiver === this.local)
        this.keepPending({ id: entry.id, messageId: body.messageId, receiver: entry.receiver, message, acceptedAt: body.acceptedAt });
    }
    this.sent(body.messageId, message, fresh);
  }

  /** Whether sequence number `seq` is new (not a compaction copy of an append seen before). */
  private seen(seq: number): boolean {
    if (seq <= this.maxSeq) return false;
    this.maxSeq = seq;
    return true;
  }

  private accepted(delivery: Delivery, message: AclMessage, fresh: boolean): void {
    if (delivery.receiver === this.local) this.keepPending(delivery);
    this.sent(delivery.messageId, message, fresh);
  }

  private keepPending(delivery: Delivery): void {
    if (this.pending.has(delivery.id)) return; // a compaction copy of a delivery still pending
    this.pending.set(delivery.id, delivery);
    if (this.pending.size > this.limits.maxPendingDeliveries) {
      this.pending.delete(this.pending.keys().next().value!);
      this.counts.droppedDeliveries++;
    }
  }

  /**
   * A message appended: kept if the agent sent it, until a commit claims it. A copy compaction made
   * (its sequence number not `fresh`) is not: its original was seen, and claimed, before.
   */
  private sent(messageId: string, message: AclMessage, fresh: boolean): void {
    if (!fresh || typeof messageId !== 'string' || this.sends.has(messageId) || !this.isOwnSender(message?.sender?.name)) return;
    this.sends.set(messageId, message);
    if (this.sends.size > this.limits.maxUnclaimedSends) {
      this.sends.delete(this.sends.keys().next().value!);
      this.counts.droppedSends++;
    }
  }

  private takePending(id: string): Delivery | undefined {
    const delivery = this.pending.get(id);
    if (delivery !== undefined) this.pending.delete(id);
    return delivery;
  }

  private stateFrame(buf: Buffer, payloadStart: number, payloadEnd: number, position: () => string): void {
    if (!this.mayBeOwnState(buf, payloadStart, payloadEnd)) {
      // Another agent's transaction: frames of one transaction are contiguous, so one of ours that
      // is open can no longer complete (the reader counts it, as recovery does).
      this.transactions.interrupt();
      return;
    }
    const part = decodeStateFrame(buf.toString('utf8', payloadStart, payloadEnd));
    if (part === undefined) {
      this.counts.malformedFrames++;
      this.transactions.interrupt();
      return;
    }
    if (part.agent !== this.local) {
      this.transactions.interrupt();
      return;
    }
    const tx = this.transactions.part(part);
    if (tx !== undefined) this.committed(tx, position());
  }

  /**
   * False only for a frame that is certainly another agent's (it starts `{"a":"<another name>"`):
   * most state frames are, and this spares parsing them. Anything unexpected is decoded.
   */
  private mayBeOwnState(buf: Buffer, payloadStart: number, payloadEnd: number): boolean {
    const prefix = this.statePrefix;
    const after = payloadStart + prefix.length;
    if (after < payloadEnd && buf.compare(prefix, 0, prefix.length, payloadStart, after) === 0) {
      const next = buf[after];
      if (next === COMMA || next === CLOSE_BRACE) return true;
    }
    // `{"a":"` and then some other name: not ours.
    return !(
      payloadEnd - payloadStart > OTHER_AGENT_PREFIX.length &&
      buf.compare(OTHER_AGENT_PREFIX, 0, OTHER_AGENT_PREFIX.length, payloadStart, payloadStart + OTHER_AGENT_PREFIX.length) === 0
    );
  }

  // ---- commits ----

  private committed(tx: StateTransaction, position: string): void {
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

const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const OTHER_AGENT_PREFIX = Buffer.from('{"a":"', 'utf8');

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
