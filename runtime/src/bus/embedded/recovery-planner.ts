/**
 * Rebuilds the log's state from the records found on disk, in file order (pure: fed by the
 * recovery I/O, unit-tested on its own).
 *
 * pending = appended − completed − dead-lettered, ordered by the sequence number stored in each
 * append (not by file position: compaction copies old appends into newer segments).
 */
import type { DedupWindow } from './dedup-window.js';

export interface RecoveredEntry {
  id: string;
  seq: number;
  /** Segment holding the newest copy of the append frame, and the frame's offset in it. */
  segment: number;
  offset: number;
}

export interface RecoveredState {
  /** Pending deliveries, oldest first. */
  pending: RecoveredEntry[];
  /** Per segment: pending deliveries whose newest copy it holds. */
  live: Map<number, number>;
  /** Per segment: append frames it holds. */
  appended: Map<number, number>;
  /** One past the highest sequence number seen (0 for an empty log). */
  nextSeq: number;
}

export class RecoveryPlanner {
  private readonly pending = new Map<string, RecoveredEntry>();
  private readonly live = new Map<number, number>();
  private readonly appendedFrames = new Map<number, number>();
  private lastSeq = -1;
  private maxSeq = -1;
  private inSeqOrder = true;

  /** @param completedIds receives every completed id seen, for the dedup window. */
  constructor(private readonly completedIds: DedupWindow) {}

  appended(id: string, seq: number, segment: number, offset: number): void {
    bump(this.appendedFrames, segment, 1);
    const known = this.pending.get(id);
    if (known !== undefined) {
      // A compaction copy (same id, same seq) supersedes the older frame; the old segment may
      // still exist when the copy was durable but the old file was not deleted yet.
      bump(this.live, known.segment, -1);
      known.segment = segment;
      known.offset = offset;
      bump(this.live, segment, 1);
      return;
    }
    this.pending.set(id, { id, seq, segment, offset });
    bump(this.live, segment, 1);
    if (seq < this.lastSeq) this.inSeqOrder = false;
    this.lastSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  /** A Completed or DeadLettered record. Ids with no pending append (their segment is gone) change nothing. */
  completed(id: string): void {
    const entry = this.pending.get(id);
    if (entry !== undefined) {
      this.pending.delete(id);
      bump(this.live, entry.segment, -1);
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
    const pending = [...this.pending.values()];
    // Copies of stragglers whose original segment is gone sit late in file order with an early seq.
    if (!this.inSeqOrder) pending.sort((a, b) => a.seq - b.seq);
    return { pending, live: this.live, appended: this.appendedFrames, nextSeq: this.maxSeq + 1 };
  }
}

function bump(counts: Map<number, number>, key: number, delta: number): void {
  counts.set(key, (counts.get(key) ?? 0) + delta);
}
