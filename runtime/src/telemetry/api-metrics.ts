/**
 * caxton.v1 API metrics (decision 1301): calls by method and gRPC status code, and their duration.
 * Methods and codes are fixed sets (the service's RPCs, gRPC's 17 codes): bounded labels.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { SECONDS_BUCKETS } from './meters.js';

export class ApiMetrics {
  private readonly calls: Counter;
  private readonly duration: Histogram;
  /** Label objects per method and per method+code, made once. */
  private readonly labels = new Map<string, Attributes>();

  constructor(meter: Meter) {
    this.calls = meter.createCounter('caxton.api.calls', { description: 'caxton.v1 calls answered, by method and gRPC status code' });
    this.duration = meter.createHistogram('caxton.api.call.duration.seconds', {
      description: 'Time from a caxton.v1 call arriving to its status being sent (a stream: its whole life)',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
  }

  record(method: string, code: string, seconds: number): void {
    this.calls.add(
      1,
      this.label(`${method} ${code}`, () => ({ method, code })),
    );
    this.duration.record(
      seconds,
      this.label(method, () => ({ method })),
    );
  }

  private label(key: string, make: () => Attributes): Attributes {
    let attrs = this.labels.get(key);
    if (attrs === undefined) this.labels.set(key, (attrs = make()));
    return attrs;
  }
}
