/**
 * Authenticated records on the Kafka log (decision 2185): every record a node produces carries a
 * keyed MAC in its `caxton-mac` header, and every record a node reads is checked against the
 * cluster's record keys before anything in it is believed. A record written by anything else — a
 * client with broker access, a compromised broker — has no valid tag and is refused.
 *
 * The tag is HMAC-SHA256, truncated to 128 bits, over (length-prefixed, so no two inputs encode
 * alike): a domain string, the topic, the record's key, its value (null kept apart from empty) and
 * its headers other than `caxton-mac`, sorted by name, after the topic and the partition. The topic
 * and the partition are in it so a record copied to another topic or partition of the cluster is
 * refused there: the node picks every record's partition itself before it signs (kafka-message-log.ts
 * send), and the reader checks against the partition it read the record from. The offset and
 * timestamp are not (the broker assigns them; see the decision for what a copy replayed within its
 * partition can and cannot do).
 *
 * Header: `<keyId>:<tag as base64url>` — the key that signed, so a ring of several keys verifies
 * during a rotation. Pure: no I/O; the key objects are made once, when the ring is built.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { KEY_ID, parseKeyLines } from '../../signing/key-file.js';
import { RecordKeyError } from './errors.js';

export const MAC_HEADER = 'caxton-mac';
/** A key id: short, plain (it travels in every record). */
export const RECORD_KEY_ID = KEY_ID;
/** Secrets shorter than SHA-256's output add nothing to an attacker's work: refused. */
export const MIN_RECORD_SECRET_BYTES = 32;
/** Bytes of the HMAC kept in the header (128 bits: RFC 2104's truncation, ample for a MAC). */
const TAG_BYTES = 16;
const DOMAIN = Buffer.from('caxton-record-mac/1\n', 'latin1');
const NULL_LENGTH = 0xffffffff;
const COLON = 0x3a;

/** One record key as configured: its id and secret. */
export interface RecordKeySpec {
  id: string;
  secret: Buffer;
}

/** What a record's check found. */
export type RecordVerdict = { ok: true; keyId: string } | { ok: false; reason: string; keyId?: string };

/** A record as produced (kafkajs `Message`) or read (`KafkaMessage`): only what the tag covers. */
export interface MacRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
}

/**
 * The cluster's record keys: the first signs, every one verifies (rotation without downtime: add
 * the new key second everywhere, then move it first, then remove the old one).
 */
export class RecordKeyRing {
  readonly signingId: string;
  private readonly signing: KeyObject;
  private readonly byId = new Map<string, KeyObject>();
  /** The MAC input, laid out per record in one reused buffer (hmac.update() reads it at once). */
  private readonly writer = new InputWriter();
  /** Per topic: the domain and the topic, length-prefixed, encoded once. */
  private readonly topicPrefix = new Map<string, Buffer>();

  constructor(keys: readonly RecordKeySpec[]) {
    if (keys.length === 0) throw new RecordKeyError('no record key given', 'list at least one `<keyId> <base64 secret>` line');
    for (const k of keys) {
      if (!RECORD_KEY_ID.test(k.id))
        // Never the id's text: with the columns swapped, it is the secret.
        throw new RecordKeyError(
          `a record key id (${k.id.length} characters) is not a plain name`,
          'use 1-32 letters, digits, ".", "_" or "-"',
        );
      if (k.secret.length < MIN_RECORD_SECRET_BYTES)
        throw new RecordKeyError(
          `record key ${k.id} is ${k.secret.length} bytes; at least ${MIN_RECORD_SECRET_BYTES} are needed`,
          'make one with `openssl rand -base64 32`',
        );
      if (this.byId.has(k.id)) throw new RecordKeyError(`record key id ${k.id} is listed twice`, 'give each key its own id');
      this.byId.set(k.id, createSecretKey(Buffer.from(k.secret)));
    }
    this.signingId = keys[0]!.id;
    this.signing = this.byId.get(this.signingId)!;
  }

  /** The key ids, the signing one first. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Sets the record's `caxton-mac` header (replacing any) for `topic`/`partition`. Mutates `record.headers`. */
  sign(topic: string, partition: number, record: MacRecord): void {
    const header = `${this.signingId}:${this.tag(this.signing, topic, partition, record).toString('base64url')}`;
    if (record.headers === undefined) record.headers = { [MAC_HEADER]: header };
    else record.headers[MAC_HEADER] = header;
  }

