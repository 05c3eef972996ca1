/**
 * The node's last 60 seconds for the console's sparklines (pure): messages accepted per second and
 * the median accept-to-handled latency per second. Latency is kept as a bounded sample per second
 * (the first `samplesPerSecond` handled messages), so a busy second costs no more memory than a
 * quiet one.
 */
export class StatsRing {
  private readonly counts: number[];
  private readonly samples: number[][];
  private head = 0;
  private headSecond: number;

  constructor(
    readonly seconds: number,
    readonly samplesPerSecond: number,
    nowMs: number,
  ) {
    this.counts = new Array<number>(seconds).fill(0);
    this.samples = Array.from({ length: seconds }, () => []);
    this.headSecond = Math.floor(nowMs / 1000);
  }

  private advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const steps = Math.min(second - this.headSecond, this.seconds);
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.seconds;
      this.counts[this.head] = 0;
      this.samples[this.head] = [];
    }
    if (second > this.headSecond) this.headSecond = second;
  }

  accepted(nowMs: number, count = 1): void {
    this.advance(nowMs);
    this.counts[this.head]! += count;
  }

  latency(nowMs: number, ms: number): void {
    this.advance(nowMs);
    const slot = this.samples[this.head]!;
    if (slot.length < this.samplesPerSecond) slot.push(ms);
  }

  /** Oldest first, `seconds` entries ending with the current (partial) second. */
  snapshot(nowMs: number): { throughput: number[]; latencyP50Ms: number[] } {
    this.advance(nowMs);
    const throughput: number[] = [];
    const latencyP50Ms: number[] = [];
    for (let i = 1; i <= this.seconds; i++) {
      const at = (this.head + i) % this.seconds;
      throughput.push(this.counts[at]!);
      latencyP50Ms.push(median(this.samples[at]!));
    }
    return { throughput, latencyP50Ms };
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(m * 100) / 100;
}
