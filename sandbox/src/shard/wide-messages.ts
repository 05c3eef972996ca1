/**
 * Wide messages kept by a shard worker across batches (pure, no I/O; decision 2003).
 *
 * A message with more than `MESSAGE_INFO_LIMITS.inlineReceivers` receivers reaches a shard in many
 * batches (each holds the deliveries that were ready when it was cut). Encoding it into every batch
 * wrote and read its whole receiver list — ~1,000 names — once per batch on both threads. Instead the
 * bus side numbers each wide message it sends to a shard; the first batch carries it with its key,
 * later batches carry the key only, and the worker keeps the decoded message under that key. The bus
 * side alone decides what the worker keeps: it evicts the least recently sent message beyond
 * `MESSAGE_INFO_LIMITS.keptWideMessages` and tells the worker which keys to forget in the same batch,
 * so both sides agree without a reply. A new worker (shard reset) starts with nothing kept and the
 * bus side starts over (`clear`); after a failed batch the bus side starts over and tells the worker
 * to forget everything before the next batch.
 *
 * Both sides bound what they keep by count and by size (`keptWideMessageCodeUnits`), measured the
 * same way on both (core's `messageTextUnits`): a message too large for the budget goes inline, never kept.
 * A key is never reused within one bus side (`nextKey` survives `clear` and `resynchronise`): that
 * is what makes any disagreement a refusal (`sandbox.shard.hand-off`), never a misread.
 */
import { MESSAGE_INFO_LIMITS, messageTextUnits, type AclMessage } from '@caxton/core';
import { SandboxError } from '../errors.js';

/** A message is carried by key when its receiver list is what dominates its encoding. */
export function isWide(m: AclMessage): boolean {
  return m.receivers.length > MESSAGE_INFO_LIMITS.inlineReceivers;
}

/** How much a shard keeps: the bus side at most this, the worker at most twice this during a batch. */
export interface KeptBounds {
  /** Most wide messages kept (`MESSAGE_INFO_LIMITS.keptWideMessages`). */
  capacity: number;
  /** Most code units they may sum to (`MESSAGE_INFO_LIMITS.keptWideMessageCodeUnits`). */
  codeUnits: number;
}

const DEFAULT_BOUNDS: KeptBounds = {
  capacity: MESSAGE_INFO_LIMITS.keptWideMessages,
  codeUnits: MESSAGE_INFO_LIMITS.keptWideMessageCodeUnits,
};

function bounds(given: Partial<KeptBounds>): KeptBounds {
  const b = { ...DEFAULT_BOUNDS, ...given };
  if (!Number.isInteger(b.capacity) || b.capacity < 1)
    throw new RangeError(`wide-message capacity must be a positive integer, not ${b.capacity}`);
  if (!Number.isInteger(b.codeUnits) || b.codeUnits < 8)
    throw new RangeError(`wide-message code-unit budget must be an integer of at least 8, not ${b.codeUnits}`);
  return b;
}

/** What one batch changes on the worker's side, decided when the batch is encoded. */
export interface KeptChanges {
  /** Forget every kept message before reading this batch. */
  forgetAll: boolean;
  /** Keys to forget once this batch is read (evicted to stay within the bound). */
  forget: number[];
}

/** A message a batch gives the worker to keep: its key and its size. */
export type Defined = readonly [message: AclMessage, key: number, units: number];

/** The bus side: which wide messages one worker holds, and under which key. */
export class WideMessagesSent {
  /** In order of last use: the first entry is the one evicted next. */
  private readonly keys = new Map<AclMessage, { key: number; units: number }>();
  private keptUnits = 0;
  // Never reset, not by clear() nor resynchronise(): a key names one message for the life of this
  // side, so a worker holding a stale key can only refuse it, never read another message under it.
  private nextKey = 1;
  private forgetAllNext = false;
  readonly capacity: number;
  readonly codeUnits: number;

  constructor(given: Partial<KeptBounds> = {}) {
    ({ capacity: this.capacity, codeUnits: this.codeUnits } = bounds(given));
  }

  get size(): number {
    return this.keys.size;
  }

  /** Code units of the messages the worker keeps (≤ `codeUnits` after every batch). */
  get units(): number {
    return this.keptUnits;
  }

  /** The key the worker already holds the message under, if it does. */
  keyOf(m: AclMessage): number | undefined {
    return this.keys.get(m)?.key;
  }

