/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Time is passed in (ms), so the
 * logic is pure and tested without clocks. Used for per-agent send and directory quotas.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | null = null;

  constructor(
    readonly rate: number,
    readonly burst: number = rate,
  ) {
    this.tokens = burst;
  }

  private refill(nowMs: number): void {
    if (this.last === null) {
      this.last = nowMs;
      return;
    }
    const elapsed = nowMs - this.last;
    // A clock that goes backwards refills nothing (and does not make tokens disappear either).
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.last = nowMs;
    }
  }

  /** Takes `n` tokens if the bucket holds them; otherwise takes nothing and answers false. */
  take(n: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Whether `n` tokens are available now (without taking them). */
  has(n: number, nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= n;
  }

  /** Tokens available now. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }
}
