/** A token bucket per peer: `rate` posts per second, bursts up to twice that. Pure (time is given). */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  take(key: string, rate: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const burst = rate * 2;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / rate) * 1000) };
  }
}

/**
 * Posts being read or sent at once, per peer and in all: a rate bounds how fast posts start, this
 * bounds how many hold a buffer and a connection together. Pure.
 */
export class InFlight {
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perKey: number,
    private readonly max: number,
  ) {}

  /** Take a place for `key`; false (and nothing taken) past either cap. */
  enter(key: string): boolean {
    const n = this.byKey.get(key) ?? 0;
    if (n >= this.perKey || this.total >= this.max) return false;
    this.byKey.set(key, n + 1);
    this.total++;
    return true;
  }

  leave(key: string): void {
    const n = this.byKey.get(key) ?? 0;
    if (n <= 1) this.byKey.delete(key);
    else this.byKey.set(key, n - 1);
    this.total = Math.max(0, this.total - 1);
  }
}
