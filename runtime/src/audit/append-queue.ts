/**
 * The appends waiting for a trail's writer (group commit), for every adapter: an append made while
 * a batch is being written waits here and goes in a later one, up to `maxBatch` records a batch.
 * One writer at a time; closing refuses new appends and waits for the batch being written.
 */
import type { AuditEntry, AuditRecord } from '@caxton/core';
import { AuditError } from './errors.js';

export interface PendingAppend {
  entry: AuditEntry;
  resolve: (record: AuditRecord) => void;
  reject: (err: Error) => void;
}

export class AppendQueue {
  private queue: PendingAppend[] = [];
  private writing = false;
  private shut = false;

  /** `write` seals and stores one batch, and settles each of its appends. */
  constructor(
    private readonly maxBatch: number,
    private readonly write: (batch: PendingAppend[]) => Promise<void>,
  ) {}

  get closed(): boolean {
    return this.shut;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.shut)
      return Promise.reject(new AuditError('audit.unavailable', 'the audit trail is closed', { hint: 'the node is shutting down' }));
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  /** Takes every waiting append out of the queue (to refuse them all). */
  takeAll(): PendingAppend[] {
    return this.queue.splice(0);
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) await this.write(this.queue.splice(0, this.maxBatch));
    this.writing = false;
  }

  /** Refuses appends from now on; resolves once the batch being written (if any) is done. */
  async close(): Promise<void> {
    this.shut = true;
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
  }
}
