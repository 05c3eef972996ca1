/**
 * Kafka record layout of deliveries and dead letters.
 *
 * - KEY: the receiver (Kafka's "same key, same partition, in order" is exactly the per-receiver
 *   order the log contract asks for).
 * - VALUE, version 2 (written since decision 1205): one compact binary buffer and no headers —
 *   version byte 0x02 · delivery id · message id · accepted-at (float64) · the ACL message as
 *   tagged fields (acl-binary.ts). The version byte lets the format evolve; a JSON value never
 *   starts with 0x02.
 * - Version 1 (decision 0600, still read so records written before an upgrade are delivered): the
 *   value is the ACL message in Caxton's JSON form, the envelope in `caxton-*` headers.
 * Dead letters are version-2 deliveries plus the reason, attempts and time in headers (a cold path
 * that operators read with Kafka tools).
 */
import { createHash } from 'node:crypto';
import type { AclMessage, Delivery } from '@caxton/core';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { MESSAGE_INFO_LIMITS, decodeAclJson, encodeAclJson, parseJson } from '@caxton/core';
import type { DeadLetter, DeadLetterMark } from '../message-log.js';
import { FieldReader, FieldWriter, RecordFormatError } from '../records/binary-fields.js';
import { readAclMessage, writeAclMessage } from '../records/acl-binary.js';

const H = {
  version: 'caxton-v',
  id: 'caxton-delivery-id',
  messageId: 'caxton-message-id',
  acceptedAt: 'caxton-accepted-at',
  reason: 'caxton-dl-reason',
  attempts: 'caxton-dl-attempts',
  at: 'caxton-dl-at',
  /** Set on a dead letter's mark (decision 1860): the value is the mark's JSON, the key the letter's id. */
  mark: 'caxton-dl-mark',
  /** Where a quarantined or refused record was read (`<topic>/<partition>@<offset>`). */
  source: 'caxton-dl-source',
  /** Set on a quarantined record: the value is the record's value as read (encodeQuarantined), never a delivery. */
  quarantined: 'caxton-dl-quarantined',
  /** A quarantined record's original key and headers (base64 in JSON), or, for a place-only copy, the value's digest. */
  original: 'caxton-dl-original',
} as const;

const V1 = '1';
const V2 = 0x02;

/** The ACL message part of a version-2 value: the same bytes for every receiver of one message. */
export function encodeMessageBody(m: AclMessage): Buffer {
  const w = new FieldWriter(48 + 2 * (m.content?.length ?? 0));
  writeAclMessage(w, m);
  return w.finish();
}

/**
 * The record value of a delivery in the current (version 2) layout. `body` is the message's
 * encodeMessageBody() when the caller already has it: the deliveries of one multi-receiver message
 * are one record per receiver (the receiver is the key and picks the partition), but their shared
 * message is encoded once per append (decision 1202).
 */
export function encodeDeliveryValue(d: Delivery, body: Buffer = encodeMessageBody(d.message)): Buffer {
  const w = new FieldWriter(48 + d.id.length + d.messageId.length + body.length);
  w.byte(V2);
  w.string(d.id);
  w.string(d.messageId);
  w.float64(d.acceptedAt);
  w.bytes(body);
  return w.finish();
}

export function encodeDelivery(d: Delivery, partition: number, body?: Buffer): Message {
  return { key: d.receiver, value: encodeDeliveryValue(d, body), partition };
}

/** Version 1 (JSON value, envelope in headers): kept for tests of reading old records. */
export function encodeDeliveryV1(d: Delivery, partition: number): Message {
  return {
    key: d.receiver,
    value: encodeAclJson(d.message),
    partition,
    headers: { [H.version]: V1, [H.id]: d.id, [H.messageId]: d.messageId, [H.acceptedAt]: String(d.acceptedAt) },
  };
}

export function encodeDeadLetter(l: DeadLetter): Message {
  const m = encodeDelivery(l.delivery, 0);
  return { ...m, headers: { [H.reason]: l.reason, [H.attempts]: String(l.attempts), [H.at]: String(l.at) } };
}

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

function num(h: IHeaders | undefined, name: string): number {
  const s = header(h, name);
  const n = s === undefined ? NaN : Number(s);
  if (!Number.isFinite(n)) throw new Error(`header ${name} missing or not a number`);
  return n;
}

function str(h: IHeaders | undefined, name: string): string {
  const s = header(h, name);
  if (s === undefined || s.length === 0) throw new Error(`header ${name} missing`);
  return s;
}

const isV2 = (m: KafkaMessage): boolean => m.value !== null && m.value.length > 0 && m.value[0] === V2;

