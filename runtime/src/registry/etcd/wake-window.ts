/**
 * How a partition's wakes are paged out of etcd without the walk turning quadratic (decision 2060,
 * 2026-11-24 *Wake index*). etcd's range read counts every key from its start to its end whatever
 * its `limit` (etcd-io/etcd#16510), so a page read to the end of a long range costs the whole
 * rest of it. Wake keys sort by due time, so reads end at a due-time bound instead: the window
 * [from, from + span). A walk opens with one read to the end of the range (its count: how many
 * keys are left, once), then reads windows sized from the due times seen so each holds about a
 * page: scaled down when one holds more, doubled while they come back sparse. Once as many keys
 * were read as the open read counted, one more read to the end confirms nothing was added
 * meanwhile (or starts over from there). Each read then counts about a page of keys, and a walk
 * costs O(keys) plus the empty windows of gaps in the due times. Pure: no I/O.
 */

export interface WakeWindow {
  /** Due time the window starts at (inclusive). */
  from: number;
  /** Its width in ms (>= 1). */
  span: number;
}

export interface WakeWalk {
  /** The next read's window; undefined: read to the end of the range. */
  window: WakeWindow | undefined;
  /** Keys the last read to the end counted that have not been read since. */
  owed: number;
}

export interface WakeRead {
  /** Keys the read returned (at most `pageSize`). */
  read: number;
  /** Keys its range held from the cursor (etcd's count). */
  counted: number;
  /** Due times of its first and last key (undefined when it returned none). */
  firstDue: number | undefined;
  lastDue: number | undefined;
  pageSize: number;
}

export function startWalk(): WakeWalk {
  return { window: undefined, owed: 0 };
}

/** The read after `r`; 'done' when the range is read to its end. */
export function afterRead(s: WakeWalk, r: WakeRead, maxDue: number): WakeWalk | 'done' {
  // A page with more to come of which no key read as a wake (a foreign or future key) tells no due
  // time: the same read goes on past its last key (the cursor), rather than ending the walk.
  if (r.counted > r.read && r.lastDue === undefined) return { window: s.window, owed: s.window === undefined ? 0 : s.owed - r.read };
  const more = r.counted > r.read && r.lastDue !== undefined;
  if (s.window === undefined) {
    if (!more) return 'done';
    // The page's due times say how wide a window of about a page is.
    const width = r.lastDue! - (r.firstDue ?? r.lastDue!) + 1;
    return bounded(
      { window: { from: r.lastDue!, span: Math.max(1, Math.floor((width * r.pageSize) / Math.max(1, r.read))) }, owed: r.counted - r.read },
      maxDue,
    );
  }
  const owed = s.owed - r.read;
  const w = s.window;
  if (more) {
    // A full window: go on at the last due time read (more keys of it may follow), narrower.
    return bounded({ window: { from: r.lastDue!, span: Math.max(1, Math.floor((w.span * r.pageSize) / r.counted)) }, owed }, maxDue);
  }
  if (owed <= 0) return { window: undefined, owed: 0 };
  const span = r.counted < r.pageSize / 2 ? w.span * 2 : w.span;
  return bounded({ window: { from: w.from + w.span, span }, owed }, maxDue);
}

/** The due-time bound a window's read ends at; undefined: the end of the range. */
export function windowEnd(w: WakeWindow | undefined, maxDue: number): number | undefined {
  if (w === undefined || w.from + w.span > maxDue) return undefined;
  return w.from + w.span;
}

function bounded(s: WakeWalk, maxDue: number): WakeWalk {
  return s.window !== undefined && windowEnd(s.window, maxDue) === undefined ? { window: undefined, owed: s.owed } : s;
}
