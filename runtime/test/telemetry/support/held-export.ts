/**
 * What the bounded telemetry queues' tests share: an exporter that records each batch and never
 * answers until the test calls the batch's callback (a hung collector, or one that fails on cue),
 * and a real meter provider whose `caxton.telemetry.dropped` points the test reads.
 */
import type { ExportResult } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

/** An exporter of `T` (spans, log records) whose answers the test gives: `callbacks[i]` answers `batches[i]`. */
export class HeldExporter<T> {
  readonly batches: T[][] = [];
  readonly callbacks: ((r: ExportResult) => void)[] = [];
  export(items: T[], done: (r: ExportResult) => void): void {
    this.batches.push(items);
    this.callbacks.push(done);
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

export interface TestMeter {
  provider: MeterProvider;
  reader: PeriodicExportingMetricReader;
}

/** A meter provider read only when the test collects (the periodic export is a minute away). */
export function meter(): TestMeter {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 60_000,
  });
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

/** The `caxton.telemetry.dropped` points collected now, as `<signal>/<reason>` → value. */
export async function droppedPoints(m: TestMeter): Promise<Record<string, number>> {
  const { resourceMetrics } = await m.reader.collect();
  const out: Record<string, number> = {};
  for (const sm of resourceMetrics.scopeMetrics)
    for (const metric of sm.metrics) {
      if (metric.descriptor.name !== 'caxton.telemetry.dropped') continue;
      for (const p of metric.dataPoints) out[`${String(p.attributes['signal'])}/${String(p.attributes['reason'])}`] = p.value as number;
    }
  return out;
}
