/**
 * Which segments can go, and which one is worth compacting (pure).
 *
 * A segment's live data is its pending deliveries AND the state of the agents based in it
 * (state-view.ts): both must be copied forward before the segment can go. A segment is "dead" only
 * when it holds neither. Decisions are made in bytes (decision 1991): an agent's state snapshot
 * may be far larger or smaller than the frames it replaces, and only bytes say whether copying
 * frees anything. Before decision 1991 state was not counted as live, every closed segment looked
 * dead, and once the state outgrew a segment retention rewrote it for ever.
 *
 * Segments are deleted strictly OLDEST FIRST. A completion record usually lives in a later segment
 * than the append it completes; if a later segment could be deleted while an older one stays, a
 * restart would find the append without its completion and hand a finished delivery out again.
 * Deleting only a prefix guarantees that whenever a completion record is gone, so is its append.
 *
 * A few long-pending deliveries ("stragglers", e.g. for a stopped agent) would pin the oldest
 * segment, and with it every later one, forever. So the oldest closed segment is COMPACTED (its
 * pending deliveries copied to the active segment, after which it is deletable) when either
 * - it is mostly garbage: live bytes <= its bytes * compactionRatio (cheap: little to copy), or
 * - the closed segments as a whole are more than half garbage (in bytes). This second rule matters because
 *   compaction concentrates stragglers: copied ones gather in newer segments, which become dense
 *   with live data and would fail the first rule forever, pinning all the garbage behind them.
 *   With it the closed segments hold at most about twice the live data (plus the active
 *   segment), and over a pass of compactions no more is copied than is freed.
 * Closed segments that are all live (state that is only ever written once, a consumer backlog) are
 * never compacted: copying them would free nothing.
 *
 * A segment's pending deliveries are weighed as their share of its non-state bytes
 * (live / appended × (bytes − stateBytes)): exact when nothing in it completed, an over-estimate
 * otherwise (completion frames count as live), which errs toward keeping, never toward copying.
 *
 * History kept for replay (issue 57, `ReplayHistory`): the newest closed segments, closed less than
 * `ms` ago and together at most `bytes`, are neither deleted nor compacted — `caxton replay` and
 * `upgrade --replay` read what they hold. They are a suffix of the closed segments, so retention
 * works on the prefix before them, oldest first as always.
 */

/** Compact when more than this share of the append frames in closed segments is garbage. */
export const MAX_GARBAGE_SHARE = 0.5;

export interface SegmentUsage {
  no: number;
  /** When it was closed (ms since epoch); unknown: not kept for replay. */
  closedAt?: number;
  /** Pending deliveries whose newest copy is in this segment. */
  live: number;
  /** Append frames the segment holds (originals and compaction copies). */
  appended: number;
  /** Frame bytes of the segment (file header excluded). Without it, one unit per append frame. */
  bytes?: number;
  /** Bytes of its state frames. */
  stateBytes?: number;
  /** Snapshot bytes of the agents whose state is based in it (its live state). */
  basedBytes?: number;
}

export interface RetentionPlan {
  /** Segment numbers to delete, oldest first (a prefix of the closed segments). */
  delete: number[];
  /** The oldest remaining closed segment, if its stragglers should be moved. */
  compact: number | undefined;
}

/** History kept for replay: closed segments younger than `ms`, newest first, at most `bytes` in all. */
export interface ReplayHistory {
  ms: number;
  bytes: number;
  /** The clock now (ms since epoch). */
  now: number;
}

/**
 * How many of the closed segments (oldest first) are older than the history kept for replay: the
 * segments from this index on are kept. All of them when no history is kept.
 */
export function historyStart(closed: readonly SegmentUsage[], history: ReplayHistory | undefined): number {
  if (history === undefined || history.ms <= 0 || history.bytes <= 0) return closed.length;
  let start = closed.length;
  let kept = 0;
  for (let j = closed.length - 1; j >= 0; j--) {
    const s = closed[j]!;
    const size = s.bytes ?? s.appended;
    if (s.closedAt === undefined || history.now - s.closedAt > history.ms || kept + size > history.bytes) break;
    kept += size;
    start = j;
  }
  return start;
}

/**
 * @param closed the CLOSED segments (never the active one), oldest first
 * @param compactionRatio compact the oldest segment when live <= appended * ratio
 * @param history what is kept for replay (none: every closed segment is retention's)
 */
export function planRetention(all: readonly SegmentUsage[], compactionRatio: number, history?: ReplayHistory): RetentionPlan {
  const closed = all.slice(0, historyStart(all, history));
  const plan: RetentionPlan = { delete: [], compact: undefined };
  let i = 0;
  while (i < closed.length && closed[i]!.live === 0 && (closed[i]!.basedBytes ?? 0) === 0) plan.delete.push(closed[i++]!.no);
  const head = closed[i];
  if (head === undefined) return plan;
  let live = 0;
  let bytes = 0;
  for (let j = i; j < closed.length; j++) {
    live += liveBytes(closed[j]!);
    bytes += closed[j]!.bytes ?? closed[j]!.appended;
  }
  const headMostlyGarbage = liveBytes(head) <= (head.bytes ?? head.appended) * compactionRatio;
  const closedMostlyGarbage = bytes - live > bytes * MAX_GARBAGE_SHARE;
  if (headMostlyGarbage || closedMostlyGarbage) plan.compact = head.no;
  return plan;
}

/** A segment's live bytes (estimated for deliveries, see above), at most its bytes. */
export function liveBytes(segment: SegmentUsage): number {
  const bytes = segment.bytes ?? segment.appended;
  const stateBytes = segment.stateBytes ?? 0;
  const deliveries = segment.appended === 0 ? 0 : (segment.live / segment.appended) * Math.max(0, bytes - stateBytes);
  return Math.min(bytes, deliveries + (segment.basedBytes ?? 0));
}
