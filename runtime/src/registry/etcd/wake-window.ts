/**
 * How a partition's wakes are paged out of etcd without the walk turning quadratic (decision 2060,
 * 2026-11-24 *Wake index*). etcd's range read counts every key from its start to its end whatever
 * its `limit` (etcd-io/etcd#16510), so a page read to the end of a long range costs the whole
 * rest of it. Wake keys sort by due time, so each read ends at a due-time bound instead: the
 * window [from, from + span). Its `count` says how many keys the window held; the next window's
 * span is scaled so it holds about a page, doubled while windows come back sparse. Each read then
 * counts about one page of keys, and a walk costs O(keys) plus a few dozen empty windows
 * (doubling from milliseconds to the last due time a key can hold). Pure: no I/O.
 */

export interface WakeWindow {
  /** Due time the window starts at (inclusive). */
  from: number;
  /** Its width in ms (>= 1). */
  span: number;
}

/** The first window of a walk: from the epoch would mean ~40 empty doublings before now, so it starts at 0 with a wide span. */
export function firstWindow(initialSpanMs: number): WakeWindow {
  return { from: 0, span: Math.max(1, Math.floor(initialSpanMs)) };
}

/**
 * After a read of `read` keys (at most `pageSize`) out of the `counted` keys the window held from
 * the cursor: the window to read next. A full page with more left stays at the last due time read
 * (keys of that same due time may follow) with a span scaled to hold about a page; a window read
 * to its end moves on to the next one, twice as wide when it held under half a page.
 */
export function nextWindow(w: WakeWindow, r: { read: number; counted: number; lastDue: number | undefined; pageSize: number }): WakeWindow {
  if (r.counted > r.read && r.lastDue !== undefined) {
    const scaled = Math.floor((w.span * r.pageSize) / r.counted);
    return { from: r.lastDue, span: Math.max(1, scaled) };
  }
  const span = r.counted < r.pageSize / 2 ? w.span * 2 : w.span;
  return { from: w.from + w.span, span: Math.min(span, Number.MAX_SAFE_INTEGER) };
}

/** The window reaches past the last due time a key can hold: read it to the end of the range. */
export function isLastWindow(w: WakeWindow, maxDue: number): boolean {
  return w.from + w.span > maxDue;
}
