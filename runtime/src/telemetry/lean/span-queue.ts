/**
 * The bounded queue between ended lean spans and their export (with the SDK BatchSpanProcessor's
 * batching): the ExportBound admits
 * each sampled span or counts it dropped (`caxton.telemetry.dropped{signal="traces",reason="queue_full"}`),
 * a batch leaves when `maxExportBatchSize` spans wait or `scheduledDelayMs` after the first one,
 * one export at a time, and a failed export's spans are counted dropped by the bound. Ending a span
 * never waits for the network; spans recorded but not sampled never take a slot. An export that
 * has not reported back within the bound's export timeout no longer holds the queue (the
 * exporter enforces the same deadline; this is the queue's own guard), and shutdown waits for
 * the last spans at most its deadline, then closes the exporter whatever happened.
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
  private readonly exportTimeoutMs: number;

  constructor(
    private readonly bound: ExportBound,
    private readonly exporter: SpanBatchExporter,
  ) {
    this.send = bound.countingExport(exporter);
    const settings = bound.batchSettings();
    this.batchSize = settings.maxExportBatchSize;
    this.delayMs = settings.scheduledDelayMillis;
    this.exportTimeoutMs = settings.exportTimeoutMillis;
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
    this.inFlight = new Promise<void>((resolve) => {
      const guard = setTimeout(resolve, this.exportTimeoutMs);
      guard.unref();
      this.send(batch, (_: ExportResult) => {
        clearTimeout(guard);
        resolve();
      });
    }).then(() => {
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

  /**
   * Refuses spans from now on, exports the queued ones for at most `timeoutMs` (default: one
   * export's timeout), then closes the exporter, which ends a request still in flight.
   */
  async shutdown(timeoutMs = this.exportTimeoutMs): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.forceFlush(),
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, timeoutMs);
          deadline.unref();
        }),
      ]);
    } finally {
      clearTimeout(deadline);
      if (this.timer !== undefined) clearTimeout(this.timer);
      await this.exporter.shutdown();
    }
  }
}
