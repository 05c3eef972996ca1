/**
 * What one guest call may write to stdout and stderr together (`maxOutputBytes`, decision 2114).
 * Each write is admitted up to what is left of the call's budget; the rest is dropped and counted.
 * The jco path asks `room` before its glue lifts a write (lift-guard.ts, `guardStreamImports`), so
 * a write past the budget is lifted only up to it: the bytes dropped are never copied out of guest
 * memory, scanned or charged per byte. Pure: no I/O.
 */
export class OutputBudget {
  private written = 0;
  private droppedBytes = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes the call may still write. */
  room(): number {
    return Math.max(0, this.maxBytes - this.written);
  }

  /** Of a write of `bytes`, how many may be read; the rest is dropped and counted. */
  admit(bytes: number): number {
    const take = Math.min(bytes, this.room());
    this.written += take;
    this.droppedBytes += bytes - take;
    return take;
  }

  /** Counts `bytes` dropped without being read (a write cut short before it was lifted). */
  drop(bytes: number): void {
    this.droppedBytes += bytes;
  }

  /** Ends the call: answers the bytes it dropped, and the next call starts with the whole budget. */
  end(): number {
    const dropped = this.droppedBytes;
    this.written = 0;
    this.droppedBytes = 0;
    return dropped;
  }
}
