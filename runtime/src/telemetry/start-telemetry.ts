/**
 * Registers the OpenTelemetry SDK of a node: a tracer provider exporting spans over OTLP through a
 * bounded queue, a meter provider read by an OTLP periodic exporter and/or the Prometheus
 * endpoint, and a logger provider exporting agent log records over OTLP through a bounded queue
 * (decision 1850; the node's own, not registered globally: only the node emits log records). Everything else in the runtime records through `@opentelemetry/api` only; this is the
 * one place that decides where it goes. Must run before any instrument is created: the metrics
 * API has no proxy, so a meter taken before registration stays a no-op for good.
 */
import { metrics, trace } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  AggregationTemporality,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { describeTelemetry, type SamplerConfig, type TelemetryConfig } from './config.js';
import { ExportBound } from './export-bound.js';
import { encodeResource, OtlpTraceEncoder } from './lean/otlp-encoder.js';
import { loadTlsFiles, OtlpHttpSpanExporter } from './lean/otlp-http-exporter.js';
import { NodeParentBasedSampler } from './lean/parent-based-sampler.js';
import { LeanSpanQueue } from './lean/span-queue.js';
import { LeanTracerProvider } from './lean/tracer.js';
import { BoundedLogProcessor } from './bounded-log-processor.js';
import { countingMetricExporter } from './counting-metric-exporter.js';
import { CumulativeHistogram } from './cumulative-histogram.js';
import { DropCounter } from './drop-counter.js';
import { loadOtlpExporter } from './load-otlp-exporter.js';
import { HANDLE_DURATION, registerHandleDurations, RUNTIME_SCOPE, SECONDS_BUCKETS } from './meters.js';
import { servePrometheus, type PrometheusEndpoint } from './prometheus-endpoint.js';
import { nodeResource, prometheusLabels, type NodeIdentity } from './resource.js';
import { setMaxAgentLabels } from './cardinality.js';
import { TelemetryError } from './errors.js';
import { markParentBasedSampling } from './trace-context.js';

/** The instrumentation scope of the node's log records. */
export const LOG_SCOPE = 'caxton.agent.logs';
/** The instrumentation scope of the node's own lines (its notes, warnings, its libraries' lines). */
export const NODE_LOG_SCOPE = 'caxton.node.logs';

/** How long stop waits for the last spans and metrics to leave (a dead collector must not hold it). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 3000;

export interface StartTelemetryOptions {
  /** Extra metric readers (tests: an in-memory reader), added to the configured ones. */
  metricReaders?: IMetricReader[];
}

export interface RunningTelemetry {
  /** Where the Prometheus endpoint listens (host:port), if it does. */
  prometheusAddress: string | undefined;
  /** Lines for `caxton serve` to print: where each signal goes. */
  describe(): string[];
  drops: DropCounter;
  /** Spans delivered to the OTLP endpoint so far (0 when traces are not exported). */
  spansExported(): number;
  /** Where agents' log records go over OTLP; undefined when logs are not exported. */
  logger: Logger | undefined;
  /** Where the node's own lines go over OTLP (scope `caxton.node.logs`, node-log-export.ts); undefined when logs are not exported. */
  nodeLogger: Logger | undefined;
  /** Log records delivered to the OTLP endpoint so far (0 when logs are not exported). */
  logsExported(): number;
  /** Export what is buffered now (tests; the periodic reader does it on its own). */
  flush(): Promise<void>;
  /** Flush and stop, waiting at most `timeoutMs`; unregisters the global providers. */
  shutdown(timeoutMs?: number): Promise<void>;
}

export function samplerOf(c: SamplerConfig): Sampler {
  const root =
    c.root === 'always_on'
      ? new AlwaysOnSampler()
      : c.root === 'always_off'
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(c.ratio);
  return c.parentBased ? new NodeParentBasedSampler(root) : root;
}

function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([
    work.then(
      () => {},
      () => {},
    ),
    deadline,
  ]).finally(() => clearTimeout(timer));
}

