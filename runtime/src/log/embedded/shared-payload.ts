/**
 * Payload of an AppendedShared frame: the deliveries of ONE message to several receivers, with the
 * message stored once (pure: Buffers in, values out, no I/O). Decision 1202.
 *
 * Shared payload = count u32 LE
 *                | count × (seq u48 LE | idLength u16 LE | id utf8 | receiverLength u16 LE | receiver utf8)
 *                | body utf8 (JSON: { messageId, acceptedAt, message })
 *
 * Before, each of a message's N deliveries was its own Appended frame carrying the whole message,
 * whose receiver list has N names: N² bytes encoded, written and fsynced per message. Here the
 * per-delivery part is a few dozen bytes. Each delivery keeps its own sequence number, so recovery
 * orders and completes deliveries exactly as before; compaction copies only the still-pending
 * entries forward, with the body bytes copied verbatim.
 */
import { parseJson } from '@caxton/core';
import { MAX_ID_BYTES } from './payload.js';

export const SHARED_COUNT_BYTES = 4;
/** A receiver name's UTF-8 length is stored in 16 bits. */
export const MAX_RECEIVER_BYTES = 0xffff;
/** seq u48 + idLength u16 + receiverLength u16. */
export const SHARED_ENTRY_FIXED_BYTES = 10;

/** One delivery of a shared frame. */
export interface SharedEntry {
  seq: number;
  id: string;
  receiver: string;
}

/** What every delivery of the message has in common: stored once, as JSON, after the entries. */
export interface SharedBody {
  messageId: string;
  acceptedAt: number;
  message: unknown;
}

/** The exact UTF-8 size of one entry. */
export function sharedEntryBytes(id: string, receiver: string): number {
  return SHARED_ENTRY_FIXED_BYTES + Buffer.byteLength(id, 'utf8') + Buffer.byteLength(receiver, 'utf8');
}

/**
 * Write a shared payload at `at`; the caller guarantees room for SHARED_COUNT_BYTES + the entries'
 * `sharedEntryBytes` + the body's byte length. `body` is a JSON string (new appends) or the raw
 * bytes of an existing frame's body (compaction copies). Returns the payload length.
 */
export function writeSharedPayload(buf: Buffer, at: number, entries: readonly SharedEntry[], body: string | Uint8Array): number {
  let pos = at + SHARED_COUNT_BYTES;
  buf.writeUInt32LE(entries.length, at);
  for (const entry of entries) {
    buf.writeUIntLE(entry.seq, pos, 6);
    const idBytes = buf.write(entry.id, pos + 8, 'utf8');
    if (idBytes > MAX_ID_BYTES) throw new RangeError(`delivery id longer than ${MAX_ID_BYTES} bytes`);
    buf.writeUInt16LE(idBytes, pos + 6);
    pos += 8 + idBytes;
    const receiverBytes = buf.write(entry.receiver, pos + 2, 'utf8');
    if (receiverBytes > MAX_RECEIVER_BYTES) throw new RangeError(`receiver name longer than ${MAX_RECEIVER_BYTES} bytes`);
    buf.writeUInt16LE(receiverBytes, pos);
    pos += 2 + receiverBytes;
  }
  if (typeof body === 'string') pos += buf.write(body, pos, 'utf8');
  else {
    buf.set(body, pos);
    pos += body.length;
  }
  return pos - at;
}

/** The entries of a shared payload and where its body starts; undefined if the payload is malformed. */
export function readSharedEntries(
  buf: Buffer,
  payloadStart: number,
  payloadEnd: number,
): { entries: SharedEntry[]; bodyStart: number } | undefined {
  if (payloadEnd - payloadStart < SHARED_COUNT_BYTES) return undefined;
  const count = buf.readUInt32LE(payloadStart);
  // Every entry takes at least its fixed bytes: a count beyond that is damage, not a huge record.
  if (count === 0 || count > (payloadEnd - payloadStart - SHARED_COUNT_BYTES) / SHARED_ENTRY_FIXED_BYTES) return undefined;
  const entries = new Array<SharedEntry>(count);
  let pos = payloadStart + SHARED_COUNT_BYTES;
  for (let i = 0; i < count; i++) {
    if (pos + 8 > payloadEnd) return undefined;
    const seq = buf.readUIntLE(pos, 6);
    const idEnd = pos + 8 + buf.readUInt16LE(pos + 6);
    if (idEnd + 2 > payloadEnd) return undefined;
    const receiverEnd = idEnd + 2 + buf.readUInt16LE(idEnd);
    if (receiverEnd > payloadEnd) return undefined;
    entries[i] = { seq, id: buf.toString('utf8', pos + 8, idEnd), receiver: buf.toString('utf8', idEnd + 2, receiverEnd) };
    pos = receiverEnd;
  }
  return { entries, bodyStart: pos };
}

/** Parse the shared body; throws (SyntaxError, TypeError) when it is not what a writer writes. */
export function parseSharedBody(buf: Buffer, bodyStart: number, payloadEnd: number): SharedBody {
  const body = parseJson(buf.toString('utf8', bodyStart, payloadEnd)) as SharedBody;
  if (
    body === null ||
    typeof body !== 'object' ||
    typeof body.messageId !== 'string' ||
    typeof body.acceptedAt !== 'number' ||
    body.message === null ||
    typeof body.message !== 'object'
  ) {
    throw new TypeError('shared body lacks messageId, acceptedAt or message');
  }
  return body;
}
