/**
 * `caxton.telemetry.dropped` (Prometheus: `caxton_telemetry_dropped_total{signal,reason}`): telemetry
 * the node produced and never delivered — spans and log records dropped because their export queue
 * was full, spans, log records and metric points whose export failed. Recorded through the node's own MeterProvider (not the
 * global one), so it exists even when the global API is someone else's. Each signal's series is
 * created at zero at start, so "no drops" is a visible 0 rather than an absent series.
 */
import type { Counter, Meter } from '@opentelemetry/api';

export type TelemetrySignal = 'traces' | 'metrics' | 'logs';
export type DropReason = 'queue_full' | 'export_failed';

export class DropCounter {
  private readonly counter: Counter;
  private readonly totals = new Map<string, number>();

  constructor(meter: Meter) {
    this.counter = meter.createCounter('caxton.telemetry.dropped', {
      description: 'Spans, metric data points and log records the node produced and could not export (queue full, export failed)',
    });
    for (const signal of ['traces', 'metrics', 'logs'] as const) this.counter.add(0, { signal, reason: 'queue_full' });
  }

  add(signal: TelemetrySignal, reason: DropReason, n: number): void {
    if (n <= 0) return;
    this.counter.add(n, { signal, reason });
    const key = `${signal}/${reason}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + n);
  }

  /** What was dropped so far (for shutdown messages and tests). */
  total(signal: TelemetrySignal, reason?: DropReason): number {
    let sum = 0;
    for (const [key, n] of this.totals) if (key.startsWith(`${signal}/`) && (reason === undefined || key.endsWith(`/${reason}`))) sum += n;
    return sum;
  }
}