export async function startTelemetry(
  config: TelemetryConfig,
  node: NodeIdentity,
  opts: StartTelemetryOptions = {},
): Promise<RunningTelemetry> {
  setMaxAgentLabels(config.maxAgentLabels);
  const resource = nodeResource(config, node);

  const readers: IMetricReader[] = [...(opts.metricReaders ?? [])];
  // The drop counter records into this provider; it only needs a meter, taken after construction.
  let drops: DropCounter | undefined;
  const lateDrops = { add: (...a: Parameters<DropCounter['add']>) => drops?.add(...a) } as unknown as DropCounter;
  let otlpExporter: PushMetricExporter | undefined;
  if (config.metrics) {
    const { OTLPMetricExporter } = await loadOtlpExporter(
      'metrics',
      '@opentelemetry/exporter-metrics-otlp-proto',
      () => import('@opentelemetry/exporter-metrics-otlp-proto'),
    );
    otlpExporter = new OTLPMetricExporter({ url: config.metrics.url, headers: { ...config.metrics.headers } });
  }
  // Handle durations are aggregated by the node and read as a producer (decision 2200) when every
  // reader is the node's own and reads histograms cumulatively (the producer's only temporality):
  // readers passed in were made without it, and an OTLP exporter asked for delta
  // (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE) gets the SDK's histogram as before.
  const cumulative = otlpExporter?.selectAggregationTemporality?.(InstrumentType.HISTOGRAM) !== AggregationTemporality.DELTA;
  const handleDurations =
    readers.length === 0 && cumulative ? new CumulativeHistogram(HANDLE_DURATION, SECONDS_BUCKETS, RUNTIME_SCOPE) : undefined;
  const metricProducers = handleDurations === undefined ? [] : [handleDurations];
  if (otlpExporter !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: countingMetricExporter(otlpExporter, lateDrops),
        exportIntervalMillis: config.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(30_000, config.metricExportIntervalMs),
        metricProducers,
      }),
    );
  }
  const prometheus = config.prometheus ? new PrometheusExporter({ preventServerStart: true, metricProducers }) : undefined;
  if (prometheus) readers.push(prometheus);

  const meterProvider = new MeterProvider({ resource, readers });
  if (handleDurations !== undefined) registerHandleDurations(meterProvider, handleDurations);
  drops = new DropCounter(meterProvider.getMeter('caxton.telemetry'));

  let endpoint: PrometheusEndpoint | undefined;
  try {
    if (prometheus && config.prometheus)
      endpoint = await servePrometheus(prometheus, config.prometheus.host, config.prometheus.port, prometheusLabels(node));
  } catch (err) {
    await meterProvider.shutdown().catch(() => {});
    throw err;
  }

  // Spans are recorded and encoded by the lean tracer, not the SDK's TracerProvider (decision 2186).
  let tracerProvider: LeanTracerProvider | undefined;
  let spanQueue: LeanSpanQueue | undefined;
  if (config.traces) {
    let tls;
    try {
      tls = loadTlsFiles(config.traces.tls);
    } catch (err) {
      await endpoint?.close();
      await meterProvider.shutdown().catch(() => {});
      throw err;
    }
    const bound = new ExportBound('traces', drops, { maxQueueSize: config.spanQueueSize, exportTimeoutMs: config.traces.timeoutMs });
    const exporter = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource(resource.attributes)), {
      url: config.traces.url,
      headers: config.traces.headers,
      timeoutMs: config.traces.timeoutMs,
      compression: config.traces.compression,
      tls,
    });
    spanQueue = new LeanSpanQueue(bound, exporter);
    tracerProvider = new LeanTracerProvider({ sampler: samplerOf(config.sampler), sink: spanQueue });
    // Lets the bus copy an unsampled context instead of building a span that records nothing (1303).
    if (config.sampler.parentBased) markParentBasedSampling(tracerProvider);
  }

  let loggerProvider: LoggerProvider | undefined;
  let logProcessor: BoundedLogProcessor | undefined;
  if (config.logs) {
    const { OTLPLogExporter } = await loadOtlpExporter(
      'logs',
      '@opentelemetry/exporter-logs-otlp-proto',
      () => import('@opentelemetry/exporter-logs-otlp-proto'),
    );
    const exporter = new OTLPLogExporter({ url: config.logs.url, headers: { ...config.logs.headers } });
    loggerProvider = new LoggerProvider({
      resource,
      processors: [(logProcessor = new BoundedLogProcessor(exporter, drops, { maxQueueSize: config.logQueueSize }))],
    });
  }

  const registered =
    metrics.setGlobalMeterProvider(meterProvider) && (tracerProvider === undefined || trace.setGlobalTracerProvider(tracerProvider));
  if (!registered) {
    metrics.disable();
    trace.disable();
    await endpoint?.close();
    await meterProvider.shutdown().catch(() => {});
    await tracerProvider?.shutdown().catch(() => {});
    await loggerProvider?.shutdown().catch(() => {});
    throw new TelemetryError('telemetry.already-registered', 'another OpenTelemetry SDK is already registered in this process', {
      hint: "a process runs one node with telemetry; embedders that register their own SDK leave the node's telemetry options unset",
    });
  }

  let stopped = false;
  return {
    prometheusAddress: endpoint?.address,
    describe: () => describeTelemetry(config, endpoint?.address),
    drops,
    spansExported: () => spanQueue?.exported ?? 0,
    logger: loggerProvider?.getLogger(LOG_SCOPE),
    nodeLogger: loggerProvider?.getLogger(NODE_LOG_SCOPE),
    logsExported: () => logProcessor?.exported ?? 0,
    async flush() {
      await Promise.all([tracerProvider?.forceFlush(), loggerProvider?.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) {
      if (stopped) return;
      stopped = true;
      // Spans and logs first: the meter provider's last export then includes drops counted while flushing.
      await withDeadline(Promise.all([tracerProvider?.shutdown(timeoutMs), loggerProvider?.shutdown()]), timeoutMs);
      await withDeadline(meterProvider.shutdown(), timeoutMs);
      await endpoint?.close();
      trace.disable();
      metrics.disable();
    },
  };
}
