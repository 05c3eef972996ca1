/**
 * One segment of the file trail (decision 1790): its name, and where its lines are. A segment is a
 * file of records, one per line in canonical encoding; segment 0 keeps the name the whole trail had
 * before segments (`trail.jsonl`), so a trail written by an older node is segment 0 as it stands,
 * and later segments are named by the index of their first record (`trail.0000000000004096.jsonl`).
 *
 * Indexing streams the file in chunks: a segment is never read whole into memory, only the
 * positions of its lines are kept (8 bytes a record).
 */
import type { promises as fs } from 'node:fs';
import { decodeRecord } from '@caxton/core';

export const AUDIT_FILE_NAME = 'trail.jsonl';
const NEWLINE = 0x0a;
const CHUNK_BYTES = 1024 * 1024;

/** The file name of the segment whose first record is `first`. */
export function segmentFileName(first: number): string {
  return first === 0 ? AUDIT_FILE_NAME : `trail.${String(first).padStart(16, '0')}.jsonl`;
}

/** The first record of the segment a file name names, or undefined when it names none. */
export function parseSegmentFileName(name: string): number | undefined {
  if (name === AUDIT_FILE_NAME) return 0;
  const m = /^trail\.(\d{16})\.jsonl$/.exec(name);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first > 0 && Number.isSafeInteger(first) ? first : undefined;
}

/**
 * A line a crash left behind rather than a damaged record: it holds NUL bytes (a later page of an
 * unsynced write persisted before an earlier one; canonical JSON never holds a raw NUL) and does not
 * parse.
 */
export function isTornLine(line: Uint8Array): boolean {
  if (!line.includes(0)) return false;
  try {
    decodeRecord(line);
    return false;
  } catch {
    return true;
  }
}

/** Where the complete lines of `bytes` start, and where the good part ends (a torn tail cut off). */
export function scanTrail(bytes: Uint8Array): { starts: number[]; end: number } {
  const starts: number[] = [];
  let start = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) {
    starts.push(start);
    start = i + 1;
  }
  let end = start; // bytes after the last newline are torn
  while (starts.length > 0 && isTornLine(bytes.subarray(starts[starts.length - 1]!, end - 1))) end = starts.pop()!;
  return { starts, end };
}

/**
 * The lines of a segment file of `size` bytes, streamed: `offsets[k]` is where line k starts and
 * the last entry where the good part ends. `cutTorn` (the segment being written, at open): a torn
 * tail — bytes after the last newline, trailing torn lines — is left out, for the caller to cut.
 * Otherwise (a closed segment, read for a reader) trailing bytes without a newline are one more
 * line, so that whatever is stored is shown to verification rather than dropped.
 */
export async function indexSegment(handle: fs.FileHandle, size: number, cutTorn: boolean): Promise<number[]> {
  const offsets: number[] = [0];
  const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(size, 1)));
  for (let pos = 0; pos < size; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
    if (bytesRead === 0) break;
    const got = chunk.subarray(0, bytesRead);
    for (let i = got.indexOf(NEWLINE); i !== -1; i = got.indexOf(NEWLINE, i + 1)) offsets.push(pos + i + 1);
    pos += bytesRead;
  }
  const lastNewline = offsets[offsets.length - 1]!;
  if (!cutTorn) {
    if (lastNewline < size) offsets.push(size + 1); // as if newline-terminated: the line is [start, size)
    return offsets;
  }
  while (offsets.length > 1) {
    const start = offsets[offsets.length - 2]!;
    const end = offsets[offsets.length - 1]!;
    if (!isTornLine(await readRange(handle, start, end - 1 - start))) break;
    offsets.pop();
  }
  return offsets;
}

/** `length` bytes from `position` (fewer at the end of the file). */
export async function readRange(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buffer, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}
