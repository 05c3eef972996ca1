/**
 * The audit trail's anchor (decision 1750): the latest head of the trail, signed by the node's
 * Ed25519 audit key and kept OUTSIDE the trail (in the registry). A hash chain alone cannot show
 * that records were cut off its end, or that a record was rewritten and every later one re-sealed;
 * a signed head kept elsewhere can: the trail must reach the anchored index, and hold the anchored
 * hash there.
 *
 * Pure: signing and verifying are the runtime's (node:crypto); core builds the exact bytes signed
 * and checks what can be checked without a key.
 */
import { Buffer } from 'node:buffer';
import { canonicalJson } from './record.js';

/** What the node signs after records are durable: which trail, how far, ending in which hash, when. */
export interface AuditCheckpoint {
  /** The trail's identity: the hash of its record 0 (an anchor of one trail does not fit another). */
  trail: string;
  /** Index of the last record covered. */
  index: number;
  /** That record's hash. */
  hash: string;
  /** ISO-8601 UTC: when it was signed. */
  time: string;
  /** The node that signed it (in a cluster each node signs with its own key). */
  node: string;
  /**
   * Set once retention deleted the trail's oldest segments (decision 1790): the trail now starts at
   * record `from`, whose `prev` is the hash of the last record deleted. Absent: the trail starts at
   * record 0 (and an anchor without it encodes as before, so older anchors verify unchanged).
   */
  retained?: AuditRetainedFrom;
}

/** Where a trail pruned by retention starts, signed in the anchor: the first kept record and its predecessor's hash. */
export interface AuditRetainedFrom {
  from: number;
  prev: string;
}

/** A checkpoint with the signer's public key and signature: the form stored as the anchor. */
export interface SignedAuditCheckpoint {
  checkpoint: AuditCheckpoint;
  /** The signer's Ed25519 public key, raw 32 bytes, base64. */
  key: string;
  /** Ed25519 signature over {@link checkpointPayload}, base64. */
  sig: string;
}

/** Verifies an Ed25519 signature (the runtime's node:crypto); `publicKey` is raw 32 bytes, base64. */
export type VerifySignature = (payload: Uint8Array, signature: Uint8Array, publicKey: string) => boolean;

/**
 * The bytes signed: a domain tag (a signature made for anything else cannot be passed off as a
 * checkpoint) and the checkpoint's canonical JSON.
 */
export function checkpointPayload(checkpoint: AuditCheckpoint): Uint8Array {
  return Buffer.from(`caxton-audit-checkpoint-v1\n${canonicalJson(checkpoint)}`, 'utf8');
}

/** The stored form of a signed checkpoint: canonical JSON. */
export function encodeSignedCheckpoint(signed: SignedAuditCheckpoint): string {
  return canonicalJson(signed);
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads a stored signed checkpoint back, checking its shape (not its signature). Throws a TypeError. */
export function decodeSignedCheckpoint(text: string): SignedAuditCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`not JSON: ${(err as Error).message}`);
  }
  const v = value as Partial<SignedAuditCheckpoint> | null;
  const c = v?.checkpoint as Partial<AuditCheckpoint> | undefined;
  if (!v || typeof v !== 'object' || !c || typeof c !== 'object') throw new TypeError('not {checkpoint, key, sig}');
  if (typeof c.trail !== 'string' || !HEX64.test(c.trail)) throw new TypeError('checkpoint.trail is not a sha256');
  if (!Number.isSafeInteger(c.index) || (c.index as number) < 0) throw new TypeError('checkpoint.index is not a whole number ≥ 0');
  if (typeof c.hash !== 'string' || !HEX64.test(c.hash)) throw new TypeError('checkpoint.hash is not a sha256');
  if (typeof c.time !== 'string') throw new TypeError('checkpoint.time is not a string');
  if (typeof c.node !== 'string') throw new TypeError('checkpoint.node is not a string');
  if (typeof v.key !== 'string' || !BASE64.test(v.key)) throw new TypeError('key is not base64');
  if (typeof v.sig !== 'string' || !BASE64.test(v.sig)) throw new TypeError('sig is not base64');
  const checkpoint: AuditCheckpoint = { trail: c.trail, index: c.index as number, hash: c.hash, time: c.time, node: c.node };
  if (c.retained !== undefined) {
    const r = c.retained as Partial<AuditRetainedFrom> | null;
    if (
      !r ||
      typeof r !== 'object' ||
      !Number.isSafeInteger(r.from) ||
      (r.from as number) < 1 ||
      typeof r.prev !== 'string' ||
      !HEX64.test(r.prev)
    ) {
      throw new TypeError('checkpoint.retained is not {from ≥ 1, prev: sha256}');
    }
    if ((r.from as number) > (c.index as number)) throw new TypeError('checkpoint.retained.from is past the anchored record');
    checkpoint.retained = { from: r.from as number, prev: r.prev };
  }
  return { checkpoint, key: v.key, sig: v.sig };
}

/**
 * Whether a signed checkpoint is genuine for a verifier that trusts `trusted` keys: signed by one
 * of them, and the signature holds. Returns what is wrong, or undefined.
 */
export function checkSignedCheckpoint(
  signed: SignedAuditCheckpoint,
  trusted: readonly string[],
  verify: VerifySignature,
): string | undefined {
  if (!trusted.includes(signed.key)) {
    return `it is signed by key ${keyFingerprint(signed.key)}, which is not a trusted audit key (trusted: ${trusted.map(keyFingerprint).join(', ') || 'none'})`;
  }
  let ok: boolean;
  try {
    ok = verify(checkpointPayload(signed.checkpoint), Buffer.from(signed.sig, 'base64'), signed.key);
  } catch {
    ok = false;
  }
  return ok ? undefined : `its signature does not verify with key ${keyFingerprint(signed.key)}: it was altered or forged`;
}

/** A short name for a public key in messages: its first 16 base64 characters. */
export function keyFingerprint(key: string): string {
  return key.slice(0, 16);
}
