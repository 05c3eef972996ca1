/**
 * A push metric exporter that counts the data points of every failed export into
 * `caxton.telemetry.dropped{signal="metrics",reason="export_failed"}`: the periodic reader only
 * logs a failure through `diag`, and a collector that is down must show up on the Prometheus side.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { DropCounter } from './drop-counter.js';

export function dataPointCount(metrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) for (const m of scope.metrics) n += m.dataPoints.length;
  return n;
}

export function countingMetricExporter(exporter: PushMetricExporter, drops: DropCounter): PushMetricExporter {
  const wrapped: PushMetricExporter = {
    export: (metrics, done) => {
      exporter.export(metrics, (result: ExportResult) => {
        if (result.code !== ExportResultCode.SUCCESS) drops.add('metrics', 'export_failed', dataPointCount(metrics));
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
  // Optional hooks: forwarded only when the exporter has them (the reader checks for their presence).
  if (exporter.selectAggregationTemporality) wrapped.selectAggregationTemporality = (t) => exporter.selectAggregationTemporality!(t);
  if (exporter.selectAggregation) wrapped.selectAggregation = (t) => exporter.selectAggregation!(t);
  return wrapped;
}
