/**
 * The bound between agents' log lines and OTLP log export (export-bound.ts does the counting). Agent
 * lines are emitted on the bus thread while handlings complete; the BatchLogRecordProcessor buffers
 * them and its exporter ships them over HTTP in the background; a slow or dead collector must
 * neither grow that buffer without bound nor make an emit wait. Drops go to
 * `caxton.telemetry.dropped{signal="logs"}`.
 */
import { BatchLogRecordProcessor, type LogRecordExporter, type LogRecordProcessor, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import { BoundedBatchProcessor } from './bounded-batch-processor.js';
import type { DropCounter } from './drop-counter.js';
import { ExportBound, type ExportBoundOptions } from './export-bound.js';

export type BoundedLogProcessorOptions = ExportBoundOptions;

export class BoundedLogProcessor extends BoundedBatchProcessor<BatchLogRecordProcessor> implements LogRecordProcessor {
  constructor(exporter: LogRecordExporter, drops: DropCounter, opts: BoundedLogProcessorOptions) {
    const bound = new ExportBound('logs', drops, opts);
    super(bound, (settings) => new BatchLogRecordProcessor({ exporter: bound.countingExporter(exporter), ...settings }));
  }

  onEmit(record: SdkLogRecord): void {
    if (this.bound.admit()) this.inner.onEmit(record);
  }
}
