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
 */
import { MESSAGE_INFO_LIMITS, type AclMessage } from '@caxton/core';

/** A message is carried by key when its receiver list is what dominates its encoding. */
export function isWide(m: AclMessage): boolean {
  return m.receivers.length > MESSAGE_INFO_LIMITS.inlineReceivers;
}

/** What one batch changes on the worker's side, decided when the batch is encoded. */
export interface KeptChanges {
  /** Forget every kept message before reading this batch. */
  forgetAll: boolean;
  /** Keys to forget once this batch is read (evicted to stay within the bound). */
  forget: number[];
}

/** The bus side: which wide messages one worker holds, and under which key. */
export class WideMessagesSent {
  /** In order of last use: the first entry is the one evicted next. */
  private readonly keys = new Map<AclMessage, number>();
  private nextKey = 1;
  private forgetAllNext = false;

  constructor(readonly capacity: number = MESSAGE_INFO_LIMITS.keptWideMessages) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`wide-message capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.keys.size;
  }

  /** The key the worker already holds the message under, if it does. */
  keyOf(m: AclMessage): number | undefined {
    return this.keys.get(m);
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
  commit(defined: ReadonlyArray<readonly [AclMessage, number]>, used: readonly AclMessage[]): KeptChanges {
    const forgetAll = this.forgetAllNext;
    this.forgetAllNext = false;
    for (const m of used) {
      const key = this.keys.get(m);
      if (key === undefined) continue;
      this.keys.delete(m);
      this.keys.set(m, key);
    }
    for (const [m, key] of defined) this.keys.set(m, key);
    const forget: number[] = [];
    // The least recently used go first. What this batch refers to was used last, so it goes only
    // when the batch holds more than `capacity` distinct wide messages; the worker forgets after
    // reading the batch, so even then the batch itself is whole.
    for (const [m, key] of this.keys) {
      if (this.keys.size <= this.capacity) break;
      forget.push(key);
      this.keys.delete(m);
    }
    return { forgetAll, forget };
  }

  /** Starts over: the worker was replaced (it holds nothing). */
  clear(): void {
    this.keys.clear();
    this.forgetAllNext = false;
  }

  /** Starts over after a failed batch: the worker may hold anything, so the next batch tells it to forget all. */
  resynchronise(): void {
    this.keys.clear();
    this.forgetAllNext = true;
  }
}

/** The worker side: the wide messages it was told to keep. */
export class WideMessagesKept {
  private readonly byKey = new Map<number, AclMessage>();

  /** The bus side never keeps more than its capacity; the worker refuses to hold more than the same bound. */
  constructor(readonly capacity: number = MESSAGE_INFO_LIMITS.keptWideMessages) {}

  get size(): number {
    return this.byKey.size;
  }

  keep(key: number, m: AclMessage): void {
    // A batch may define more than `capacity` before its evictions are applied; it may not go past
    // twice the bound (more distinct wide messages than that in one batch means a broken sender).
    if (!this.byKey.has(key) && this.byKey.size >= 2 * this.capacity) {
      throw new RangeError(`hand-off would keep more than ${2 * this.capacity} wide messages`);
    }
    this.byKey.set(key, m);
  }

  get(key: number): AclMessage {
    const m = this.byKey.get(key);
    if (m === undefined) throw new RangeError(`hand-off work record refers to wide message ${key}, which the shard does not keep`);
    return m;
  }

  forget(key: number): void {
    this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }
}
