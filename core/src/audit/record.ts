/**
 * The audit trail's record and its canonical encoding (decision 1402). A record says who called
 * which management RPC, with what (a digest, never the arguments), and how it ended; it carries its
 * index in the trail, the previous record's hash and its own, so removing, reordering or editing a
 * record breaks the chain at that record.
 *
 * Pure: the hash function is passed in (core does no I/O and imports no crypto); the runtime gives
 * node:crypto's sha256. The stored form of a record IS its canonical encoding, so the bytes a
 * verifier hashes are the bytes on disk or in etcd, whatever language reads them.
 */
import { Buffer } from 'node:buffer';
import type { RoleName } from '../access/roles.js';
import { canonicalBytes, withCanonicalOmitting } from './canonical-json.js';

export { canonicalBytes, canonicalJson } from './canonical-json.js';

/** Who called: the role the token matched (decision 1760), or `none` (no token, a wrong, expired or revoked one, or auth off). */
export type AuditRole = RoleName | 'none';

/**
 * The kinds of record (decision 1701). A change is written ahead: an `intent` record is durable
 * before the change takes effect, and an `outcome` record, pointing at its intent, says how it
 * ended. A `call` record (stored without a `kind`, as every record before decision 1701 was) is a
 * whole call in one record: a call refused for its credentials, or a read when reads are recorded.
 */
export type AuditRecordKind = 'call' | 'intent' | 'outcome';

/** What every record says: who asked what of which node, when. */
interface AuditCommon {
  /** ISO-8601 UTC with milliseconds: when the change was asked (intent), ended (outcome, call). */
  time: string;
  /** The node that served the call (in a cluster several nodes append to one trail). */
  node: string;
  /** The operation, named as its RPC is (`DeployAgent`) whatever surface it came through. */
  method: string;
  role: AuditRole;
  /** A short sha256 of the bearer token presented ('' when none): which token, never the token. */
  token: string;
  /**
   * Where the call came from: the client's address as the transport saw it (`ipv4:127.0.0.1:53412`),
   * prefixed with the surface when it is not the gRPC API (`console 127.0.0.1:5555`, `in-process`).
   */
  peer: string;
  /**
   * The change set the call belongs to, when its client named one (`caxton apply`: every step of one
   * apply carries its id), so the trail shows the steps as one change. Absent otherwise, and on every
   * record before this field.
   */
  changeSet?: string;
}

/** A change set's id as a client may name it (metadata `caxton-change-set`): short, plain. */
export const CHANGE_SET_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface AuditArgs {
  /** sha256 (hex) over the request (the request messages' bytes, or the change's canonical arguments). */
  sha256: string;
  bytes: number;
  /** A few fields that are safe to show (the agent's name…); never config, messages or state. */
  fields: Record<string, string>;
}

export interface AuditResult {
  /** `OK`, or the gRPC status name (`UNAUTHENTICATED`, `NOT_FOUND`…) of the failure's kind. */
  code: string;
  /** The Caxton error code (`api.unauthenticated`…) when the call failed with one, else ''. */
  error: string;
  /**
   * What a change that succeeded produced, as far as it ties the record to its effect: a send's
   * `messageId` (so a client's retry under one idempotency key, two changes in the trail, is seen
   * to be one message). Absent on every other record, and on every record before this field.
   */
  fields?: Record<string, string>;
}

/** A whole call in one record (the only kind before decision 1701). */
export interface AuditCallEntry extends AuditCommon {
  kind?: undefined;
  args: AuditArgs;
  result: AuditResult;
}

/** A change about to be made: durable before it takes effect. */
export interface AuditIntentEntry extends AuditCommon {
  kind: 'intent';
  args: AuditArgs;
}

/** How the change its intent announced ended. */
export interface AuditOutcomeEntry extends AuditCommon {
  kind: 'outcome';
  /** The intent record this outcome closes: its index and hash. */
  intent: { index: number; hash: string };
  result: AuditResult;
}

/** What the node knows about one record, before it is placed in the trail. */
export type AuditEntry = AuditCallEntry | AuditIntentEntry | AuditOutcomeEntry;

/** A record's place in the chain. */
export interface AuditSeal {
  /** 0 for the first record, then +1 each. */
  index: number;
  /** The previous record's `hash`; GENESIS_HASH for record 0. */
  prev: string;
  /** sha256 (hex) over the canonical encoding of every other field. */
  hash: string;
}

/** A record as stored: the entry, its place in the chain and its hash. */
export type AuditRecord = AuditEntry & AuditSeal;

/** The kind of a record (`call` when it carries none). */
export function auditRecordKind(record: AuditEntry): AuditRecordKind {
  return record.kind ?? 'call';
}

/** sha256 of bytes as 64 lowercase hex digits. */
export type Sha256Hex = (data: Uint8Array) => string;

/** What record 0 links to. */
export const GENESIS_HASH = '0'.repeat(64);

