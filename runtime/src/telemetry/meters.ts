/**
 * Shared ground for the runtime's metric instruments (decision 1301). Only @opentelemetry/api is
 * used: the process that runs the node (`caxton serve`, a test) registers the SDK, or nobody does.
 *
 * Names: the Prometheus exporter of the JS SDK turns dots into underscores and adds `_total` to
 * monotonic counters, but does not append the unit, so a name that Prometheus wants with a base
 * unit carries it as its last segment (`caxton.agent.handle.duration.seconds`, unit `s`): the
 * scrape then shows exactly the names of deploy/grafana/caxton-dashboard.json.
 */
import { createNoopMeter, metrics, type Meter, type MeterProvider } from '@opentelemetry/api';
import type { CumulativeHistogram, HistogramDescriptor } from './cumulative-histogram.js';

/** The meter every runtime instrument is created from (one scope: `caxton.runtime`). */
export const METER_NAME = 'caxton.runtime';

const NoopMeter = createNoopMeter().constructor;

/**
 * Is a MeterProvider registered? The metrics API has no proxy (unlike traces): a meter taken
 * before registration stays a no-op forever. So instruments are made when a node starts, and when
 * nothing is registered the node installs none at all: no listener on the bus, no callback, not
 * one call per message (the bus benchmark with no SDK is unchanged).
 */
export function metricsRegistered(): boolean {
  return !(metrics.getMeter(METER_NAME) instanceof NoopMeter);
}

/** The scope of every runtime instrument, the pre-aggregated ones too. */
export const RUNTIME_SCOPE = { name: METER_NAME, version: '0.1.0' } as const;

export function runtimeMeter(): Meter {
  return metrics.getMeter(RUNTIME_SCOPE.name, RUNTIME_SCOPE.version);
}

/** Wall time of one handling: recorded per message, so pre-aggregated where the node can (decision 2200). */
export const HANDLE_DURATION: HistogramDescriptor = {
  name: 'caxton.agent.handle.duration.seconds',
  description: 'Wall time of one handling in the sandbox (instantiation included when it happened)',
  unit: 's',
};

/** The handle-duration histogram every reader of a provider was given as a producer (decision 2200). */
const handleDurations = new WeakMap<MeterProvider, CumulativeHistogram>();

/** Called by whoever registers `provider` after giving `histogram` to each of its readers. */
export function registerHandleDurations(provider: MeterProvider, histogram: CumulativeHistogram): void {
  handleDurations.set(provider, histogram);
}

/** The registered provider's pre-aggregated handle durations; undefined: record through the SDK's histogram. */
export function producedHandleDurations(): CumulativeHistogram | undefined {
  return handleDurations.get(metrics.getMeterProvider());
}

/**
 * Latency buckets in seconds, 100 µs to 10 s: a handling or an fsync is usually well under a
 * millisecond on the embedded log, a Kafka produce or an etcd request tens of milliseconds.
 */
export const SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Records per group commit: powers of two up to the largest groups seen under load. */
export const COUNT_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
