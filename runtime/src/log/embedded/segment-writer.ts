/**
 * Owns the active segment file: writes each commit group at its end, fsyncs it, and rotates to a
 * new segment once the active one reached `segmentBytes` (checked before a group, so one group may
 * overshoot the limit a little; a group never spans two files, so its frames share one fsync).
 *
 * Rotation makes the old segment durable first (also under `interval`): recovery treats damage in
 * any segment but the newest as corruption rather than a torn write, which is only true if closed
 * segments were fsynced.
 */
import type * as fs from 'node:fs/promises';
import { writeSync } from 'node:fs';
import * as path from 'node:path';
import type { CommitGroup } from './commit-group.js';
import type { FsyncPolicy } from './group-committer.js';
import type { SegmentRef } from './pending-entry.js';
import { FILE_HEADER_BYTES, FRAME_HEADER_BYTES, FileKind } from './record-format.js';
import { DSYNC_WRITES } from '../../storage/dsync-writes.js';
import { createLogFile, datasync, openForAppend, segmentFileName, writeAll } from './segment-files.js';
import { faultDue, faultPoint } from '../../faults/fault-points.js';

export interface Segment extends SegmentRef {
  readonly path: string;
  /** Bytes in the file (header included). */
  size: number;
  /**
   * When it was closed (ms since epoch; its file's modification time for one found closed at open),
   * unset while it is the active one: how long it has been kept for replay (retention-plan.ts).
   */
  closedAt?: number;
  /**
   * When it was created (ms since epoch), so no record in it is older: how far back a replay
   * reaches while it is the oldest segment (`replayReach`). For one found at open, its
   * predecessor's close time, else its file's birth time; unknown where neither is known.
   */
  openedAt?: number;
}

/** A segment's in-memory record; `openedAt` for one created now (recovery dates those it finds). */
export function newSegment(dir: string, no: number, size: number, openedAt?: number): Segment {
  const segment: Segment = { no, path: path.join(dir, segmentFileName(no)), live: 0, appended: 0, stateBytes: 0, basedBytes: 0, size };
  if (openedAt !== undefined) segment.openedAt = openedAt;
  return segment;
}

export class SegmentWriter {
  private unsynced = false;
  /** Under fsync `always` the active segment is open O_DSYNC where that is durable (DSYNC_WRITES): nothing is left to sync. */
  private readonly dsync: boolean;

  constructor(
    private readonly dir: string,
    private activeSegment: Segment,
    private handle: fs.FileHandle,
    private readonly segmentBytes: number,
    private readonly fsync: FsyncPolicy,
    /** Sequence number the next append will get (stored in a new segment's header). */
    private readonly nextSeq: () => number,
    /** A new segment became active; the previous one is closed and durable. */
    private readonly onRotate: (segment: Segment) => void,
  ) {
    this.dsync = fsync === 'always' && DSYNC_WRITES;
  }

  /** Opens the active segment for appends as this writer writes it (O_DSYNC under fsync `always`, where durable). */
  static open(file: string, fsync: FsyncPolicy): Promise<fs.FileHandle> {
    return openForAppend(file, fsync === 'always' && DSYNC_WRITES);
  }

  get active(): Segment {
    return this.activeSegment;
  }

  async write(group: CommitGroup): Promise<void> {
    if (this.activeSegment.size >= this.segmentBytes && this.activeSegment.size > FILE_HEADER_BYTES) await this.rotate();
    const segment = this.activeSegment;
    group.segment = segment;
    group.base = segment.size;
    if (faultDue('group-torn')) tornWriteAndDie(this.handle.fd, group.frames.buffers(), segment.size);
    await writeAll(this.handle, group.frames.buffers(), segment.size);
    faultPoint('group-written');
    segment.size += group.frames.byteLength;
    this.unsynced = !this.dsync;
  }

  async sync(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    await datasync(this.handle);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async rotate(): Promise<void> {
    if (this.fsync !== 'never') await this.sync();
    const next = newSegment(this.dir, this.activeSegment.no + 1, FILE_HEADER_BYTES, Date.now());
    const created = await createLogFile(next.path, FileKind.Segment, this.nextSeq(), this.fsync !== 'never');
    // Its header is durable (createLogFile synced it); its appends go through a handle opened as this writer writes.
    const handle = this.dsync ? await created.close().then(() => SegmentWriter.open(next.path, this.fsync)) : created;
    await this.handle.close();
    this.handle = handle;
    this.activeSegment.closedAt = Date.now();
    this.activeSegment = next;
    this.onRotate(next);
  }
}

/** Crash tests only (fault point `group-torn`): the first half of a group's bytes, then SIGKILL. */
function tornWriteAndDie(fd: number, buffers: readonly Buffer[], position: number): never {
  const all = Buffer.concat(buffers);
  writeSync(fd, all, 0, tornCut(all), position);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: killed');
}

/**
 * Where `group-torn` cuts a group's bytes: its middle, unless a frame ends exactly there — then one
 * byte before, inside that frame (every frame is at least a header long). Half of a group of two
 * frames of one size (two completions of ids of one length) is a whole frame: cut there, the write is a
 * clean shorter one, not the torn frame the fault point exists to leave (a crash test once found no
 * torn tail to cut after such a life).
 */
export function tornCut(group: Buffer): number {
  const mid = Math.max(1, group.length >> 1);
  for (let at = 0; at < group.length; ) {
    const end = at + FRAME_HEADER_BYTES + group.readUInt32LE(at + 4);
    if (end === mid) return mid - 1;
    if (end > mid) return mid;
    at = end;
  }
  return mid;
}
