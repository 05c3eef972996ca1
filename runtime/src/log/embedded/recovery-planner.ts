/**
 * Rebuilds the log's state from the records found on disk, in file order (pure: fed by the
 * recovery I/O, unit-tested on its own).
 *
 * pending = appended − completed − dead-lettered, ordered by the sequence number stored in each
 * append (not by file position: compaction copies old appends into newer segments).
 *
 * It runs once per record at open (millions of times), so it updates the segments' counters and
 * builds the live log's PendingEntry objects directly: no per-record map of counters, no copy.
 */
import type { IdWindow } from '../id-window.js';
import type { PendingEntry, SegmentRef } from './pending-entry.js';

export interface RecoveredState {
  /** Pending deliveries by id, iterating in append order (sequence number). */
  pending: Map<string, PendingEntry>;
  /** One past the highest sequence number seen (0 for an empty log). */
  nextSeq: number;
}

export class RecoveryPlanner {
  private pending = new Map<string, PendingEntry>();
  private lastSeq = -1;
  private maxSeq = -1;
  private inSeqOrder = true;

  /** @param completedIds receives every completed id seen, for the dedup window. */
  constructor(private readonly completedIds: IdWindow) {}

  /** An Appended frame at `offset` of `segment` (whose counters are updated in place). */
  appended(id: string, seq: number, segment: SegmentRef, offset: number): void {
    segment.appended++;
    segment.live++;
    const known = this.pending.get(id);
    if (known !== undefined) {
      // A compaction copy (same id, same seq) supersedes the older frame; the old segment may
      // still exist when the copy was durable but the old file was not deleted yet.
      known.segment!.live--;
      known.segment = segment;
      known.offset = offset;
      return;
    }
    this.pending.set(id, { seq, segment, offset, completing: false });
    if (seq < this.lastSeq) this.inSeqOrder = false;
    this.lastSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  /** A Completed or DeadLettered record. Ids with no pending append (their segment is gone) change nothing. */
  completed(id: string): void {
    const entry = this.pending.get(id);
    if (entry !== undefined) {
      this.pending.delete(id);
      entry.segment!.live--;
    }
    this.completedIds.add(id);
  }

  /** Sequence numbers seen in segment headers: a log whose appends were all deleted keeps counting. */
  sawBaseSeq(baseSeq: number): void {
    if (baseSeq - 1 > this.maxSeq) this.maxSeq = baseSeq - 1;
  }

  /** One past the highest sequence number seen so far. */
  get nextSeq(): number {
    return this.maxSeq + 1;
  }

  finish(): RecoveredState {
    // Copies of stragglers whose original segment is gone sit late in file order with an early seq.
    if (!this.inSeqOrder) this.pending = new Map([...this.pending].sort((a, b) => a[1].seq - b[1].seq));
    return { pending: this.pending, nextSeq: this.maxSeq + 1 };
  }
}