  /**
   * Whether a batch that already defines `count` messages of `batchUnits` may define one more of
   * `units`: at most `capacity` and `codeUnits` per batch (so the worker never holds more than twice
   * the bounds), and never one over an eighth of the budget (it would evict most of what is kept).
   */
  mayKeep(units: number, count: number, batchUnits: number): boolean {
    return count < this.capacity && units <= this.codeUnits / 8 && batchUnits + units <= this.codeUnits;
  }

  /** A fresh key for a message the batch being encoded will carry in full. */
  reserve(): number {
    return this.nextKey++;
  }

  /**
   * Records what an encoded batch carries (called only once the batch is complete, so a batch that
   * fails to encode changes nothing): `defined` gives the worker new messages, `used` are kept ones
   * it refers to. Returns what the worker must do, in the batch.
   */
  commit(defined: readonly Defined[], used: readonly AclMessage[]): KeptChanges {
    const forgetAll = this.forgetAllNext;
    this.forgetAllNext = false;
    for (const m of used) {
      const entry = this.keys.get(m);
      if (entry === undefined) continue;
      this.keys.delete(m);
      this.keys.set(m, entry);
    }
    for (const [m, key, units] of defined) {
      this.keys.set(m, { key, units });
      this.keptUnits += units;
    }
    const forget: number[] = [];
    // The least recently used go first. What this batch refers to was used last, so it goes only
    // when the batch alone is over a bound; the worker forgets after reading the batch, so even
    // then the batch itself is whole.
    for (const [m, entry] of this.keys) {
      if (this.keys.size <= this.capacity && this.keptUnits <= this.codeUnits) break;
      forget.push(entry.key);
      this.keys.delete(m);
      this.keptUnits -= entry.units;
    }
    return { forgetAll, forget };
  }

  /** Starts over: the worker was replaced (it holds nothing). */
  clear(): void {
    this.keys.clear();
    this.keptUnits = 0;
    this.forgetAllNext = false;
  }

  /** Starts over after a failed batch: the worker may hold anything, so the next batch tells it to forget all. */
  resynchronise(): void {
    this.keys.clear();
    this.keptUnits = 0;
    this.forgetAllNext = true;
  }
}

/** The hint of every `sandbox.shard.hand-off` refusal. */
const HAND_OFF_HINT =
  'the bus and the shard disagreed about kept wide messages; the batch is requeued and the shard starts over — if this repeats, report it';

/** The worker side: the wide messages it was told to keep. */
export class WideMessagesKept {
  private readonly byKey = new Map<number, { message: AclMessage; units: number }>();
  private keptUnits = 0;
  readonly capacity: number;
  readonly codeUnits: number;

  /** The bus side never keeps more than the bounds; the worker refuses to hold more than twice them. */
  constructor(given: Partial<KeptBounds> & { shard?: number } = {}) {
    ({ capacity: this.capacity, codeUnits: this.codeUnits } = bounds(given));
    this.shard = given.shard ?? -1;
  }

  /** For the errors' context (-1 outside a shard). */
  readonly shard: number;

  get size(): number {
    return this.byKey.size;
  }

  get units(): number {
    return this.keptUnits;
  }

  keep(key: number, m: AclMessage): void {
    // A batch may define up to the bounds before its evictions are applied; it may not go past
    // twice them (more than that means the two sides disagree).
    const units = messageTextUnits(m);
    if (!this.byKey.has(key) && (this.byKey.size >= 2 * this.capacity || this.keptUnits + units > 2 * this.codeUnits)) {
      throw new SandboxError(
        'sandbox.shard.hand-off',
        `hand-off would keep more than ${2 * this.capacity} wide messages or ${2 * this.codeUnits} code units`,
        {
          context: { shard: this.shard, key, kept: this.byKey.size, units: this.keptUnits + units },
          hint: HAND_OFF_HINT,
        },
      );
    }
    this.forget(key);
    this.byKey.set(key, { message: m, units });
    this.keptUnits += units;
  }

  get(key: number): AclMessage {
    const entry = this.byKey.get(key);
    if (entry === undefined) {
      throw new SandboxError(
        'sandbox.shard.hand-off',
        `hand-off work record refers to wide message ${key}, which the shard does not keep`,
        {
          context: { shard: this.shard, key },
          hint: HAND_OFF_HINT,
        },
      );
    }
    return entry.message;
  }

  forget(key: number): void {
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    this.byKey.delete(key);
    this.keptUnits -= entry.units;
  }

  clear(): void {
    this.byKey.clear();
    this.keptUnits = 0;
  }
}
