/**
 * The bound between agents' log lines and OTLP log export (export-bound.ts does the counting). Agent
 * lines are emitted on the bus thread while handlings complete; the BatchLogRecordProcessor buffers
 * them and its exporter ships them over HTTP in the background; a slow or dead collector must
 * neither grow that buffer without bound nor make an emit wait. Drops go to
 * `caxton.telemetry.dropped{signal="logs"}`.
 */
import { BatchLogRecordProcessor, type LogRecordExporter, type LogRecordProcessor, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { DropCounter } from './drop-counter.js';
import { ExportBound, type ExportBoundOptions } from './export-bound.js';

export type BoundedLogProcessorOptions = ExportBoundOptions;

export class BoundedLogProcessor implements LogRecordProcessor {
  private readonly bound: ExportBound;
  private readonly inner: BatchLogRecordProcessor;

  constructor(exporter: LogRecordExporter, drops: DropCounter, opts: BoundedLogProcessorOptions) {
    this.bound = new ExportBound('logs', drops, opts);
    const counting: LogRecordExporter = {
      export: this.bound.countingExport(exporter),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush(),
    };
    this.inner = new BatchLogRecordProcessor({ exporter: counting, ...this.bound.batchSettings() });
  }

  /** Records emitted and not yet handed to the exporter. */
  get queued(): number {
    return this.bound.queued;
  }

  /** Records the exporter reported delivered. */
  get exported(): number {
    return this.bound.exported;
  }

  onEmit(record: SdkLogRecord): void {
    if (this.bound.admit()) this.inner.onEmit(record);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
