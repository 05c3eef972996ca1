/**
 * This disk's own durability latency, the floor under any request→reply latency on a log with
 * fsync `always`: append a small record to a file in `dir` and fdatasync it, many times, timing
 * each write + fdatasync pair (what one commit group of the embedded log costs at least).
 * Synchronous on purpose: it measures the disk, not the event loop; run it while the node is idle.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface FdatasyncProbe {
  /** write + fdatasync latencies, µs, in the order measured. */
  samplesUs: number[];
  recordBytes: number;
  elapsedMs: number;
}

export function probeFdatasync(dir: string, { count = 3000, maxMs = 10_000, recordBytes = 256 } = {}): FdatasyncProbe {
  const file = join(dir, 'bench-fdatasync.probe');
  const fd = openSync(file, 'w');
  const record = Buffer.alloc(recordBytes, 0x5a);
  const samplesUs: number[] = [];
  const start = performance.now();
  try {
    let position = 0;
    // A bounded number of samples, and a bounded time on a very slow disk (then fewer samples,
    // which the caller reports).
    while (samplesUs.length < count && performance.now() - start < maxMs) {
      const t0 = performance.now();
      writeSync(fd, record, 0, record.length, position);
      fdatasyncSync(fd);
      samplesUs.push((performance.now() - t0) * 1000);
      position += record.length;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return { samplesUs, recordBytes, elapsedMs: performance.now() - start };
}
