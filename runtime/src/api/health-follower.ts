/**
 * Keeps a grpc.health.v1 implementation's statuses in step with the node's health. Polled: the
 * check is a few field reads, and probes are seconds apart. `refresh()` applies a change at once
 * (the node calls it when start-up completes, so the first probe after it sees SERVING).
 */
import type { HealthImplementation } from 'grpc-health-check';
import type { NodeHealth } from '@caxton/core';

/** How often health follows the node's own state. */
export const HEALTH_POLL_MS = 250;

export class HealthFollower {
  private last: 'SERVING' | 'NOT_SERVING' | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `services`: the names reported ('' = the server as a whole, then each service). */
  constructor(
    private readonly impl: HealthImplementation,
    private readonly services: readonly string[],
    private readonly health: () => NodeHealth,
  ) {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), HEALTH_POLL_MS);
    this.timer.unref();
  }

  refresh(): void {
    if (this.stopped) return;
    this.set(this.health().serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** NOT_SERVING from now on, whatever the node says (the server is closing). */
  stop(): void {
    clearInterval(this.timer);
    this.set('NOT_SERVING');
    this.stopped = true;
  }

  private set(status: 'SERVING' | 'NOT_SERVING'): void {
    if (status === this.last) return;
    this.last = status;
    for (const service of this.services) this.impl.setStatus(service, status);
  }
}
