/**
 * The lines of a file, read forwards in bounded chunks (replay exports, issue 57): memory is one
 * chunk, or one line when a line is longer than a chunk, and never more than `maxLineBytes` — a
 * line longer than that is refused as soon as that many bytes of it are read, never buffered whole.
 *
 * Why not node:readline: it hands back decoded strings (the export's checksum is over the bytes as
 * written, and a string re-encoded is not always those bytes), and it buffers a line whatever its
 * length.
 */
import type { FileHandle } from 'node:fs/promises';

export const DEFAULT_LINE_CHUNK_BYTES = 1024 * 1024;

export interface BoundedLinesOptions {
  /** The longest line (its bytes, the newline not counted) accepted. */
  maxLineBytes: number;
  /** The error for line `line` (1-based), longer than maxLineBytes: thrown before more of it is read. */
  tooLong: (line: number) => Error;
  chunkBytes?: number;
}

/** How the file ended: at a line's end, or `partial` bytes into a line no newline ends. */
export interface LinesEnd {
  /** Lines yielded (each ended by a newline). */
  lines: number;
  /** Bytes after the last newline (0 when the file ends with one). */
  partial: number;
}

/**
 * Yields each newline-ended line of `handle` from its start, without its newline. The buffer
 * yielded is only valid until the next step (it is a view of the chunk, reused): copy what is kept.
 * Returns how the file ended.
 */
export async function* boundedLines(handle: FileHandle, opts: BoundedLinesOptions): AsyncGenerator<Buffer, LinesEnd> {
  const { maxLineBytes } = opts;
  let buf = Buffer.allocUnsafe(Math.min(opts.chunkBytes ?? DEFAULT_LINE_CHUNK_BYTES, maxLineBytes + 1));
  /** The unread bytes are buf[start, end); no newline in buf[start, scanned). */
  let start = 0;
  let end = 0;
  let scanned = 0;
  let position = 0;
  let lines = 0;
  for (;;) {
    const nl = buf.subarray(scanned, end).indexOf(0x0a);
    if (nl >= 0) {
      const at = scanned + nl;
      if (at - start > maxLineBytes) throw opts.tooLong(lines + 1);
      lines++;
      yield buf.subarray(start, at);
      start = scanned = at + 1;
      continue;
    }
    scanned = end;
    if (end - start > maxLineBytes) throw opts.tooLong(lines + 1);
    // More of the line is needed: move it to the front, and make room when it fills the buffer.
    if (start > 0) {
      buf.copy(buf, 0, start, end);
      end -= start;
      scanned -= start;
      start = 0;
    }
    if (end === buf.length) {
      const larger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxLineBytes + 1));
      buf.copy(larger, 0, 0, end);
      buf = larger;
    }
    const { bytesRead } = await handle.read(buf, end, buf.length - end, position);
    if (bytesRead === 0) return { lines, partial: end - start };
    position += bytesRead;
    end += bytesRead;
  }
}
