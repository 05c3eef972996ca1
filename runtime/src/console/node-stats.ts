/**
 * Feeds the 60-second StatsRing from the bus's events. It listens only while the console is being
 * looked at (a lease each API request or open stream renews, 60 s long), so a node whose console is
 * enabled but closed pays nothing per message.
 */
import type { BusEvents } from '../bus/events.js';
import { StatsRing } from './stats-ring.js';

/** Accept times remembered to measure latency; beyond this the oldest are forgotten (not measured). */
const MAX_IN_FLIGHT = 20_000;

export class NodeStatsCollector {
  private ring: StatsRing;
  private detach: (() => void) | undefined;
  private leaseUntil = 0;
  private readonly acceptedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: BusEvents,
    private readonly leaseMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.ring = new StatsRing(60, 256, now());
  }

  /** Someone is looking: listen (again) for at least `leaseMs`. */
  touch(): void {
    this.leaseUntil = this.now() + this.leaseMs;
    if (this.detach) return;
    this.ring = new StatsRing(60, 256, this.now());
    this.detach = this.events.on(
      (e) => {
        const t = performance.now();
        if (e.type === 'accepted') {
          this.ring.accepted(this.now());
          if (this.acceptedAt.size >= MAX_IN_FLIGHT) this.acceptedAt.delete(this.acceptedAt.keys().next().value!);
          this.acceptedAt.set(e.messageId, t);
        } else if (e.type === 'handled') {
          const at = this.acceptedAt.get(e.messageId);
          if (at === undefined) return;
          this.acceptedAt.delete(e.messageId);
          this.ring.latency(this.now(), t - at);
        }
      },
      ['accepted', 'handled'],
    );
    this.timer = setInterval(() => {
      if (this.now() >= this.leaseUntil) this.stop();
    }, 1000);
    this.timer.unref();
  }

  snapshot(): { throughput: number[]; latencyP50Ms: number[] } {
    return this.ring.snapshot(this.now());
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.acceptedAt.clear();
  }
}
