/**
 * Which segments can go, and which one is worth compacting (pure).
 *
 * Segments are deleted strictly OLDEST FIRST. A completion record usually lives in a later segment
 * than the append it completes; if a later segment could be deleted while an older one stays, a
 * restart would find the append without its completion and hand a finished delivery out again.
 * Deleting only a prefix guarantees that whenever a completion record is gone, so is its append.
 *
 * A few long-pending deliveries ("stragglers", e.g. for a stopped agent) would pin the oldest
 * segment, and with it every later one, forever. So when the oldest closed segment holds few
 * pending deliveries relative to what it stored, they are copied to the active segment and the old
 * segment becomes deletable: compaction.
 */

export interface SegmentUsage {
  no: number;
  /** Pending deliveries whose newest copy is in this segment. */
  live: number;
  /** Append frames the segment holds (originals and compaction copies). */
  appended: number;
}

export interface RetentionPlan {
  /** Segment numbers to delete, oldest first (a prefix of the closed segments). */
  delete: number[];
  /** The oldest remaining closed segment, if its stragglers should be moved. */
  compact: number | undefined;
}

/**
 * @param closed the CLOSED segments (never the active one), oldest first
 * @param compactionRatio compact the oldest segment when live <= appended * ratio
 */
export function planRetention(closed: readonly SegmentUsage[], compactionRatio: number): RetentionPlan {
  const plan: RetentionPlan = { delete: [], compact: undefined };
  let i = 0;
  while (i < closed.length && closed[i]!.live === 0) plan.delete.push(closed[i++]!.no);
  const head = closed[i];
  if (head !== undefined && head.live <= head.appended * compactionRatio) plan.compact = head.no;
  return plan;
}
