/**
 * OpenTelemetry instruments for outbound calls (decision 1601), through @opentelemetry/api: no-ops
 * until the process installs a MeterProvider, so a node without an SDK pays one method call.
 * `outcome` is the status class (`2xx`…) or the failure kind, a small fixed set (bounded
 * cardinality); per-URL detail belongs in the `http-call` event, not in metric labels.
 */
import { metrics, type Counter, type Histogram } from '@opentelemetry/api';
import type { HttpCallEvent } from '@caxton/core';

export class HttpMetrics {
  private readonly calls: Counter;
  private readonly duration: Histogram;

  constructor() {
    const meter = metrics.getMeter('caxton.runtime.http');
    this.calls = meter.createCounter('caxton.agent.http.calls', { description: 'Outbound HTTP calls answered, by agent and outcome' });
    this.duration = meter.createHistogram('caxton.agent.http.duration', {
      description: 'Outbound HTTP call duration, from sending to the answer',
      unit: 'ms',
    });
  }

  record(e: HttpCallEvent): void {
    const attributes = { agent: e.agent, outcome: outcomeOf(e) };
    this.calls.add(1, attributes);
    this.duration.record(e.durationMs, attributes);
  }
}

export function outcomeOf(e: Pick<HttpCallEvent, 'status' | 'failure'>): string {
  if (e.failure !== undefined) return e.failure;
  return `${Math.floor((e.status ?? 0) / 100)}xx`;
}
