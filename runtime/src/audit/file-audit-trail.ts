/**
 * The embedded audit trail: a directory of segment files, `<dataDir>/audit/trail*.jsonl`, a record
 * per line in its canonical encoding (decisions 1402, 1790). The chain runs across segments: the
 * first record of a segment links to the last of the one before. A new segment starts when the
 * current one holds `segmentBytes`; with `retainSegments`, the oldest closed segments can be
 * deleted — only through `retention`, after the signed anchor says where the trail now starts
 * (anchored-audit-trail.ts), so that verification tells pruning from a deleted segment.
 *
 * Opening reads the last segment only (streamed, not held), never the whole trail; a reader is
 * served segment by segment (one closed segment's line positions cached).
 *
 * Durability: appends are group-committed — the records queued while one durable write is in
 * flight go out together in the next — and an append resolves only after the durable write that covers
 * it; a new segment's directory entry is synced before a record in it is acknowledged. A failed
 * write or sync fails the trail for good (`audit.unavailable`): what reached the disk is unknown,
 * and the node's next start finds out.
 *
 * Recovery cuts a torn tail of the last segment and nothing else: trailing bytes after the last
 * newline, trailing lines holding NUL bytes that do not parse, and an empty last segment a crash
 * left while rotating. Any other damage is kept for `caxton audit verify` to name, and a last line
 * that cannot be read stops the start (`audit.corrupt`): the chain cannot be continued from it.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import {
  checkAuditSegmentSettings,
  decodeRecord,
  GENESIS_HASH,
  sealAndEncodeRecord,
  type AuditChainHead,
  type AuditEntry,
  type AuditRecord,
  type AuditRetainedFrom,
  type Sink,
  type StoredAuditRecord,
  type Unsubscribe,
} from '@caxton/core';
import { sha256Hex, type AuditRetention, type AuditTrail } from './audit-trail.js';
import { AuditError } from './errors.js';
import { TrailFollowers } from './follow.js';
import { AppendQueue, type PendingAppend } from './append-queue.js';
import { writeFully } from '../storage/write-fully.js';
import { DSYNC_WRITES, O_DSYNC_WHERE_DURABLE } from '../storage/dsync-writes.js';
import { indexSegment, parseSegmentFileName, readRange, segmentFileName } from './trail-segment.js';

export { AUDIT_FILE_NAME, scanTrail, segmentFileName } from './trail-segment.js';

/**
 * Segments are appended with O_DSYNC where that makes each write durable (Linux): fdatasync's
 * guarantee in one thread-pool round trip where a write then an fdatasync were two (decision 2199).
 */
const APPEND_DURABLY = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_APPEND | O_DSYNC_WHERE_DURABLE;

/** Ends each stored record (one record a line). */
const LINE_END = Uint8Array.of(0x0a);

export interface FileAuditTrailOptions {
  /** The directory holding the segments (created 0700). */
  dir: string;
  /** Records per durable write at most. Default 256. */
  maxBatch?: number;
  /** How often a follower looks for records (only this process appends, so this is a backstop). */
  pollMs?: number;
  /** Told what recovery cut, if anything. */
  onWarning?: (message: string) => void;
  /** A new segment starts once the current one holds this many bytes (bounds: core's AUDIT_SEGMENT_LIMIT_TABLE). */
  segmentBytes?: number;
  /** Closed segments kept besides the current one; unset: all are kept. */
  retainSegments?: number | undefined;
}

/** A closed segment's line positions, with the size they were taken at (a changed file is indexed again). */
interface IndexedSegment {
  first: number;
  size: number;
  offsets: number[];
}

export class FileAuditTrail implements AuditTrail {
  readonly location: string;
  readonly retention: AuditRetention | undefined;
  private readonly segmentBytes: number;
  private readonly appends: AppendQueue;
  private failure: AuditError | undefined;
  private readonly followers: TrailFollowers;
  private cached: IndexedSegment | undefined;

  private constructor(
    readonly dir: string,
    /** The first record of each segment, ascending; the last is the one written to. */
    private segments: number[],
    private handle: fs.FileHandle,
    /** offsets[k] is where line k of the current segment starts; the last entry is its end. */
    private offsets: number[],
    private headHash: string,
    options: FileAuditTrailOptions,
  ) {
    this.location = dir;
    this.appends = new AppendQueue(options.maxBatch ?? 256, (batch) => this.write(batch));
    this.followers = new TrailFollowers(this, options.pollMs ?? 1000);
    const settings = checkAuditSegmentSettings({ segmentBytes: options.segmentBytes, retainSegments: options.retainSegments });
    this.segmentBytes = settings.segmentBytes;
    const keep = settings.retainSegments;
    this.retention = keep === undefined ? undefined : { due: () => this.pruneDue(keep), prune: (from) => this.prune(from) };
  }

