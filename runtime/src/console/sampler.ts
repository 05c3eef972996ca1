/**
 * A live stream's per-second budget (pure). A sequence diagram stops being readable well before
 * the bus stops being fast: beyond `budget` messages in a window the client is sent no more
 * messages, only a count of what it missed, so a browser tab never has to draw 100k arrows a second
 * and the server never queues them.
 */
import type { SampledNotice } from '@caxton/core';

export class Sampler {
  private windowStart: number;
  private shown = 0;
  private dropped = 0;
  /** Dropped over the stream's life. */
  totalDropped = 0;

  constructor(
    readonly budget: number,
    readonly windowMs: number,
    now: number,
  ) {
    this.windowStart = now;
  }

  /**
   * Should this message be sent? Also closes the window when it has elapsed, returning the notice
   * for the window that ended if it dropped anything.
   */
  offer(now: number): { send: boolean; notice?: SampledNotice } {
    const notice = this.roll(now);
    const send = this.shown < this.budget;
    if (send) this.shown++;
    else {
      this.dropped++;
      this.totalDropped++;
    }
    return notice ? { send, notice } : { send };
  }

  /** Close the window if it elapsed (called on a timer too, so a burst's last notice is not lost). */
  roll(now: number): SampledNotice | undefined {
    if (now - this.windowStart < this.windowMs) return undefined;
    const notice = this.dropped > 0 ? { shown: this.shown, dropped: this.dropped, windowMs: this.windowMs } : undefined;
    this.windowStart = now;
    this.shown = 0;
    this.dropped = 0;
    return notice;
  }
}