/** Just the delivery id, cheaply, without decoding the message (for skip decisions). */
export function deliveryIdOf(m: KafkaMessage): string | undefined {
  if (!isV2(m)) return header(m.headers, H.id);
  try {
    return new FieldReader(m.value!, 1).string();
  } catch {
    return undefined; // decodeDelivery will say what is wrong with it
  }
}

/**
 * Messages recently decoded from multi-receiver records, by message id (decision 2003). Such a
 * message is one record per receiver, each carrying the same body (decision 1202); a consumer that
 * keeps the decoded message reads the body once instead of once per receiver — 1,000 receiver names
 * each time for a message to 1,000 — and its deliveries share one message object, as they do on the
 * embedded log (which the shard hand-off relies on to send a wide message to a shard once). A body
 * is reused only when its bytes equal the kept ones, so a record is never read as another message.
 */
export class DecodedBodies {
  /** In insertion order: the first is dropped first. */
  private readonly byId = new Map<string, { body: Buffer; message: AclMessage }>();
  private keptBytes = 0;

  constructor(
    readonly capacity: number = MESSAGE_INFO_LIMITS.decodedBodies,
    /** Body bytes kept at most; a body over an eighth of it is not kept (it would push most others out). */
    readonly maxBytes: number = MESSAGE_INFO_LIMITS.decodedBodyBytes,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** Body bytes kept now (≤ `maxBytes`). */
  get bytes(): number {
    return this.keptBytes;
  }

  lookup(messageId: string, body: Buffer): AclMessage | undefined {
    const kept = this.byId.get(messageId);
    return kept?.body.equals(body) ? kept.message : undefined;
  }

  remember(messageId: string, body: Buffer, message: AclMessage): void {
    // Only a message with several receivers comes back in other records.
    if (message.receivers.length < 2 || body.length > this.maxBytes / 8) return;
    this.drop(messageId);
    for (const [id, kept] of this.byId) {
      if (this.byId.size < this.capacity && this.keptBytes + body.length <= this.maxBytes) break;
      this.byId.delete(id);
      this.keptBytes -= kept.body.length;
    }
    // A copy: the record's buffer may be a slice of a whole fetch, which must not be kept alive.
    this.byId.set(messageId, { body: Buffer.from(body), message });
    this.keptBytes += body.length;
  }

  private drop(messageId: string): void {
    const kept = this.byId.get(messageId);
    if (kept === undefined) return;
    this.byId.delete(messageId);
    this.keptBytes -= kept.body.length;
  }
}

function decodeV2(key: Buffer, value: Buffer, bodies?: DecodedBodies): Delivery {
  const r = new FieldReader(value, 1);
  const id = r.string();
  const messageId = r.string();
  const acceptedAt = r.float64();
  if (!Number.isFinite(acceptedAt)) throw new RecordFormatError('accepted-at is not a finite time');
  if (id.length === 0 || messageId.length === 0) throw new RecordFormatError('delivery id or message id empty');
  const body = value.subarray(r.position);
  const seen = bodies?.lookup(messageId, body);
  if (seen !== undefined) return { id, messageId, receiver: key.toString(), message: seen, acceptedAt };
  const message = readAclMessage(r);
  if (!r.done) throw new RecordFormatError('bytes after the end of the message');
  bodies?.remember(messageId, body, message);
  return { id, messageId, receiver: key.toString(), message, acceptedAt };
}

/**
 * Decode a delivery record; throws (a plain Error, or an ACL error) if it is not one of ours. With
 * `bodies`, a multi-receiver message's body is decoded once for all its records.
 */
export function decodeDelivery(m: KafkaMessage, bodies?: DecodedBodies): Delivery {
  if (m.key === null || m.value === null) throw new Error('record without key or value');
  if (isV2(m)) return decodeV2(m.key, m.value, bodies);
  const version = header(m.headers, H.version);
  if (version !== V1) throw new Error(`unknown record version ${version ?? '(none)'}`);
  return {
    id: str(m.headers, H.id),
    messageId: str(m.headers, H.messageId),
    receiver: m.key.toString(),
    message: decodeAclJson(m.value.toString('utf8')),
    acceptedAt: num(m.headers, H.acceptedAt),
  };
}

export function decodeDeadLetter(m: KafkaMessage): DeadLetter {
  // Its value is someone else's bytes, maybe a delivery's layout: never a letter.
  if (header(m.headers, H.quarantined) !== undefined) throw new Error('a quarantined record, not a dead letter');
  return {
    delivery: decodeDelivery(m),
    reason: str(m.headers, H.reason),
    attempts: num(m.headers, H.attempts),
    at: num(m.headers, H.at),
  };
}

/**
 * A dead letter's mark (redriven, purged; decision 1860), written to the dead-letter topic keyed by
 * the letter's id. A build that predates marks cannot decode it as a dead letter and skips it.
 */
export function encodeDeadLetterMark(mark: DeadLetterMark): Message {
  return { key: mark.id, value: JSON.stringify(mark), headers: { [H.mark]: '1' } };
}

/**
 * The mark in `m`, undefined when `m` is no mark (a dead letter); throws on a malformed mark. A
 * record with a letter's reason, a source or a quarantine header is never a mark, whatever else it
 * carries: a quarantined record written by an older build is the refused record's headers copied
 * (and signed by the node, decision 2185), so a forged `caxton-dl-mark` could ride in it.
 */
export function decodeDeadLetterMark(m: KafkaMessage): DeadLetterMark | undefined {
  if (header(m.headers, H.mark) === undefined) return undefined;
  if (
    header(m.headers, H.reason) !== undefined ||
    header(m.headers, H.source) !== undefined ||
    header(m.headers, H.quarantined) !== undefined
  )
    return undefined;
  if (m.value === null) throw new Error('dead-letter mark without a value');
  const mark = parseJson(m.value.toString('utf8')) as DeadLetterMark;
  const valid =
    typeof mark === 'object' &&
    mark !== null &&
    typeof mark.id === 'string' &&
    typeof mark.at === 'number' &&
    (mark.state === 'purged' || (mark.state === 'redriven' && typeof mark.deliveryId === 'string' && typeof mark.receiver === 'string'));
  if (!valid) throw new Error('malformed dead-letter mark');
  return mark;
}

/**
 * A record the node moves aside (undecodable, or refused by its record-key check: decision 2185),
 * as a new record of the node's own. Its value is the original value, byte for byte (no bigger than
 * the record read: a copy that grew could be refused as too large where the original was not). The
 * original key and headers go into one header the node authors, `caxton-dl-original` (JSON, base64
 * fields), never as this record's key or headers: the node signs what it writes, and must not sign,
 * as its own, headers or a key it did not author (a forged `caxton-dl-mark` would become a genuine
 * mark). Its other headers are the node's: the reason, the source, the quarantine flag. Readers
 * never take it for a letter or a mark.
 */
export function encodeQuarantined(m: KafkaMessage, reason: string, source: string): Message {
  const b64 = (v: Buffer | string | null | undefined): string | null =>
    v === null || v === undefined ? null : (typeof v === 'string' ? Buffer.from(v) : v).toString('base64');
  const headers: Record<string, string[]> = {};
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    headers[name] = (Array.isArray(v) ? v : [v]).map((one) => b64(one) ?? '');
  }
  return {
    key: null,
    value: m.value,
    headers: { [H.reason]: reason, [H.source]: source, [H.quarantined]: '1', [H.original]: JSON.stringify({ key: b64(m.key), headers }) },
  };
}

