/**
 * The wall clock that names what a timer fired by hand (no timer id) sends (decision 2140): the
 * derived ids of its sends and timers take this reading, so two such firings with the same token
 * must never read the same value. A plain `Date.now()` gives the same millisecond to two firings in
 * one batch, or in consecutive batches within a millisecond, and the second's sends were then
 * dropped as duplicates of the first's. Each reading here is the wall time, or one more than the
 * last reading when the clock has not moved past it: unique within a process. Across restarts the
 * readings stay wall time (a new process starts at the clock, past the last one's readings) unless
 * a process ran ahead of the clock - more than one hand-fired timer a millisecond, sustained, until
 * it stopped - or the clock was stepped back; the same as before for the clock, and the ids were
 * never unique across a clock stepped back.
 */
export function uniqueWallClock(read: () => number = () => Date.now()): () => number {
  let last = -Infinity;
  return () => {
    const t = read();
    last = t > last ? t : last + 1;
    return last;
  };
}
