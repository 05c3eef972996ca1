/**
 * The dead-letter file: every dead letter in full (delivery, reason, attempts, time), append-only,
 * same framing as the segments, kept apart so retention never deletes one. Operators read it with
 * `deadLetters(limit)`.
 *
 * A dead letter is fsynced here BEFORE the segment records the delivery as dead-lettered (also
 * under `interval`: dead letters are rare, and a power loss must not keep the "dead-lettered" mark
 * while losing the letter). A crash between the two leaves the letter here and the delivery still
 * pending in the segments; open() repairs that (see EmbeddedMessageLog.open).
 *
 * The same class keeps the letters' marks (redriven / purged, decision 1860) in a sibling file of
 * the same framing: a new record type inside the letters file would read as damage to a build
 * that predates it (and its corruption policy could truncate letters); a build that predates the
 * marks file simply never opens it.
 */
import { parseJson } from '@caxton/core';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { failedError, type EmbeddedLogError } from './errors.js';
import { recoverFile } from './file-recovery.js';
import { ChunkPool } from './frame-batch.js';
import { FrameGroup } from './frame-group.js';
import type { CorruptionPolicy } from './frame-scan.js';
import { GroupCommitter, type CommitTarget, type FsyncPolicy } from './group-committer.js';
import { isWellFormedKeyedPayload, readKeyedBody, readKeyedId } from './payload.js';
import { FILE_HEADER_BYTES, FileKind, FrameReader, FrameStatus, RecordType } from './record-format.js';
import { DEAD_LETTER_FILE, DEAD_LETTER_MARKS_FILE, createLogFile, datasync, writeAll } from './segment-files.js';

/** Which file, and the one record type it holds (keyed by the letter's delivery id, body JSON). */
export interface DeadLetterFileLayout {
  name: string;
  type: RecordType.DeadLetter | RecordType.DeadLetterMark;
}

export const LETTERS_LAYOUT: DeadLetterFileLayout = Object.freeze({ name: DEAD_LETTER_FILE, type: RecordType.DeadLetter });
export const MARKS_LAYOUT: DeadLetterFileLayout = Object.freeze({ name: DEAD_LETTER_MARKS_FILE, type: RecordType.DeadLetterMark });

/** Dead letters need nothing beyond the common group: frames, offsets, one shared promise. */
class DeadLetterGroup extends FrameGroup {}

export interface DeadLetterFileOptions {
  fsync: FsyncPolicy;
  onCorruption: CorruptionPolicy;
  warn: (warning: EmbeddedLogError) => void;
}

export class DeadLetterFile implements CommitTarget<DeadLetterGroup> {
  private readonly committer: GroupCommitter<DeadLetterGroup>;
  private readonly pool = new ChunkPool(16 * 1024, 2);
  /** Bytes written so far, and the end of what `read` may look at (applied groups only). */
  private size: number;
  private readableEnd: number;

  private constructor(
    readonly file: string,
    private readonly handle: fs.FileHandle,
    size: number,
    private readonly frameOffsets: number[],
    fsync: FsyncPolicy,
    private readonly type: DeadLetterFileLayout['type'],
  ) {
    this.size = size;
    this.readableEnd = size;
    this.committer = new GroupCommitter<DeadLetterGroup>(
      this,
      () => new DeadLetterGroup(this.pool),
      fsync === 'never' ? 'never' : 'always',
      1000,
    );
  }

  /** Open (or create) the file; also returns the delivery ids of every record in it, in order. */
  static async open(
    dir: string,
    options: DeadLetterFileOptions,
    layout: DeadLetterFileLayout = LETTERS_LAYOUT,
  ): Promise<{ file: DeadLetterFile; ids: string[] }> {
    const file = path.join(dir, layout.name);
    const durable = options.fsync !== 'never';
    const offsets: number[] = [];
    const ids: string[] = [];
    let size = FILE_HEADER_BYTES;
    const exists = await fs.stat(file).then(
      () => true,
      () => false,
    );
    if (exists) {
      const recovered = await recoverFile(
        file,
        { kind: FileKind.DeadLetters, isTail: true, policy: options.onCorruption, durable, baseSeqIfReset: 0, warn: options.warn },
        (reader, offset) => {
          if (reader.type !== layout.type || !isWellFormedKeyedPayload(reader.buf, reader.payloadStart, reader.payloadEnd)) return false;
          offsets.push(offset);
          ids.push(readKeyedId(reader.buf, reader.payloadStart));
          return true;
        },
      );
      size = recovered.size;
    } else {
      await (await createLogFile(file, FileKind.DeadLetters, 0, durable)).close();
    }
    const handle = await fs.open(file, 'r+');
    return { file: new DeadLetterFile(file, handle, size, offsets, options.fsync, layout.type), ids };
  }

  get count(): number {
    return this.frameOffsets.length;
  }

  /** Durably append one record (`json` is its JSON text, already size-checked). */
  append(deliveryId: string, json: string): Promise<void> {
    const group = this.committer.current();
    group.offsets.push(group.frames.addKeyed(this.type, 0, deliveryId, json));
    return group.done;
  }

  /** The newest `limit` records' JSON bodies, parsed, oldest first. */
  async read<T>(limit: number): Promise<T[]> {
    const count = this.frameOffsets.length;
    if (count === 0 || limit <= 0) return [];
    const from = this.frameOffsets[Math.max(0, count - limit)]!;
    const end = this.readableEnd;
    const buf = Buffer.allocUnsafe(end - from);
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, from);
    const reader = new FrameReader(buf, bytesRead);
    const records: T[] = [];
    for (let offset = 0; offset < bytesRead && reader.read(offset) === FrameStatus.Ok; offset = reader.next) {
      records.push(parseJson(readKeyedBody(buf, reader.payloadStart, reader.payloadEnd)) as T);
    }
    return records;
  }

  async close(): Promise<void> {
    try {
      await this.committer.drain();
    } finally {
      this.committer.stop();
      await this.handle.close();
    }
  }

  // CommitTarget: called by the committer only.

  async write(group: DeadLetterGroup): Promise<void> {
    group.base = this.size;
    await writeAll(this.handle, group.frames.buffers(), this.size);
    this.size += group.frames.byteLength;
  }

  async sync(): Promise<void> {
    await datasync(this.handle);
  }

  applied(group: DeadLetterGroup): void {
    for (const offset of group.offsets) this.frameOffsets.push(group.base + offset);
    this.readableEnd = this.size;
  }

  durable(): void {}

  failed(error: unknown): unknown {
    return failedError(error, this.file);
  }
}
