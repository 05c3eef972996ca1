/**
 * What a bounded processor over an SDK batch processor is made of (bounded-log-processor.ts; spans
 * have their own queue, lean/span-queue.ts, decision 2186): an ExportBound in front of the SDK's
 * batch processor, which is handed the exporter with its exports counted. Each subclass admits its
 * own items (an emitted record) through `bound` before handing them to `inner`.
 */
import type { BatchSettings, ExportBound } from './export-bound.js';

/** The SDK batch processor's calls the bound passes through. */
interface BatchProcessor {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export abstract class BoundedBatchProcessor<P extends BatchProcessor> {
  protected readonly inner: P;

  /** `batch` makes the SDK's batch processor with the bound's settings. */
  protected constructor(
    protected readonly bound: ExportBound,
    batch: (settings: BatchSettings) => P,
  ) {
    this.inner = batch(bound.batchSettings());
  }

  /** Items produced (spans ended, records emitted) and not yet handed to the exporter. */
  get queued(): number {
    return this.bound.queued;
  }

  /** Items the exporter reported delivered (benchmarks print it: what telemetry-on really shipped). */
  get exported(): number {
    return this.bound.exported;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