  /** Whether the record, read from `topic`/`partition`, carries a valid tag made by one of this ring's keys. */
  verify(topic: string, partition: number, record: MacRecord): RecordVerdict {
    const raw = record.headers?.[MAC_HEADER];
    if (raw === undefined) return { ok: false, reason: `no ${MAC_HEADER} header` };
    if (Array.isArray(raw)) return { ok: false, reason: `${raw.length} ${MAC_HEADER} headers` };
    const header = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    const colon = header.indexOf(COLON);
    if (colon <= 0 || colon > 32) return { ok: false, reason: `malformed ${MAC_HEADER} header` };
    const keyId = header.toString('latin1', 0, colon);
    const key = this.byId.get(keyId);
    // The id is the writer's to choose: shown only when it is a plain name.
    if (key === undefined) return { ok: false, reason: `unknown record key ${RECORD_KEY_ID.test(keyId) ? keyId : '(malformed)'}` };
    // Compared as the encoded text, whole and in constant time: no lenient decoding to get round.
    const given = header.subarray(colon + 1);
    const expected = Buffer.from(this.tag(key, topic, partition, record).toString('base64url'), 'latin1');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: `bad ${MAC_HEADER} tag (key ${keyId})`, keyId };
    return { ok: true, keyId };
  }

  private tag(key: KeyObject, topic: string, partition: number, r: MacRecord): Buffer {
    let prefix = this.topicPrefix.get(topic);
    if (prefix === undefined) {
      const t = Buffer.from(topic, 'utf8');
      prefix = Buffer.concat([DOMAIN, u32(t.length), t]);
      // Topics are the node's own few (deliveries, dead letters, state): bounded by construction.
      if (this.topicPrefix.size < 16) this.topicPrefix.set(topic, prefix);
    }
    // The whole input laid out in one reused buffer and handed to the HMAC in ONE update: each
    // update() is a crossing into C++, and six of them cost more than the copy (decision 2185, *Cost*).
    const w = this.writer;
    w.reset(prefix.length + 64 + size(r.key ?? null) + size(r.value));
    w.bytes(prefix);
    w.u32(partition);
    w.part(r.key ?? null);
    w.part(r.value);
    const headers = r.headers;
    if (headers === undefined) {
      w.u32(0);
    } else {
      const names = Object.keys(headers).filter((n) => n !== MAC_HEADER && headers[n] !== undefined);
      w.u32(names.length);
      // Sorted by code unit: the producer's and the reader's header order may differ.
      names.sort();
      for (const n of names) {
        const v = headers[n]!;
        const values = Array.isArray(v) ? v : [v];
        w.reserve(8 + size(n) + values.reduce((sum, one) => sum + 4 + size(one), 0));
        w.part(n);
        w.u32(values.length);
        for (const one of values) w.part(one);
      }
    }
    return createHmac('sha256', key).update(w.written()).digest().subarray(0, TAG_BYTES);
  }
}

/** Bytes `v` takes in the MAC input, its length prefix excluded (an upper bound for a string). */
function size(v: Buffer | string | null): number {
  if (v === null) return 0;
  return typeof v === 'string' ? v.length * 3 : v.length;
}

/**
 * The MAC input's buffer: grown as a record needs (to the largest record seen, which Kafka's
 * message.max.bytes bounds), reused for every record after.
 */
class InputWriter {
  private buf = Buffer.alloc(1024);
  private at = 0;

  reset(need: number): void {
    this.at = 0;
    this.reserve(need);
  }

  reserve(more: number): void {
    if (this.at + more <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.at + more));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  u32(n: number): void {
    this.buf.writeUInt32BE(n, this.at);
    this.at += 4;
  }

  bytes(b: Buffer): void {
    b.copy(this.buf, this.at);
    this.at += b.length;
  }

  /** Length-prefixed: null is 0xffffffff (apart from empty), a string its UTF-8. */
  part(v: Buffer | string | null): void {
    if (v === null) return this.u32(NULL_LENGTH);
    if (typeof v === 'string') {
      const n = this.buf.write(v, this.at + 4, 'utf8');
      this.u32(n);
      this.at += n;
    } else {
      this.u32(v.length);
      this.bytes(v);
    }
  }

  written(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/**
 * The keys in a record key file: one `<keyId> <base64 secret>` per line (signing/key-file.ts, the
 * one definition of key ring files). Throws RecordKeyError (what is wrong, on which line, never the secret).
 */
export function parseRecordKeys(text: string, source: string): RecordKeySpec[] {
  return parseKeyLines(text, source, 'record key', (message, hint) => new RecordKeyError(message, hint));
}
