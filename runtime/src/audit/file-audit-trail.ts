/**
 * The embedded audit trail: one append-only file, `<dataDir>/audit/trail.jsonl`, a record per line
 * in its canonical encoding (decision 1402).
 *
 * Durability: appends are group-committed — the records queued while one write+fdatasync is in
 * flight go out together in the next — and an append resolves only after the fdatasync that covers
 * it. A failed write or sync fails the trail for good (`audit.unavailable`): what reached the disk
 * is unknown, and the node's next start finds out.
 *
 * Recovery cuts a torn tail and nothing else: trailing bytes after the last newline, and trailing
 * lines holding NUL bytes that do not parse (a crash can persist a later page of an unsynced write
 * before an earlier one; canonical JSON never holds a raw NUL). Any other damage is kept for
 * `caxton audit verify` to name, and a last line that cannot be read stops the start
 * (`audit.corrupt`): the chain cannot be continued from it.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { decodeRecord, encodeRecord, GENESIS_HASH, sealRecord, type AuditChainHead, type AuditEntry, type AuditRecord, type Sink, type StoredAuditRecord, type Unsubscribe } from '@caxton/core';
import { sha256Hex, type AuditTrail } from './audit-trail.js';
import { AuditError } from './errors.js';
import { followTrail } from './follow.js';

export const AUDIT_FILE_NAME = 'trail.jsonl';
const NEWLINE = 0x0a;

export interface FileAuditTrailOptions {
  /** The directory holding the trail file (created 0700). */
  dir: string;
  /** Records per write+fdatasync at most. Default 256. */
  maxBatch?: number;
  /** How often a follower looks for records (only this process appends, so this is a backstop). */
  pollMs?: number;
  /** Told what recovery cut, if anything. */
  onWarning?: (message: string) => void;
}

interface Pending {
  entry: AuditEntry;
  resolve: (record: AuditRecord) => void;
  reject: (err: Error) => void;
}

/** Where the complete lines of `bytes` start, and where the good part ends (a torn tail cut off). */
export function scanTrail(bytes: Uint8Array): { starts: number[]; end: number } {
  const starts: number[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === NEWLINE) {
      starts.push(start);
      start = i + 1;
    }
  }
  let end = start; // bytes after the last newline are torn
  while (starts.length > 0) {
    const last = starts[starts.length - 1]!;
    const line = bytes.subarray(last, end - 1);
    if (!line.includes(0) || parses(line)) break;
    starts.pop();
    end = last;
  }
  return { starts, end };
}

function parses(line: Uint8Array): boolean {
  try {
    decodeRecord(line);
    return true;
  } catch {
    return false;
  }
}

export class FileAuditTrail implements AuditTrail {
  readonly location: string;
  private readonly maxBatch: number;
  private readonly pollMs: number;
  private queue: Pending[] = [];
  private writing = false;
  private failure: AuditError | undefined;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly handle: fs.FileHandle,
    readonly file: string,
    /** offsets[p] is where record p starts; offsets[count] is the end of the last record. */
    private readonly offsets: number[],
    private headHash: string,
    options: FileAuditTrailOptions,
  ) {
    this.location = file;
    this.maxBatch = options.maxBatch ?? 256;
    this.pollMs = options.pollMs ?? 1000;
  }

  static async open(options: FileAuditTrailOptions): Promise<FileAuditTrail> {
    await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
    const file = path.join(options.dir, AUDIT_FILE_NAME);
    const handle = await fs.open(file, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_APPEND, 0o600);
    try {
      const bytes = await handle.readFile();
      if (bytes.length === 0) {
        // The file's directory entry must be durable before the first record is acknowledged.
        await syncDir(options.dir);
      }
      const { starts, end } = scanTrail(bytes);
      if (end < bytes.length) {
        await handle.truncate(end);
        await handle.datasync();
        options.onWarning?.(`audit trail ${file}: cut a torn tail of ${bytes.length - end} bytes (records never acknowledged)`);
      }
      let headHash = GENESIS_HASH;
      if (starts.length > 0) {
        const last = starts[starts.length - 1]!;
        try {
          headHash = decodeRecord(bytes.subarray(last, end - 1)).hash;
        } catch (err) {
          throw new AuditError('audit.corrupt', `the last record of the audit trail ${file} (record ${starts.length - 1}) cannot be read: ${(err as Error).message}`, {
            context: { file, record: starts.length - 1 },
            hint: 'the trail was damaged; keep the file as evidence (move it aside) and start the node with a fresh trail, then compare with `caxton audit verify` output',
            cause: err,
          });
        }
      }
      return new FileAuditTrail(handle, file, [...starts, end], headHash, options);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Records stored. */
  get count(): number {
    return this.offsets.length - 1;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AuditError('audit.unavailable', 'the audit trail is closed', { hint: 'the node is shutting down' }));
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue.splice(0, this.maxBatch);
      const records: AuditRecord[] = [];
      let prev = this.headHash;
      for (const [i, pending] of batch.entries()) {
        const record = sealRecord(pending.entry, this.count + i, prev, sha256Hex);
        records.push(record);
        prev = record.hash;
      }
      const lines = records.map((r) => Buffer.concat([encodeRecord(r), Buffer.of(NEWLINE)]));
      try {
        const buffer = Buffer.concat(lines);
        let written = 0;
        while (written < buffer.length) written += (await this.handle.write(buffer, written)).bytesWritten;
        await this.handle.datasync();
      } catch (err) {
        this.failure = new AuditError('audit.unavailable', `writing the audit trail ${this.file} failed: ${(err as Error).message}`, {
          context: { file: this.file },
          hint: 'free disk space or fix the disk, then restart the node (management calls are refused until then)',
          cause: err,
        });
        for (const pending of [...batch, ...this.queue.splice(0)]) pending.reject(this.failure);
        break;
      }
      for (const line of lines) this.offsets.push(this.offsets[this.offsets.length - 1]! + line.length);
      this.headHash = prev;
      for (const [i, pending] of batch.entries()) pending.resolve(records[i]!);
      for (const listener of this.listeners) listener();
    }
    this.writing = false;
  }

  async currentHead(): Promise<AuditChainHead | undefined> {
    return this.count === 0 ? undefined : { index: this.count - 1, hash: this.headHash };
  }

  /** Whether appends fail (a write failed): callers may refuse work that must be recorded. */
  get failed(): AuditError | undefined {
    return this.failure;
  }

  async read(from: number, limit: number): Promise<StoredAuditRecord[]> {
    checkRange(from, limit);
    const count = this.count;
    if (from >= count) return [];
    const to = Math.min(count, from + limit);
    const start = this.offsets[from]!;
    const length = this.offsets[to]! - start;
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buffer, got, length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const out: StoredAuditRecord[] = [];
    for (let p = from; p < to; p += 1) {
      // Without the newline: the stored record is its canonical encoding.
      out.push({ position: p, bytes: buffer.subarray(this.offsets[p]! - start, this.offsets[p + 1]! - start - 1) });
    }
    return out;
  }

  follow(from: number, sink: Sink<StoredAuditRecord>, options: { ready?: () => Promise<void> } = {}): Unsubscribe {
    return followTrail(this, from, sink, {
      ...options,
      pollMs: this.pollMs,
      onAppend: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    await this.handle.close();
  }
}

export function checkRange(from: number, limit: number): void {
  if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 1) {
    throw new AuditError('audit.invalid', `cannot read audit records from ${from}, ${limit} at a time`, {
      hint: 'give a position ≥ 0 and a limit ≥ 1',
    });
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
