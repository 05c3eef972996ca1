/**
 * Which segments can go, and which one is worth compacting (pure).
 *
 * Segments are deleted strictly OLDEST FIRST. A completion record usually lives in a later segment
 * than the append it completes; if a later segment could be deleted while an older one stays, a
 * restart would find the append without its completion and hand a finished delivery out again.
 * Deleting only a prefix guarantees that whenever a completion record is gone, so is its append.
 *
 * A few long-pending deliveries ("stragglers", e.g. for a stopped agent) would pin the oldest
 * segment, and with it every later one, forever. So the oldest closed segment is COMPACTED (its
 * pending deliveries copied to the active segment, after which it is deletable) when either
 * - it is mostly garbage: live <= appended * compactionRatio (cheap: little to copy), or
 * - the closed segments as a whole are more than half garbage. This second rule matters because
 *   compaction concentrates stragglers: copied ones gather in newer segments, which become dense
 *   with live data and would fail the first rule forever, pinning all the garbage behind them.
 *   With it the closed segments hold at most about twice the pending deliveries (plus the active
 *   segment), and over a pass of compactions no more is copied than is freed.
 */

/** Compact when more than this share of the append frames in closed segments is garbage. */
export const MAX_GARBAGE_SHARE = 0.5;

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
  if (head === undefined) return plan;
  let live = 0;
  let appended = 0;
  for (let j = i; j < closed.length; j++) {
    live += closed[j]!.live;
    appended += closed[j]!.appended;
  }
  const headMostlyGarbage = head.live <= head.appended * compactionRatio;
  const closedMostlyGarbage = appended - live > appended * MAX_GARBAGE_SHARE;
  if (headMostlyGarbage || closedMostlyGarbage) plan.compact = head.no;
  return plan;
}
