/**
 * The bounded queue between ended lean spans and their export (the lean tracer's counterpart of
 * bounded-span-processor.ts, with the SDK BatchSpanProcessor's batching): the ExportBound admits
 * each sampled span or counts it dropped (`caxton.telemetry.dropped{signal="traces",reason="queue_full"}`),
 * a batch leaves when `maxExportBatchSize` spans wait or `scheduledDelayMs` after the first one,
 * one export at a time, and a failed export's spans are counted dropped by the bound. Ending a span
 * never waits for the network; spans recorded but not sampled never take a slot.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { ExportBound, ItemExporter } from '../export-bound.js';
import type { LeanSpan } from './span.js';
import type { LeanSpanSink } from './tracer.js';

export interface SpanBatchExporter extends ItemExporter<LeanSpan> {
  shutdown(): Promise<void>;
}

export class LeanSpanQueue implements LeanSpanSink {
  private spans: LeanSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly send: ItemExporter<LeanSpan>['export'];
  private readonly batchSize: number;
  private readonly delayMs: number;

  constructor(
    private readonly bound: ExportBound,
    private readonly exporter: SpanBatchExporter,
  ) {
    this.send = bound.countingExport(exporter);
    const settings = bound.batchSettings();
    this.batchSize = settings.maxExportBatchSize;
    this.delayMs = settings.scheduledDelayMillis;
  }

  /** Spans admitted and not yet handed to the exporter. */
  get queued(): number {
    return this.bound.queued;
  }

  /** Spans the collector accepted. */
  get exported(): number {
    return this.bound.exported;
  }

  onEnd(span: LeanSpan): void {
    if (this.stopped || !span.sampled || !this.bound.admit()) return;
    this.spans.push(span);
    if (this.inFlight !== undefined) return; // the running export schedules the next
    if (this.spans.length >= this.batchSize) this.exportNext();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportNext();
      }, this.delayMs);
      this.timer.unref();
    }
  }

  /** Hands the exporter the oldest batch, unless an export runs; when it ends, the next is due or scheduled. */
  private exportNext(): void {
    if (this.inFlight !== undefined || this.spans.length === 0) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.spans.length <= this.batchSize ? this.spans : this.spans.slice(0, this.batchSize);
    this.spans = batch === this.spans ? [] : this.spans.slice(this.batchSize);
    this.inFlight = new Promise<void>((resolve) => this.send(batch, (_: ExportResult) => resolve())).then(() => {
      this.inFlight = undefined;
      if (this.spans.length >= this.batchSize) this.exportNext();
      else if (this.spans.length > 0 && this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.exportNext();
        }, this.delayMs);
        this.timer.unref();
      }
    });
  }

  /** Exports what is queued now (spans ended later may go too) and waits for it. */
  async forceFlush(): Promise<void> {
    let rounds = Math.ceil(this.spans.length / this.batchSize) + 1;
    while ((this.inFlight !== undefined || this.spans.length > 0) && rounds-- > 0) {
      if (this.inFlight === undefined) this.exportNext();
      await this.inFlight;
    }
  }

  /** Refuses spans from now on, exports the queued ones, closes the exporter. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.forceFlush();
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.exporter.shutdown();
  }
}
