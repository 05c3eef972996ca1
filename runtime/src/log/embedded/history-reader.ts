/**
 * Reads accepted messages back out of the segment files, newest first, for the web console's
 * history (issue 15). Frames only chain forwards, so "backwards" is: segments newest first, each
 * scanned forwards up to the cursor and the newest matches of it kept. A page therefore costs at
 * most one pass over the segments it touches; `maxScanBytes` bounds that for a filter that matches
 * nothing (the page then ends early with a cursor to go on from).
 *
 * Only what is durable is read (each segment up to the size the writer has committed); a segment
 * retention deletes meanwhile ends the history there. Damaged or torn frames end a segment's scan:
 * recovery, not this reader, decides about damage.
 */
import * as fs from 'node:fs/promises';
import { InvalidArgumentError, type AclMessage } from '@caxton/core';
import type { HistoricMessage, HistoryPage, HistoryQuery } from '../message-log.js';
import { FILE_HEADER_BYTES, FrameReader, FrameStatus, RecordType } from './record-format.js';
import { isWellFormedKeyedPayload, keyedBodyStart, readKeyedId } from './payload.js';
import { readDeliveryBody } from './delivery-body.js';
import { parseSharedBody, readSharedEntries } from './shared-payload.js';

export interface HistorySegment {
  no: number;
  path: string;
  /** Durable bytes in the file (header included). */
  size: number;
}

interface Cursor {
  no: number;
  offset: number;
}

const CURSOR = /^(\d{1,10})\.(\d{1,15})$/;

export function formatCursor(no: number, offset: number): string {
  return `${no}.${offset}`;
}

export function parseCursor(text: string): Cursor {
  const m = CURSOR.exec(text);
  if (!m)
    throw new InvalidArgumentError(
      'before',
      `${JSON.stringify(text.slice(0, 40))} is not a history position`,
      'pass the nextBefore of the previous page, or nothing for the newest messages',
    );
  return { no: Number(m[1]), offset: Number(m[2]) };
}

/** The durable prefix [0, end) of a file; undefined when retention deleted it meanwhile. */
async function readPrefix(file: string, end: number): Promise<Buffer | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(end);
    let at = 0;
    while (at < end) {
      const { bytesRead } = await handle.read(buf, at, end - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  } finally {
    await handle.close();
  }
}

/** Every message appended in `buf` before `end`, once each (by message id), in log order. */
function messagesIn(buf: Buffer, no: number, end: number): HistoricMessage[] {
  const out: HistoricMessage[] = [];
  const seen = new Set<string>();
  const reader = new FrameReader(buf, Math.min(end, buf.length));
  let offset = FILE_HEADER_BYTES;
  while (reader.read(offset) === FrameStatus.Ok) {
    const at = offset;
    offset = reader.next;
    let body: { messageId: string; acceptedAt: number; message: AclMessage } | undefined;
    try {
      if (reader.type === RecordType.Appended && isWellFormedKeyedPayload(buf, reader.payloadStart, reader.payloadEnd)) {
        body = readDeliveryBody(buf, keyedBodyStart(buf, reader.payloadStart), reader.payloadEnd, readKeyedId(buf, reader.payloadStart));
      } else if (reader.type === RecordType.AppendedShared) {
        const shared = readSharedEntries(buf, reader.payloadStart, reader.payloadEnd);
        if (shared) body = parseSharedBody(buf, shared.bodyStart, reader.payloadEnd) as typeof body;
      }
    } catch {
      continue; // a payload recovery would refuse: not this reader's call
    }
    if (!body || typeof body.messageId !== 'string' || seen.has(body.messageId)) continue;
    seen.add(body.messageId);
    out.push({ messageId: body.messageId, acceptedAt: body.acceptedAt, message: body.message, position: formatCursor(no, at) });
  }
  return out;
}

export async function readSegmentHistory(segments: readonly HistorySegment[], query: HistoryQuery): Promise<HistoryPage> {
  const cursor = query.before === undefined ? undefined : parseCursor(query.before);
  const ordered = segments.filter((s) => cursor === undefined || s.no <= cursor.no).sort((a, b) => b.no - a.no);
  const newestFirst: HistoricMessage[] = [];
  let scanned = 0;
  for (const segment of ordered) {
    const end = cursor !== undefined && segment.no === cursor.no ? Math.min(cursor.offset, segment.size) : segment.size;
    if (scanned > 0 && scanned + end > query.maxScanBytes) {
      // Enough work for one page: hand back where to go on, even if the page is short.
      return { messages: newestFirst.reverse(), nextBefore: formatCursor(segment.no, end) };
    }
    const buf = await readPrefix(segment.path, end);
    if (buf === undefined) break; // retention deleted it: the history starts after it
    scanned += buf.length;
    const matches = messagesIn(buf, segment.no, end).filter(query.match);
    for (let i = matches.length - 1; i >= 0 && newestFirst.length < query.limit; i--) newestFirst.push(matches[i]!);
    if (newestFirst.length >= query.limit) {
      const oldest = newestFirst[newestFirst.length - 1]!;
      const moreHere = matches.length > 0 && matches[0] !== oldest;
      const olderSegments = ordered.some((s) => s.no < segment.no);
      return { messages: newestFirst.reverse(), ...(moreHere || olderSegments ? { nextBefore: oldest.position } : {}) };
    }
  }
  return { messages: newestFirst.reverse() };
}
