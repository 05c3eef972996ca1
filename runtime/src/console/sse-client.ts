/**
 * One server-sent-events response with a bounded queue. While the socket accepts writes they go
 * straight out; once it pushes back (a slow or stalled browser), up to `maxQueued` events and
 * `maxQueuedUnits` UTF-16 code units of them wait for 'drain' and the rest are dropped and counted
 * — never buffered without bound. Both bounds: an event carries a message (up to 1 MiB, twice: as
 * JSON and as FIPA text), so a count alone let a stalled tab hold half a GiB.
 */
import type { ServerResponse } from 'node:http';

/** Text a stalled client's queue may hold (code units): a few large messages, or many small ones. */
export const DEFAULT_MAX_QUEUED_UNITS = 4 * 1024 * 1024;

export class SseClient {
  private readonly queue: string[] = [];
  private queuedUnits = 0;
  private blocked = false;
  private closed = false;
  /** Events dropped because the queue was full, not yet reported to the client. */
  unreportedDrops = 0;
  /** Events dropped because the queue was full, over the stream's life. */
  totalQueueDrops = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxQueued: number,
    private readonly maxQueuedUnits = DEFAULT_MAX_QUEUED_UNITS,
  ) {
    res.on('drain', () => this.flush());
  }

  get queued(): number {
    return this.queue.length;
  }

  get isClosed(): boolean {
    return this.closed || this.res.destroyed || this.res.writableEnded;
  }

  /** Write one formatted event (or comment); false when it was dropped. */
  write(chunk: string): boolean {
    if (this.isClosed) return false;
    if (this.blocked) {
      if (this.queue.length >= this.maxQueued || this.queuedUnits + chunk.length > this.maxQueuedUnits) {
        this.unreportedDrops++;
        this.totalQueueDrops++;
        return false;
      }
      this.queue.push(chunk);
      this.queuedUnits += chunk.length;
      return true;
    }
    if (!this.res.write(chunk)) this.blocked = true;
    return true;
  }

  private flush(): void {
    this.blocked = false;
    while (this.queue.length > 0 && !this.isClosed) {
      const next = this.queue.shift()!;
      this.queuedUnits -= next.length;
      if (!this.res.write(next)) {
        this.blocked = true;
        return;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queuedUnits = 0;
    if (!this.res.writableEnded) this.res.end();
  }
}