/** A record with or without its hash (any object: verification hashes whatever was stored). */
type UnsealedRecord = object;

/**
 * The hash a record must carry: over the canonical encoding of all its fields but `hash`. Every
 * kind is hashed the same way, so one chain holds them all and old records verify unchanged.
 */
export function recordHash(record: UnsealedRecord, sha256: Sha256Hex): string {
  return withCanonicalOmitting(record, 'hash', (bytes) => sha256(bytes));
}

/** Places an entry in the chain after `prev` (GENESIS_HASH for index 0). */
export function sealRecord(entry: AuditEntry, index: number, prev: string, sha256: Sha256Hex): AuditRecord {
  return sealAndEncodeRecord(entry, index, prev, sha256).record;
}

/** The stored bytes of a record: its canonical JSON, UTF-8, no newline. */
export function encodeRecord(record: AuditRecord): Uint8Array {
  return canonicalBytes(record);
}

/** A sealed record and its stored bytes (what {@link encodeRecord} gives for it). */
export interface EncodedAuditRecord {
  record: AuditRecord;
  bytes: Uint8Array;
}

/**
 * {@link sealRecord} then {@link encodeRecord}, serialising the record once (decisions 2110, 2198):
 * the hash is over the canonical JSON of every field but `hash`, and the stored form is those same
 * bytes with the `hash` member put in its place in key order.
 */
export function sealAndEncodeRecord(entry: AuditEntry, index: number, prev: string, sha256: Sha256Hex): EncodedAuditRecord {
  const record = { ...entry, index, prev, hash: '' } as AuditRecord;
  const bytes = withCanonicalOmitting(record, 'hash', (unsealed, cut) => {
    record.hash = sha256(unsealed);
    return withMember(unsealed, cut, `"hash":${JSON.stringify(record.hash)}`);
  });
  return { record, bytes };
}

/** `{…}` with `member` put before the member at `cut` (a sealed record always has `index` and `prev` after `hash`). */
function withMember(object: Uint8Array, cut: number, member: string): Uint8Array {
  if (cut < 0) throw new TypeError('a sealed record has members after its hash (index, prev)');
  const size = Buffer.byteLength(member);
  const out = Buffer.allocUnsafe(object.length + size + 1);
  out.set(object.subarray(0, cut), 0);
  out.write(member, cut, 'utf8');
  out[cut + size] = 0x2c;
  out.set(object.subarray(cut), cut + size + 1);
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Reads stored bytes back into a record, checking its shape (not its hash: that is verification's
 * job, which can then say which record is wrong and how). Throws a TypeError saying what is wrong.
 */
function isTextRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

export function decodeRecord(bytes: Uint8Array): AuditRecord {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TypeError(`not JSON: ${(err as Error).message}`);
  }
  const r = value as Record<string, unknown> | null;
  const isText = (v: unknown): v is string => typeof v === 'string';
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new TypeError('not a JSON object');
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0) throw new TypeError('index is not a whole number ≥ 0');
  if (!isText(r.prev) || !HEX64.test(r.prev)) throw new TypeError('prev is not a sha256');
  if (!isText(r.hash) || !HEX64.test(r.hash)) throw new TypeError('hash is not a sha256');
  for (const field of ['time', 'node', 'method', 'role', 'token', 'peer'] as const) {
    if (!isText(r[field])) throw new TypeError(`${field} is not a string`);
  }
  if (r.changeSet !== undefined && !isText(r.changeSet)) throw new TypeError('changeSet is not a string');
  const kind = r.kind;
  if (kind !== undefined && kind !== 'intent' && kind !== 'outcome')
    throw new TypeError(`kind ${JSON.stringify(kind)} is not intent or outcome`);
  if (kind !== 'outcome') {
    const args = r.args as Partial<AuditArgs> | undefined;
    if (
      !args ||
      typeof args !== 'object' ||
      !isText(args.sha256) ||
      !Number.isSafeInteger(args.bytes) ||
      typeof args.fields !== 'object' ||
      args.fields === null
    ) {
      throw new TypeError('args is not {sha256, bytes, fields}');
    }
  }
  if (kind !== 'intent') {
    const result = r.result as Partial<AuditResult> | undefined;
    if (!result || typeof result !== 'object' || !isText(result.code) || !isText(result.error))
      throw new TypeError('result is not {code, error}');
    if (result.fields !== undefined && !isTextRecord(result.fields)) throw new TypeError('result.fields is not an object of strings');
  }
  if (kind === 'outcome') {
    const intent = r.intent as { index?: unknown; hash?: unknown } | undefined;
    if (!intent || typeof intent !== 'object' || !Number.isSafeInteger(intent.index) || !isText(intent.hash) || !HEX64.test(intent.hash)) {
      throw new TypeError('intent is not {index, hash}');
    }
    if ((intent.index as number) >= (r.index as number)) throw new TypeError('the outcome points at an intent that is not before it');
  }
  return r as unknown as AuditRecord;
}