  static async open(options: FileAuditTrailOptions): Promise<FileAuditTrail> {
    checkAuditSegmentSettings({ segmentBytes: options.segmentBytes, retainSegments: options.retainSegments });
    const dir = options.dir;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const segments = (await fs.readdir(dir))
      .map(parseSegmentFileName)
      .filter((f): f is number => f !== undefined)
      .sort((a, b) => a - b);
    if (segments.length === 0) segments.push(0);
    for (;;) {
      const first = segments[segments.length - 1]!;
      const file = path.join(dir, segmentFileName(first));
      const handle = await fs.open(file, APPEND_DURABLY, 0o600);
      try {
        const size = (await handle.stat()).size;
        if (size === 0 && segments.length > 1) {
          // Created by a rotation that crashed before its first record was durable: holds nothing.
          await handle.close();
          await fs.unlink(file);
          await syncDir(dir);
          segments.pop();
          options.onWarning?.(`audit trail ${dir}: removed the empty segment ${path.basename(file)} a crash left while rotating`);
          continue;
        }
        // The file's directory entry must be durable before the first record is acknowledged.
        if (size === 0) await syncDir(dir);
        const offsets = await indexSegment(handle, size, true);
        const end = offsets[offsets.length - 1]!;
        if (end < size) {
          await handle.truncate(end);
          await handle.datasync();
          options.onWarning?.(`audit trail ${file}: cut a torn tail of ${size - end} bytes (records never acknowledged)`);
        }
        const headHash = await lastHash(handle, file, first, offsets);
        return new FileAuditTrail(dir, segments, handle, offsets, headHash, options);
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
    }
  }

  /** Records stored (the index the next one gets). */
  get count(): number {
    return this.segments[this.segments.length - 1]! + this.offsets.length - 1;
  }

  /** The first record of each segment present when last looked at (oldest first). */
  get segmentFirsts(): readonly number[] {
    return this.segments;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.failure) return Promise.reject(this.failure);
    return this.appends.append(entry);
  }

  /**
   * One batch of the append queue: one durable write (O_DSYNC). A failure refuses this batch and every
   * waiting append (fail), and every later one (append), so the queue then has nothing more to write.
   */
  private async write(batch: PendingAppend[]): Promise<void> {
    try {
      if (this.offsets[this.offsets.length - 1]! >= this.segmentBytes && this.offsets.length > 1) await this.rotate();
    } catch (err) {
      this.fail(err, batch);
      return;
    }
    const records: AuditRecord[] = [];
    const parts: Uint8Array[] = [];
    const lineBytes: number[] = [];
    let prev = this.headHash;
    for (const [i, pending] of batch.entries()) {
      // Sealed and encoded in one pass (decision 2110): the hash's JSON is the stored JSON's.
      const { record, bytes } = sealAndEncodeRecord(pending.entry, this.count + i, prev, sha256Hex);
      records.push(record);
      parts.push(bytes, LINE_END);
      lineBytes.push(bytes.length + 1);
      prev = record.hash;
    }
    try {
      const buffer = Buffer.concat(parts);
      await writeFully(this.handle, buffer);
      if (!DSYNC_WRITES) await this.handle.datasync();
    } catch (err) {
      this.fail(err, batch);
      return;
    }
    for (const length of lineBytes) this.offsets.push(this.offsets[this.offsets.length - 1]! + length);
    this.headHash = prev;
    for (const [i, pending] of batch.entries()) pending.resolve(records[i]!);
    this.followers.appended();
  }

  /** Starts the next segment: records from `count` on go to a new file, its entry synced first. */
  private async rotate(): Promise<void> {
    const first = this.count;
    const file = path.join(this.dir, segmentFileName(first));
    const handle = await fs.open(file, APPEND_DURABLY | fsConstants.O_EXCL, 0o600);
    try {
      await syncDir(this.dir);
    } catch (err) {
      await handle.close();
      throw err;
    }
    const previous = this.handle;
    this.handle = handle;
    this.segments = [...this.segments, first];
    this.offsets = [0];
    await previous.close();
  }

  private fail(err: unknown, batch: PendingAppend[]): void {
    this.failure = new AuditError('audit.unavailable', `writing the audit trail ${this.dir} failed: ${(err as Error).message}`, {
      context: { dir: this.dir },
      hint: 'free disk space or fix the disk, then restart the node (management calls are refused until then)',
      cause: err,
    });
    for (const pending of [...batch, ...this.appends.takeAll()]) pending.reject(this.failure);
  }

  async currentHead(): Promise<AuditChainHead | undefined> {
    return this.count === 0 ? undefined : { index: this.count - 1, hash: this.headHash };
  }

  /** Whether appends fail (a write failed): callers may refuse work that must be recorded. */
  get failed(): AuditError | undefined {
    return this.failure;
  }

