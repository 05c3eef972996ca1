/**
 * The bound between the bus and span export (export-bound.ts does the counting). Spans end on the
 * bus thread; the BatchSpanProcessor buffers them and an exporter ships them over HTTP in the
 * background; a slow or dead collector must neither grow that buffer without bound nor make ending
 * a span wait. Drops go to `caxton.telemetry.dropped{signal="traces"}`.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { BoundedBatchProcessor } from './bounded-batch-processor.js';
import type { DropCounter } from './drop-counter.js';
import { ExportBound, type ExportBoundOptions } from './export-bound.js';

export type BoundedSpanProcessorOptions = ExportBoundOptions;

export class BoundedSpanProcessor extends BoundedBatchProcessor<BatchSpanProcessor> implements SpanProcessor {
  constructor(exporter: SpanExporter, drops: DropCounter, opts: BoundedSpanProcessorOptions) {
    const bound = new ExportBound('traces', drops, opts);
    super(bound, (settings) => new BatchSpanProcessor({ exporter: bound.countingExporter(exporter), ...settings }));
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // The batch processor ignores unsampled spans; so do we (they never take a slot).
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.bound.admit()) this.inner.onEnd(span);
  }
}
