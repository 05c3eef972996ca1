/**
 * Record payloads (pure).
 *
 * Keyed payload (Appended, DeadLetter) = seq u48 LE | idLength u16 LE | id utf8 | body
 *   (DeadLetter: JSON; Appended: JSON or, since format version 4, binary: delivery-body.ts)
 * Id payload    (Completed, DeadLettered) = id utf8
 *
 * The delivery id sits in front of the JSON body so recovery can match appends against completions
 * by slicing out the id, and JSON-parses only the deliveries that are still pending at the end.
 * `seq` is the delivery's position in append order; it survives compaction (the frame is copied
 * verbatim), which is how recovery restores append order after stragglers were moved.
 */

export const KEYED_PREFIX_BYTES = 8;
export const MAX_ID_BYTES = 0xffff;
/** Sequence numbers are stored in 48 bits: 2.8e14 deliveries, ~90 years at 100,000/s. */
export const MAX_SEQ = 2 ** 48 - 1;

/** Upper bound of the UTF-8 size of a JS string (each UTF-16 unit encodes to at most 3 bytes). */
export function maxUtf8Bytes(text: string): number {
  return text.length * 3;
}

/** Room a keyed payload's body may take: a text's UTF-8 bound, or the bytes' length. */
export function maxBodyBytes(body: string | Uint8Array): number {
  return typeof body === 'string' ? maxUtf8Bytes(body) : body.length;
}

/**
 * Write a keyed payload at `at`; the caller guarantees room for KEYED_PREFIX_BYTES +
 * maxUtf8Bytes(id) + maxBodyBytes(body). `body` is a JSON text or bytes already encoded.
 */
export function writeKeyedPayload(buf: Buffer, at: number, seq: number, id: string, body: string | Uint8Array): number {
  buf.writeUIntLE(seq, at, 6);
  const idBytes = buf.write(id, at + KEYED_PREFIX_BYTES, 'utf8');
  buf.writeUInt16LE(idBytes, at + 6);
  const bodyAt = at + KEYED_PREFIX_BYTES + idBytes;
  let bodyBytes: number;
  if (typeof body === 'string') bodyBytes = buf.write(body, bodyAt, 'utf8');
  else {
    buf.set(body, bodyAt);
    bodyBytes = body.length;
  }
  return KEYED_PREFIX_BYTES + idBytes + bodyBytes;
}

export function encodeKeyedPayload(seq: number, id: string, body: string | Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(KEYED_PREFIX_BYTES + maxUtf8Bytes(id) + maxBodyBytes(body));
  return buf.subarray(0, writeKeyedPayload(buf, 0, seq, id, body));
}

export function readKeyedSeq(buf: Buffer, payloadStart: number): number {
  return buf.readUIntLE(payloadStart, 6);
}

export function readKeyedId(buf: Buffer, payloadStart: number): string {
  const idBytes = buf.readUInt16LE(payloadStart + 6);
  return buf.toString('utf8', payloadStart + KEYED_PREFIX_BYTES, payloadStart + KEYED_PREFIX_BYTES + idBytes);
}

/** Where a keyed payload's body starts (after its id). */
export function keyedBodyStart(buf: Buffer, payloadStart: number): number {
  return payloadStart + KEYED_PREFIX_BYTES + buf.readUInt16LE(payloadStart + 6);
}

export function readKeyedBody(buf: Buffer, payloadStart: number, payloadEnd: number): string {
  const idBytes = buf.readUInt16LE(payloadStart + 6);
  return buf.toString('utf8', payloadStart + KEYED_PREFIX_BYTES + idBytes, payloadEnd);
}

/**
 * A keyed payload whose id length points past its end is damage the checksum could not see (only
 * a writer bug produces it); readers check this before trusting the id.
 */
export function isWellFormedKeyedPayload(buf: Buffer, payloadStart: number, payloadEnd: number): boolean {
  if (payloadEnd - payloadStart < KEYED_PREFIX_BYTES) return false;
  return payloadStart + KEYED_PREFIX_BYTES + buf.readUInt16LE(payloadStart + 6) <= payloadEnd;
}

export function readIdPayload(buf: Buffer, payloadStart: number, payloadEnd: number): string {
  return buf.toString('utf8', payloadStart, payloadEnd);
}
