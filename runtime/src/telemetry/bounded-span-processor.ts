/**
 * The bound between the bus and span export. Spans end on the bus thread; the BatchSpanProcessor
 * buffers them and an exporter ships them over HTTP in the background. When the collector is slow
 * or down the buffer must not grow without bound (memory) and ending a span must never wait for
 * the network (the bus). The SDK's processor already drops past `maxQueueSize`, but only logs it
 * through `diag`, so this wrapper keeps its own count of spans waiting (handed to the batch
 * processor, not yet handed to the exporter), drops at the bound itself and counts every drop —
 * and every span an export failed to deliver — into `caxton.telemetry.dropped{signal="traces"}`.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DropCounter } from './drop-counter.js';

export interface BoundedSpanProcessorOptions {
  /** Spans waiting for export before new ones are dropped. */
  maxQueueSize: number;
  /** Spans per export request (default 512, the SDK's). */
  maxExportBatchSize?: number;
  /** How long a span may wait for a full batch, ms (default 1000). */
  scheduledDelayMs?: number;
  /** One export's deadline, ms (default 10000). */
  exportTimeoutMs?: number;
}

export class BoundedSpanProcessor implements SpanProcessor {
  private waiting = 0;
  /** Spans the exporter reported delivered (benchmarks print it: what telemetry-on really shipped). */
  exported = 0;
  private readonly inner: BatchSpanProcessor;
  private readonly maxQueueSize: number;

  constructor(exporter: SpanExporter, private readonly drops: DropCounter, opts: BoundedSpanProcessorOptions) {
    this.maxQueueSize = opts.maxQueueSize;
    const counting: SpanExporter = {
      export: (spans, done) => {
        // Handed to the exporter: these no longer occupy the queue.
        this.waiting -= spans.length;
        exporter.export(spans, (result: ExportResult) => {
          if (result.code !== ExportResultCode.SUCCESS) drops.add('traces', 'export_failed', spans.length);
          else this.exported += spans.length;
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
    // The inner queue is one larger than ours, so it never drops on its own: every drop is ours, counted.
    this.inner = new BatchSpanProcessor({
      exporter: counting,
      maxQueueSize: opts.maxQueueSize + 1,
      maxExportBatchSize: Math.min(opts.maxExportBatchSize ?? 512, opts.maxQueueSize),
      scheduledDelayMillis: opts.scheduledDelayMs ?? 1000,
      exportTimeoutMillis: opts.exportTimeoutMs ?? 10_000,
    });
  }

  /** Spans ended and not yet handed to the exporter. */
  get queued(): number {
    return this.waiting;
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // The batch processor ignores unsampled spans; so do we (they never take a slot).
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.waiting >= this.maxQueueSize) {
      this.drops.add('traces', 'queue_full', 1);
      return;
    }
    this.waiting++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
