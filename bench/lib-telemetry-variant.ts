/**
 * The telemetry-on variant of the bus benchmark (issue 13): the same persisted ping-pong, with the
 * node exporting every span and its metrics over OTLP to a real OpenTelemetry Collector and a real
 * Prometheus scraping its --metrics-addr every second, alternated with telemetry off (off, on,
 * off, on…) so that both see the same machine. Both receivers come from scripts/infra (built or
 * unpacked once, cached) and run on this machine, so their CPU competes with the node's: the
 * ratio is a pessimistic one for a deployment where the collector runs elsewhere.
 */
import { parseTelemetryConfig, type TelemetryConfig } from '@caxton/runtime';

interface Handle {
  stop(): Promise<void>;
}
interface Collector extends Handle {
  otlpHttpEndpoint: string;
}
interface Prometheus extends Handle {
  query(q: string): Promise<{ result: unknown[] }>;
}
interface Infra {
  startOtelCollector(opts?: { batchTimeoutMs?: number }): Promise<Collector>;
  startPrometheus(opts: { scrapeTargets: string[]; scrapeIntervalS?: number }): Promise<Prometheus>;
  freePort(): Promise<number>;
}

export interface TelemetryReceivers {
  /** The node's telemetry config for an "on" run: OTLP to the collector, Prometheus on a fixed port. */
  config(sampleRatio: number): TelemetryConfig;
  /** Successful scrapes of the node so far (Prometheus's own `up` samples that were 1). */
  scrapes(): Promise<number>;
  stop(): Promise<void>;
}

export async function startTelemetryReceivers(): Promise<TelemetryReceivers> {
  const infra = (await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as Infra;
  // The batch processor is what a collector deployment runs; it also keeps the file exporter's writes large.
  const collector = await infra.startOtelCollector({ batchTimeoutMs: 1000 });
  const port = await infra.freePort();
  const prometheus = await infra.startPrometheus({ scrapeTargets: [`127.0.0.1:${port}`], scrapeIntervalS: 1 });
  return {
    config: (sampleRatio) =>
      parseTelemetryConfig(
        { otlpEndpoint: collector.otlpHttpEndpoint, metricsAddr: `127.0.0.1:${port}`, traceSample: sampleRatio },
        { OTEL_METRIC_EXPORT_INTERVAL: '1000' },
      ),
    scrapes: async () => {
      const r = await prometheus.query('sum_over_time(up[1h])');
      const v = (r.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
      return v === undefined ? 0 : Number(v);
    },
    stop: async () => {
      await Promise.allSettled([prometheus.stop(), collector.stop()]);
    },
  };
}
