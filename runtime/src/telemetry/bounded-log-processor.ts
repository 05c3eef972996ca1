/**
 * The bound between agents' log lines and OTLP log export — the log twin of bounded-span-processor.
 * Agent lines are emitted on the bus thread while handlings complete; the SDK's
 * BatchLogRecordProcessor buffers them and its exporter ships them over HTTP in the background. A
 * slow or dead collector must neither grow the buffer without bound nor make an emit wait, and the
 * SDK only reports its own drops through `diag`; so this wrapper counts records handed on and not
 * yet exported, drops at the bound itself and counts each drop — and each record of a failed
 * export — into `caxton.telemetry.dropped{signal="logs"}`.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchLogRecordProcessor, type LogRecordExporter, type LogRecordProcessor, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { DropCounter } from './drop-counter.js';

export interface BoundedLogProcessorOptions {
  /** Records waiting for export before new ones are dropped. */
  maxQueueSize: number;
  /** Records per export request (default 512, the SDK's). */
  maxExportBatchSize?: number;
  /** How long a record may wait for a full batch, ms (default 1000). */
  scheduledDelayMs?: number;
  /** One export's deadline, ms (default 10000). */
  exportTimeoutMs?: number;
}

export class BoundedLogProcessor implements LogRecordProcessor {
  private waiting = 0;
  /** Records the exporter reported delivered. */
  exported = 0;
  private readonly inner: BatchLogRecordProcessor;
  private readonly maxQueueSize: number;

  constructor(exporter: LogRecordExporter, private readonly drops: DropCounter, opts: BoundedLogProcessorOptions) {
    this.maxQueueSize = opts.maxQueueSize;
    const counting: LogRecordExporter = {
      export: (records, done) => {
        // Handed to the exporter: these no longer occupy the queue.
        this.waiting -= records.length;
        exporter.export(records, (result: ExportResult) => {
          if (result.code !== ExportResultCode.SUCCESS) drops.add('logs', 'export_failed', records.length);
          else this.exported += records.length;
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush(),
    };
    // The inner queue is one larger than ours, so it never drops on its own: every drop is ours, counted.
    this.inner = new BatchLogRecordProcessor({
      exporter: counting,
      maxQueueSize: opts.maxQueueSize + 1,
      maxExportBatchSize: Math.min(opts.maxExportBatchSize ?? 512, opts.maxQueueSize),
      scheduledDelayMillis: opts.scheduledDelayMs ?? 1000,
      exportTimeoutMillis: opts.exportTimeoutMs ?? 10_000,
    });
  }

  /** Records emitted and not yet handed to the exporter. */
  get queued(): number {
    return this.waiting;
  }

  onEmit(record: SdkLogRecord): void {
    if (this.waiting >= this.maxQueueSize) {
      this.drops.add('logs', 'queue_full', 1);
      return;
    }
    this.waiting++;
    this.inner.onEmit(record);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
