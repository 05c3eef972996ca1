/**
 * The bound between telemetry produced on the bus thread and its export over the network, shared by
 * the lean span queue and the log-record processor (lean/span-queue.ts, bounded-log-processor.ts). The
 * SDK's batch processors already drop past `maxQueueSize`, but only say so through `diag`; so the
 * bound counts items handed to the batch processor and not yet handed to the exporter, refuses past
 * it itself, and counts every refusal — and every item of a failed export — into
 * `caxton.telemetry.dropped{signal}`. Producing an item never waits for the network.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { DropCounter, TelemetrySignal } from './drop-counter.js';

export interface ExportBoundOptions {
  /** Items waiting for export before new ones are dropped. */
  maxQueueSize: number;
  /** Items per export request (default 512, the SDK's). */
  maxExportBatchSize?: number;
  /** How long an item may wait for a full batch, ms (default 1000). */
  scheduledDelayMs?: number;
  /** One export's deadline, ms (default 10000). */
  exportTimeoutMs?: number;
}

/** What the SDK's span and log exporters have in common: the one call the bound wraps. */
export interface ItemExporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
}

/** An SDK span or log exporter: the call the bound wraps, and what it passes on. */
export interface SdkExporter<T> extends ItemExporter<T> {
  shutdown(): Promise<void>;
  /** Optional on a span exporter. */
  forceFlush?(): Promise<void>;
}

/** The SDK batch processor's settings for a bound (the span and log processors take the same). */
export interface BatchSettings {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export class ExportBound {
  private waiting = 0;
  /** Items the exporter reported delivered (benchmarks print it: what telemetry-on really shipped). */
  exported = 0;

  constructor(
    private readonly signal: TelemetrySignal,
    private readonly drops: DropCounter,
    private readonly opts: ExportBoundOptions,
  ) {}

  /** Items produced and not yet handed to the exporter. */
  get queued(): number {
    return this.waiting;
  }

  /** Takes a slot for one item, or counts it dropped (false) when the queue is full. */
  admit(): boolean {
    if (this.waiting >= this.opts.maxQueueSize) {
      this.drops.add(this.signal, 'queue_full', 1);
      return false;
    }
    this.waiting++;
    return true;
  }

  /** `exporter.export`, counting: items handed on leave the queue; a failed export's items are dropped. */
  countingExport<T>(exporter: ItemExporter<T>): ItemExporter<T>['export'] {
    return (items, done) => {
      this.waiting -= items.length;
      exporter.export(items, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) this.drops.add(this.signal, 'export_failed', items.length);
        else this.exported += items.length;
        done(result);
      });
    };
  }

  /** `exporter` as the batch processor is handed it: its exports counted (countingExport), shutdown and flush passed on. */
  countingExporter<T>(exporter: SdkExporter<T>): Required<SdkExporter<T>> {
    return {
      export: this.countingExport(exporter),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }

  /** The inner batch processor's settings: its queue one larger than ours, so every drop is ours, counted. */
  batchSettings(): BatchSettings {
    return {
      maxQueueSize: this.opts.maxQueueSize + 1,
      maxExportBatchSize: Math.min(this.opts.maxExportBatchSize ?? 512, this.opts.maxQueueSize),
      scheduledDelayMillis: this.opts.scheduledDelayMs ?? 1000,
      exportTimeoutMillis: this.opts.exportTimeoutMs ?? 10_000,
    };
  }
}
