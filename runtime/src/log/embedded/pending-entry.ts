/**
 * The in-memory state shared by the write path, recovery and retention: one small entry per
 * pending delivery, and a few counters per segment. Recovery builds exactly these objects, so the
 * map it produces becomes the live log's pending map without a copy.
 */

/** The per-segment counters the state needs (the file-level segment object extends this). */
export interface SegmentRef {
  readonly no: number;
  /** Pending deliveries whose newest append frame is in this segment. */
  live: number;
  /** Append frames the segment holds (originals and compaction copies). */
  appended: number;
  /** Bytes of the state frames the segment holds (decision 1600). */
  stateBytes: number;
  /**
   * What the state of the agents whose state is BASED in this segment would take as snapshots, in
   * bytes (StateView keeps it): the segment's live state, which retention must copy to delete it.
   */
  basedBytes: number;
}

/** Where a pending delivery's newest append frame is. `segment` is unset until its group is durable. */
export interface PendingEntry {
  /** Position in append order; survives compaction copies. */
  seq: number;
  segment: SegmentRef | undefined;
  offset: number;
  /** A completion or dead-letter record for it is queued: compaction must not copy it any more. */
  completing: boolean;
}
