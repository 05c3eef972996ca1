/**
 * The frames of one segment file of the embedded log, read forwards in bounded chunks, read-only
 * (replay, issue 57). Recovery and the console's history read a whole segment into memory; a
 * replay walks every segment of a long span, so memory here is one chunk, or one frame when a frame
 * is larger than a chunk, whatever the segment's size.
 *
 * Only the bytes the file holds when it is opened are read: frames the log writes after that are
 * not this scan's (for a log at rest that is all of it, recovery cut any torn tail when it last
 * opened). A file retention deletes before it is opened ends at once (`vanished`); once open, the
 * handle keeps reading it. A frame cut short or damaged ends the scan there (`cut`): recovery, not
 * this reader, decides about damage (history-reader.ts does the same).
 */
import * as fs from 'node:fs/promises';
import {
  FILE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  FileKind,
  FrameReader,
  FrameStatus,
  decodeFileHeader,
  describeFrameStatus,
} from '../log/embedded/record-format.js';
import { isAllZero } from '../log/embedded/segment-files.js';
import { ReplayError } from './errors.js';

export type SegmentEnding =
  /** Every frame up to the size the file had when opened was read. */
  | { kind: 'end' }
  /** The file was gone before it could be opened (retention deleted it). */
  | { kind: 'vanished' }
  /** The scan stopped at `offset`: a frame cut short (a torn tail, a write under way) or damaged. */
  | { kind: 'cut'; offset: number; reason: string };

export interface SegmentScan {
  /** The file's size when opened (0 if it vanished): the scan reads no further. */
  size: number;
  ending: SegmentEnding;
}

/**
 * Called for each whole, checksum-valid frame, the reader positioned on it (its offsets are into
 * `reader.buf`, a buffer reused for the next chunk: copy what is kept), with the frame's offset in
 * the file.
 */
export type SegmentFrameVisitor = (reader: FrameReader, fileOffset: number) => void;

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Visit the frames of `file` in order. Yields after each chunk (so the caller can hand on what the
 * visits produced before more is read) and returns how the scan ended. Closing the generator early
 * closes the file.
 */
export async function* scanSegmentFrames(
  file: string,
  visit: SegmentFrameVisitor,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<void, SegmentScan> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, ending: { kind: 'vanished' } };
    throw err;
  }
  try {
    let size = (await handle.stat()).size;
    const head = Buffer.alloc(FILE_HEADER_BYTES);
    const headBytes = await readAt(handle, head, 0, Math.min(size, FILE_HEADER_BYTES), 0);
    if (headBytes < FILE_HEADER_BYTES || isAllZero(head)) {
      // The log had just created the file when it stopped: nothing in it was ever acknowledged.
      return { size, ending: { kind: 'cut', offset: 0, reason: 'no complete file header' } };
    }
    checkHeader(file, head);
    let buf = Buffer.allocUnsafe(Math.max(FRAME_HEADER_BYTES, Math.min(chunkBytes, size - FILE_HEADER_BYTES)));
    /** File offset of buf[0], and how many bytes of buf hold file data. */
    let base = FILE_HEADER_BYTES;
    let filled = 0;
    for (;;) {
      const want = Math.min(buf.length - filled, size - base - filled);
      if (want > 0) {
        const got = await readAt(handle, buf, filled, want, base + filled);
        filled += got;
        if (got < want) size = base + filled; // the file shrank under us: what is there is all there is
      }
      const atEnd = base + filled >= size;
      const reader = new FrameReader(buf, filled);
      let at = 0;
      let status: FrameStatus;
      while ((status = reader.read(at)) === FrameStatus.Ok) {
        visit(reader, base + at);
        at = reader.next;
      }
      if (status !== FrameStatus.Truncated || atEnd) {
        if (status === FrameStatus.Truncated && at === filled) return { size, ending: { kind: 'end' } };
        return { size, ending: { kind: 'cut', offset: base + at, reason: describeFrameStatus(status) } };
      }
      // A frame runs past the chunk: keep its start, and make room for all of it if it is larger.
      buf.copy(buf, 0, at, filled);
      base += at;
      filled -= at;
      if (filled >= FRAME_HEADER_BYTES) {
        const frameBytes = Math.min(FRAME_HEADER_BYTES + buf.readUInt32LE(4), size - base);
        if (frameBytes > buf.length) {
          const larger = Buffer.allocUnsafe(frameBytes);
          buf.copy(larger, 0, 0, filled);
          buf = larger;
        }
      }
      yield;
    }
  } finally {
    await handle.close();
  }
}

function checkHeader(file: string, head: Buffer): void {
  const header = decodeFileHeader(head);
  if (header.ok && header.header.kind === FileKind.Segment) return;
  const reason = header.ok ? `file kind ${header.header.kind}, expected a segment (${FileKind.Segment})` : header.reason;
  throw new ReplayError('replay.bad-segment', `cannot read ${file}: ${reason}`, {
    context: { file, reason },
    hint: 'the log directory holds a damaged or foreign segment, or one written by a newer build: read the history with the build that wrote it, or restore the directory from a backup',
  });
}

/** Read up to `length` bytes at `position` into `buf` at `offset`, across short reads; fewer only at the file's end. */
async function readAt(handle: fs.FileHandle, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
