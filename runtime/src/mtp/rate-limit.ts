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
