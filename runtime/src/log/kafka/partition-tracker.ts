/**
 * Per-partition bookkeeping of the consumer: which offsets are handed out and not yet completed.
 * Pure state (no Kafka calls) so the rules below are unit-tested without a broker.
 *
 * An offset is in one of three states: done (below `base`, or below `end` and not pending),
 * pending (handed out here, or known pending from the last commit and not yet re-fetched), or
 * unseen (at or above `end`). The committed offset is the lowest pending offset, so a restart
 * resumes there; offset-metadata.ts encodes the pending set so completed offsets above it stay
 * completed.
 */
import type { PartitionProgress, EncodedCommit } from './offset-metadata.js';
import { decodeCommit } from './offset-metadata.js';

/**
 * What to do with a fetched record:
 * - deliver: hand it to the handler (now pending here);
 * - skip: already done, or already pending here (a re-fetch after a rebalance, or a duplicate
 *   record of a delivery that is in flight — it completes together with the first copy);
 * - done: the delivery id was completed recently (a duplicate append): marked done, commit it;
 * - full: too many pending deliveries in this partition: pause it, re-fetch this record later.
 */
export type Admission = 'deliver' | 'skip' | 'done' | 'full';

export class PartitionTracker {
  /** Offsets below `base` are done. Undefined until a commit or the first record is seen. */
  private base: number | undefined;
  private end: number | undefined;
  /** Pending offsets in ascending order (Map keeps insertion order) → delivery id once handed out here. */
  private pending = new Map<number, string | undefined>();
  private offsetsById = new Map<string, number[]>();
  /** The (offset, metadata) last committed or read; a commit that would not change it is skipped. */
  committed: { offset: number; metadata: string } | undefined;
  /**
   * Read back below the committed offset before handing anything out (decision 1801): set on a
   * tracker built from a commit alone, whose done offsets have no delivery ids here yet.
   * `soughtAt` is the join epoch the consumer last sought in (a rejoin or restart drops a seek).
   */
  private rewind: { from: number; soughtAt: number | undefined } | undefined;

  constructor(
    readonly partition: number,
    private readonly maxPending: number,
  ) {}

  /**
   * A tracker initialised from the group's committed offset (negative/undefined: no commit).
   * `rebuildRecords`: how many records below the committed offset to read back (see `rewindTo`).
   */
  static fromCommit(
    partition: number,
    maxPending: number,
    offset: number | undefined,
    metadata: string | null | undefined,
    rebuildRecords = 0,
  ): PartitionTracker {
    const t = new PartitionTracker(partition, maxPending);
    if (offset === undefined || offset < 0) return t;
    const p = decodeCommit(offset, metadata);
    t.base = offset;
    t.end = p.end;
    for (const o of p.pending) t.pending.set(o, undefined);
    t.committed = { offset, metadata: metadata ?? '' };
    if (offset > 0 && rebuildRecords > 0) t.rewind = { from: Math.max(0, offset - rebuildRecords), soughtAt: undefined };
    return t;
  }

  /**
   * Where the consumer must seek before this batch is admitted, or undefined to go on. A commit
   * says which offsets are done, not which delivery ids they held, so a copy of a completed
   * delivery appended after this node took the partition would look new. Reading back the last
   * `rebuildRecords` records below the commit (each done offset's id goes to the completed window,
   * see `isDone`) closes that, once per partition taken. A batch starting past `from` after a seek
   * made in this join epoch means the log starts later (retention): nothing more to read back.
   */
  rewindTo(firstFetched: number, epoch: number): number | undefined {
    const r = this.rewind;
    if (r === undefined) return undefined;
    if (firstFetched > r.from && r.soughtAt !== epoch) {
      r.soughtAt = epoch;
      return r.from;
    }
    this.rewind = undefined;
    return undefined;
  }