  /**
   * Stored records from position `from`, segment by segment. A segment file that is gone, or holds
   * fewer lines than its successor's name implies, leaves positions out: verification names it.
   */
  async read(from: number, limit: number): Promise<StoredAuditRecord[]> {
    checkRange(from, limit);
    const segments = this.segments;
    const out: StoredAuditRecord[] = [];
    let si = 0;
    while (si + 1 < segments.length && segments[si + 1]! <= from) si += 1;
    let local = Math.max(0, from - segments[si]!);
    for (; si < segments.length && out.length < limit; si += 1, local = 0) {
      const first = segments[si]!;
      const file = path.join(this.dir, segmentFileName(first));
      // The current segment's positions only grow (rotation replaces the array): a reference will do.
      const offsets = first === this.segments[this.segments.length - 1] ? this.offsets : await this.closedSegment(first, file);
      const lines = offsets ? offsets.length - 1 : 0;
      if (local >= lines) continue;
      const to = Math.min(lines, local + limit - out.length);
      const start = offsets![local]!;
      let bytes: Buffer;
      try {
        const handle = await fs.open(file, fsConstants.O_RDONLY);
        try {
          bytes = await readRange(handle, start, offsets![to]! - start);
        } finally {
          await handle.close();
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (let k = local; k < to; k += 1) {
        // Without the newline: the stored record is its canonical encoding.
        out.push({
          position: first + k,
          bytes: bytes.subarray(offsets![k]! - start, Math.min(bytes.length, offsets![k + 1]! - start - 1)),
        });
      }
    }
    return out;
  }

  /** A closed segment's line positions (undefined: the file is gone). */
  private async closedSegment(first: number, file: string): Promise<number[] | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, fsConstants.O_RDONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      if (this.cached?.first !== first || this.cached.size !== size)
        this.cached = { first, size, offsets: await indexSegment(handle, size, false) };
      return this.cached.offsets;
    } finally {
      await handle.close();
    }
  }

  /** Where the trail would start once the closed segments past `keep` are deleted, if any are. */
  private async pruneDue(keep: number): Promise<AuditRetainedFrom | undefined> {
    const closed = this.segments.length - 1;
    if (closed <= keep) return undefined;
    const from = this.segments[closed - keep]!;
    const [stored] = await this.read(from, 1);
    if (stored?.position !== from) return undefined; // that segment is damaged or gone: verify will say; prune nothing
    try {
      return { from, prev: decodeRecord(stored.bytes).prev };
    } catch {
      return undefined;
    }
  }

  /** Deletes the closed segments wholly before record `from` (the anchor already says the trail starts there). */
  private async prune(from: number): Promise<void> {
    const current = this.segments[this.segments.length - 1]!;
    const doomed = this.segments.filter((f) => f < from && f < current);
    if (doomed.length === 0) return;
    for (const first of doomed) await fs.rm(path.join(this.dir, segmentFileName(first)), { force: true });
    await syncDir(this.dir);
    this.segments = this.segments.filter((f) => !doomed.includes(f));
    if (this.cached && doomed.includes(this.cached.first)) this.cached = undefined;
  }

  follow(from: number, sink: Sink<StoredAuditRecord>, options: { ready?: () => Promise<void> } = {}): Unsubscribe {
    return this.followers.follow(from, sink, options);
  }

  async close(): Promise<void> {
    if (this.appends.closed) return;
    await this.appends.close();
    await this.handle.close();
  }
}

/**
 * The hash the chain continues from: the last record of the current segment (genesis for an empty
 * trail). It must say it is the record its place in the segment makes it: a renamed or shortened
 * segment would otherwise be continued with wrong indices.
 */
async function lastHash(handle: fs.FileHandle, file: string, first: number, offsets: number[]): Promise<string> {
  const lines = offsets.length - 1;
  if (lines === 0) {
    if (first === 0) return GENESIS_HASH;
    throw new AuditError(
      'audit.corrupt',
      `the audit trail's last segment ${file} holds no record, and nothing before it to continue from`,
      {
        context: { file },
        hint: 'keep the directory as evidence (move it aside) and start the node with a fresh trail, then compare with `caxton audit verify` output',
      },
    );
  }
  const index = first + lines - 1;
  const start = offsets[lines - 1]!;
  let record: AuditRecord;
  try {
    record = decodeRecord(await readRange(handle, start, offsets[lines]! - 1 - start));
  } catch (err) {
    throw new AuditError(
      'audit.corrupt',
      `the last record of the audit trail ${file} (record ${index}) cannot be read: ${(err as Error).message}`,
      {
        context: { file, record: index },
        hint: 'the trail was damaged; keep the file as evidence (move it aside) and start the node with a fresh trail, then compare with `caxton audit verify` output',
        cause: err,
      },
    );
  }
  if (record.index !== index) {
    throw new AuditError(
      'audit.corrupt',
      `the last record of the audit trail ${file} says it is record ${record.index}, but its place in the segment makes it record ${index}`,
      {
        context: { file, record: index },
        hint: 'a segment was renamed, cut or extended; keep the directory as evidence and run `caxton audit verify` on it before starting with a fresh trail',
      },
    );
  }
  return record.hash;
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