/**
 * A quarantined record's place only, for one whose copy the broker refused as too large
 * (`MESSAGE_TOO_LARGE`): no payload — the source header says where it was read, and
 * `caxton-dl-original` holds the value's SHA-256 and length — so the record can still be completed
 * and its partition's commits move on.
 */
export function encodeQuarantinedPlace(m: KafkaMessage, reason: string, source: string): Message {
  const value = m.value ?? null;
  const original = {
    omitted: 'too large',
    valueBytes: value === null ? null : value.length,
    valueSha256: value === null ? null : createHash('sha256').update(value).digest('hex'),
  };
  return {
    key: null,
    value: null,
    headers: { [H.reason]: reason, [H.source]: source, [H.quarantined]: 'place-only', [H.original]: JSON.stringify(original) },
  };
}

/** What encodeQuarantined kept of a record: its key, value and headers as read; or, place-only, the value's digest. */
export type QuarantinedRecord =
  | { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer[]> }
  | { omitted: string; valueBytes: number | null; valueSha256: string | null };

/** The record inside a quarantined copy, undefined when `m` is not one (a letter, a mark). */
export function decodeQuarantined(m: KafkaMessage): QuarantinedRecord | undefined {
  const original = header(m.headers, H.original);
  if (header(m.headers, H.quarantined) === undefined || original === undefined) return undefined;
  const o = parseJson(original) as {
    key?: string | null;
    headers?: Record<string, string[]>;
    omitted?: string;
    valueBytes?: number | null;
    valueSha256?: string | null;
  };
  if (typeof o.omitted === 'string') return { omitted: o.omitted, valueBytes: o.valueBytes ?? null, valueSha256: o.valueSha256 ?? null };
  const headers: Record<string, Buffer[]> = {};
  for (const [name, vs] of Object.entries(o.headers ?? {})) headers[name] = vs.map((v) => Buffer.from(v, 'base64'));
  return { key: typeof o.key === 'string' ? Buffer.from(o.key, 'base64') : null, value: m.value, headers };
}