  /** Is this offset known done (completed, or a copy of a completed delivery)? */
  isDone(offset: number): boolean {
    if (this.base === undefined || this.end === undefined) return false;
    return offset < this.base || (offset < this.end && !this.pending.has(offset));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** True if this node has room to hand out more deliveries of this partition. */
  hasRoom(): boolean {
    return this.pending.size < this.maxPending;
  }

  admit(offset: number, id: string, completedBefore: boolean): Admission {
    if (this.base === undefined || this.end === undefined) {
      // No commit yet: the consumer starts at the log start, so that is where "done" ends.
      this.base = offset;
      this.end = offset;
    }
    if (offset < this.base) return 'skip';
    if (offset < this.end) {
      if (!this.pending.has(offset) || this.pending.get(offset) !== undefined) return 'skip';
      if (completedBefore) {
        this.pending.delete(offset);
        return 'done';
      }
      return this.handOut(offset, id);
    }
    if (completedBefore) {
      this.end = offset + 1;
      return 'done';
    }
    if (this.pending.size >= this.maxPending) return 'full';
    // Offsets between the old end and this one hold no deliveries (control records, compaction).
    this.end = offset + 1;
    return this.handOut(offset, id);
  }

  private handOut(offset: number, id: string): Admission {
    this.pending.set(offset, id);
    const copies = this.offsetsById.get(id);
    if (copies !== undefined) {
      copies.push(offset);
      return 'skip';
    }
    this.offsetsById.set(id, [offset]);
    return 'deliver';
  }

  /** Is this delivery id pending here (handed out by this node)? */
  has(id: string): boolean {
    return this.offsetsById.has(id);
  }

  /** Mark a handed-out delivery done; returns false if the id is not pending here. */
  complete(id: string): boolean {
    return this.completeAt(id) !== undefined;
  }

  /** complete(), giving the delivery's (first) offset; undefined when it is not pending here. */
  completeAt(id: string): number | undefined {
    const offsets = this.offsetsById.get(id);
    if (offsets === undefined) return undefined;
    for (const o of offsets) this.pending.delete(o);
    this.offsetsById.delete(id);
    return offsets[0];
  }

  /** What to commit, or undefined while nothing is known about the partition. */
  progress(): PartitionProgress | undefined {
    if (this.end === undefined) return undefined;
    return { end: this.end, pending: [...this.pending.keys()] };
  }

  markCommitted(c: EncodedCommit): void {
    this.committed = { offset: c.offset, metadata: c.metadata };
    if (this.base === undefined || c.offset > this.base) this.base = c.offset;
  }

  /**
   * Overlay what this node knows locally (`local`, the tracker from before a rebalance) onto this
   * tracker (just read from the committed offset). Both views are true statements about the same
   * immutable log: an offset done in either view is done (the commit may lag our own completions,
   * or another node may have completed more), and an offset pending here keeps its delivery id so
   * it is not handed out twice while our handler still works on it.
   */
  merge(local: PartitionTracker): void {
    const views = [this, local].filter((v) => v.base !== undefined && v.end !== undefined);
    if (views.length === 0) return;
    const base = Math.max(...views.map((v) => v.base!));
    const end = Math.max(...views.map((v) => v.end!));
    const doneIn = (v: PartitionTracker, o: number) => o < v.base! || (o < v.end! && !v.pending.has(o));
    const candidates = [...new Set([...this.pending.keys(), ...local.pending.keys()])].sort((a, b) => a - b);
    const pending = new Map<number, string | undefined>();
    const byId = new Map<string, number[]>();
    for (const o of candidates) {
      if (o < base || views.some((v) => doneIn(v, o))) continue;
      const id = local.pending.get(o);
      pending.set(o, id);
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), o]);
    }
    this.base = base;
    this.end = end;
    this.pending = pending;
    this.offsetsById = byId;
    // The local tracker's read-back is the one under way (or finished: then none is needed).
    this.rewind = local.rewind;
  }
}
