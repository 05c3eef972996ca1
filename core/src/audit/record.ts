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

/** Who called: the role the token matched, or `none` (no token, a wrong one, or auth turned off). */
export type AuditRole = 'admin' | 'read' | 'none';

/** What the node knows about one call, before it is placed in the trail. */
export interface AuditEntry {
  /** When the call ended, ISO-8601 UTC with milliseconds. */
  time: string;
  /** The node that served the call (in a cluster several nodes append to one trail). */
  node: string;
  /** The RPC's name, e.g. `DeployAgent`. */
  method: string;
  role: AuditRole;
  /** A short sha256 of the bearer token presented ('' when none): which token, never the token. */
  token: string;
  /** The client's address as the transport saw it, e.g. `127.0.0.1:53412`. */
  peer: string;
  args: {
    /** sha256 (hex) over the request messages' bytes, in order. */
    sha256: string;
    bytes: number;
    /** A few fields that are safe to show (the agent's name…); never config, messages or state. */
    fields: Record<string, string>;
  };
  result: {
    /** `OK`, or the gRPC status name (`UNAUTHENTICATED`, `CANCELLED`…). */
    code: string;
    /** The Caxton error code (`api.unauthenticated`…) when the call failed with one, else ''. */
    error: string;
  };
}

/** A record as stored: the entry, its place in the chain and its hash. */
export interface AuditRecord extends AuditEntry {
  /** 0 for the first record, then +1 each. */
  index: number;
  /** The previous record's `hash`; GENESIS_HASH for record 0. */
  prev: string;
  /** sha256 (hex) over the canonical encoding of every other field. */
  hash: string;
}

/** sha256 of bytes as 64 lowercase hex digits. */
export type Sha256Hex = (data: Uint8Array) => string;

/** What record 0 links to. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, strings escaped as JSON.stringify
 * does, integers only (a record has no fractional number). Equal values give equal bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON takes safe integers only, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot encode ${typeof value}`);
}

function unsealed(record: Omit<AuditRecord, 'hash'> | AuditRecord): Omit<AuditRecord, 'hash'> {
  const { hash: _hash, ...rest } = record as AuditRecord;
  return rest;
}

/** The hash a record must carry: over the canonical encoding of all its fields but `hash`. */
export function recordHash(record: Omit<AuditRecord, 'hash'> | AuditRecord, sha256: Sha256Hex): string {
  return sha256(Buffer.from(canonicalJson(unsealed(record)), 'utf8'));
}

/** Places an entry in the chain after `prev` (GENESIS_HASH for index 0). */
export function sealRecord(entry: AuditEntry, index: number, prev: string, sha256: Sha256Hex): AuditRecord {
  const body: Omit<AuditRecord, 'hash'> = { ...entry, index, prev };
  return { ...body, hash: recordHash(body, sha256) };
}

/** The stored bytes of a record: its canonical JSON, UTF-8, no newline. */
export function encodeRecord(record: AuditRecord): Uint8Array {
  return Buffer.from(canonicalJson(record), 'utf8');
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Reads stored bytes back into a record, checking its shape (not its hash: that is verification's
 * job, which can then say which record is wrong and how). Throws a TypeError saying what is wrong.
 */
export function decodeRecord(bytes: Uint8Array): AuditRecord {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TypeError(`not JSON: ${(err as Error).message}`);
  }
  const r = value as Partial<AuditRecord> | null;
  const isText = (v: unknown): v is string => typeof v === 'string';
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new TypeError('not a JSON object');
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0) throw new TypeError('index is not a whole number ≥ 0');
  if (!isText(r.prev) || !HEX64.test(r.prev)) throw new TypeError('prev is not a sha256');
  if (!isText(r.hash) || !HEX64.test(r.hash)) throw new TypeError('hash is not a sha256');
  for (const field of ['time', 'node', 'method', 'role', 'token', 'peer'] as const) {
    if (!isText(r[field])) throw new TypeError(`${field} is not a string`);
  }
  if (!r.args || !isText(r.args.sha256) || !Number.isSafeInteger(r.args.bytes) || typeof r.args.fields !== 'object' || r.args.fields === null) {
    throw new TypeError('args is not {sha256, bytes, fields}');
  }
  if (!r.result || !isText(r.result.code) || !isText(r.result.error)) throw new TypeError('result is not {code, error}');
  return r as AuditRecord;
}
