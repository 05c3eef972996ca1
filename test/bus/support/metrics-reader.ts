/**
 * A real OpenTelemetry metrics SDK for tests: a MeterProvider with a reader collected on demand,
 * and the collected data rendered by the Prometheus exporter's own serializer, so tests read the
 * exact names and labels a Prometheus scrape of the node would show.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';

/** A reader that exports nowhere: `collect()` is called by the test. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class TestMetrics {
  private readonly reader = new OnDemandReader();
  readonly provider = new MeterProvider({ readers: [this.reader] });

  /** Register globally: must happen before the node starts (the metrics API has no proxy). */
  register(): this {
    metrics.setGlobalMeterProvider(this.provider);
    return this;
  }

  /** The Prometheus exposition text of everything recorded so far. */
  async scrape(): Promise<string> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new Error(`metric collection failed: ${errors.map(String).join('; ')}`);
    return new PrometheusSerializer(undefined, false, undefined, true, true).serialize(resourceMetrics);
  }

  async samples(): Promise<Sample[]> {
    return parseExposition(await this.scrape());
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
    metrics.disable();
  }
}

/** Parses `name{a="b",…} value` lines of the Prometheus text format (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The distinct metric names (without _bucket/_sum/_count of histograms). */
export function metricNames(samples: readonly Sample[]): Set<string> {
  return new Set(samples.map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
}
