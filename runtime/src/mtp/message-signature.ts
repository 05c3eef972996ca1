/**
 * Signed FIPA messages between platforms (decision 2188): Ed25519 over a canonical byte form of an
 * ACL message that a Caxton node and a Java agent on JADE compute alike, carried in the user-defined
 * parameter `X-caxton-sig` = `<keyId>:<unix ms>:<base64url signature>` (JADE keeps user-defined
 * parameters over its HTTP MTP; its agents see this one as `caxton-sig`).
 *
 * The canonical form is length-prefixed (u32 big-endian byte length, then UTF-8), so no two
 * messages encode alike: the domain `caxton-mtp-sig/1`, the key id, the time (decimal), the
 * performative (lower case), the sender's name, the receivers' names (a u32 count, then each,
 * sorted by UTF-16 code unit as Java's String.compareTo sorts), the reply-to names (likewise),
 * content, language, encoding, ontology, protocol, conversation-id, reply-with, in-reply-to. An
 * absent field is the empty string: JADE does not keep the difference. Left out, because platforms
 * rewrite them in transit: every agent's `:addresses` (the sender's return address carries the
 * receiving peer's secret), the envelope, reply-by (its text form differs between platforms), and
 * the other user-defined parameters (JADE adds and renames its own).
 *
 * Pure: no I/O; key objects are made once, when a ring or a peer's keys are built.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { MTP_SIGNATURE_LIMITS, type AclMessage } from '@caxton/core';
import { KEY_ID, type KeyLine } from '../signing/key-file.js';

export const SIGNATURE_PARAM = 'X-caxton-sig';
const DOMAIN = 'caxton-mtp-sig/2';
/** DER of an Ed25519 private key (PKCS#8) and public key (SPKI) before their 32 raw bytes (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
export const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/**
 * `<keyId>:<unix ms>:<send id>:<signature>`. One spelling per signature: the time without leading
 * zeros, the signature's canonical base64url (checked after decoding). The send id is the signer's
 * name for the send — the same at every attempt of it (a Caxton node's: 22 base64url characters of
 * its message id's digest), empty from a signer that has none (a JADE agent) — signed, so a replay
 * cannot change it.
 */
const VALUE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,31}):(0|[1-9]\d{0,14}):([A-Za-z0-9_-]{0,43}):([A-Za-z0-9_-]{86})$/;

/** Why a signature was refused: a fixed set (a metric's label). */
export type SignatureFault = 'missing' | 'malformed' | 'unknown-key' | 'stale' | 'bad-signature';

export type SignatureVerdict =
  | { ok: true; keyId: string; value: string; at: number; sendId: string }
  | { ok: false; fault: SignatureFault; reason: string };

/** The bytes signed for `message` with key `keyId` at `at` (ms since the epoch), for the send `sendId` ('' for none). */
export function canonicalMessageBytes(message: AclMessage, keyId: string, at: number, sendId = ''): Buffer {
  const parts: Buffer[] = [];
  const field = (s: string | undefined): void => {
    const b = Buffer.from(s ?? '', 'utf8');
    parts.push(u32(b.length), b);
  };
  const names = (ids: readonly { name: string }[] | undefined): void => {
    const sorted = (ids ?? []).map((r) => r.name).sort();
    parts.push(u32(sorted.length));
    for (const n of sorted) field(n);
  };
  field(DOMAIN);
  field(keyId);
  field(String(at));
  field(sendId);
  field(message.performative.toLowerCase());
  field(message.sender?.name);
  names(message.receivers);
  names(message.replyTo);
  for (const s of [
    message.content,
    message.language,
    message.encoding,
    message.ontology,
    message.protocol,
    message.conversationId,
    message.replyWith,
    message.inReplyTo,
  ])
    field(s);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** An Ed25519 private key from its 32-byte seed (what `openssl genpkey -algorithm ed25519 -outform DER | tail -c 32` gives). */
export function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** An Ed25519 public key from its 32 raw bytes; throws for a point of small order (`isSmallOrderKey`). */
export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (isSmallOrderKey(raw)) throw new Error('a point of small order is no public key');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * The points of small order (1, 2, 4, 8) of edwards25519 by their y coordinate, as libsodium's
 * blocklist has them — the canonical ones and y = p, p + 1 (non-canonical spellings of 0 and 1,
 * which Node decodes) — compared with the sign bit masked. A "public key" among them lets forged
 * signatures verify (R = identity, S = 0 passes for y = p + 1 on every message); Node's verify does
 * not refuse them.
 */
const SMALL_ORDER = new Set([
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
]);

/** Is `raw` (32 bytes) a point of small order, no key at all? */
export function isSmallOrderKey(raw: Buffer): boolean {
  const y = Buffer.from(raw);
  y[31] = y[31]! & 0x7f;
  return SMALL_ORDER.has(y.toString('hex'));
}

/**
 * The signed content of `message`, without key, time or send id: what it says, the same for every
 * attempt of one send and for any replay of it (its idempotency digest, decision 2188).
 */
export function signedContentDigest(message: AclMessage): string {
  return createHash('sha256')
    .update(canonicalMessageBytes(message, '', 0))
    .digest('hex');
}

/**
 * Which send a verified signature is of (its idempotency key, decision 2188): the signer's send id
 * where it gave one — every attempt of the send carries it — else the signature's own time and key
 * (a signer without send ids signs each send once: JADE's posts of one message to several
 * receivers carry one signature), with the receivers it is taken for here. Only signed data: a
 * replay, whatever unsigned part it changes, is the same send.
 */
export function signedSendKey(message: AclMessage, signed: { keyId: string; at: number; sendId: string }): string {
  const digest = createHash('sha256');
  if (signed.sendId !== '') digest.update(`send\u0000${signed.sendId}`);
  else digest.update('signature\u0000').update(canonicalMessageBytes(message, signed.keyId, signed.at));
  for (const r of message.receivers.map((x) => x.name).sort()) digest.update(`\u0001${r}`);
  return digest.digest('hex');
}

/** A Caxton send's id as signatures carry it: 22 base64url characters of its message id's digest. */
export function sendIdOf(messageId: string): string {
  return createHash('sha256').update(`caxton-mtp-send\u0000${messageId}`).digest().subarray(0, 16).toString('base64url');
}

/** A public key's 32 raw bytes, base64: what a peers file lists. */
export function rawPublicKeyBase64(key: KeyObject): string {
  return (key.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_PREFIX.length).toString('base64');
}

/**
 * The platform's signing keys: the first signs, every one is published (rotation without
 * downtime: add the new key second, give its public key to every peer, then move it first, then
 * remove the old one once peers no longer need it).
 */
export class MtpSigningRing {
  readonly signingId: string;
  private readonly signing: KeyObject;
  readonly keys: readonly { id: string; publicKey: string }[];

  /** `fail` makes the caller's typed error: the ring never echoes a secret. */
  constructor(lines: readonly KeyLine[], fail: (message: string, hint: string) => Error) {
    if (lines.length === 0) throw fail('no MTP signing key given', 'list at least one `<keyId> <base64 seed>` line');
    if (lines.length > MTP_SIGNATURE_LIMITS.maxSigningKeys)
      throw fail(
        `${lines.length} MTP signing keys, more than ${MTP_SIGNATURE_LIMITS.maxSigningKeys}`,
        'keep the current key and the ones peers may still hold',
      );
    const made: { id: string; key: KeyObject; publicKey: string }[] = [];
    for (const l of lines) {
      if (!KEY_ID.test(l.id))
        throw fail(`an MTP signing key id (${l.id.length} characters) is not a plain name`, 'use 1-32 letters, digits, ".", "_" or "-"');
      if (l.secret.length !== 32)
        throw fail(
          `MTP signing key ${l.id} is ${l.secret.length} bytes; an Ed25519 seed is 32`,
          'make one with `openssl genpkey -algorithm ed25519 -outform DER | tail -c 32 | base64`',
        );
      if (made.some((m) => m.id === l.id)) throw fail(`MTP signing key id ${l.id} is listed twice`, 'give each key its own id');
      const key = privateKeyFromSeed(l.secret);
      made.push({ id: l.id, key, publicKey: rawPublicKeyBase64(createPublicKey(key)) });
    }
    this.signingId = made[0]!.id;
    this.signing = made[0]!.key;
    this.keys = made.map(({ id, publicKey }) => ({ id, publicKey }));
  }

  /** `message` with its `X-caxton-sig` set (any other value replaced) for the time `at` and the send `sendId` ('' for none). */
  sign(message: AclMessage, at: number, sendId = ''): AclMessage {
    const sig = edSign(null, canonicalMessageBytes(message, this.signingId, at, sendId), this.signing).toString('base64url');
    return {
      ...message,
      userParams: { ...withoutSignature(message.userParams), [SIGNATURE_PARAM]: `${this.signingId}:${at}:${sendId}:${sig}` },
    };
  }
}

/** `params` without any `X-caxton-sig` (the names are case-insensitive on the wire); undefined when none remain. */
export function withoutSignature(params: Record<string, string> | undefined): Record<string, string> | undefined {
  if (params === undefined) return undefined;
  const kept = Object.entries(params).filter(([k]) => k.toLowerCase() !== SIGNATURE_PARAM.toLowerCase());
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/** The message's `X-caxton-sig` value, by a case-insensitive name; several (differing by case) are malformed. */
function signatureOf(message: AclMessage): string | undefined | null {
  const found = Object.entries(message.userParams ?? {}).filter(([k]) => k.toLowerCase() === SIGNATURE_PARAM.toLowerCase());
  if (found.length > 1) return null;
  return found[0]?.[1];
}

/**
 * Whether `message` carries a valid signature by one of `keys` (id → public key), made within the
 * allowed skew of `now`. Bounded before any work: the value's length first, then its shape, then
 * the key, the time, and only then one Ed25519 verification.
 */
export function verifyMessageSignature(message: AclMessage, keys: ReadonlyMap<string, KeyObject>, now: number): SignatureVerdict {
  const value = signatureOf(message);
  if (value === undefined) return { ok: false, fault: 'missing', reason: `the message carries no ${SIGNATURE_PARAM}` };
  if (value === null) return { ok: false, fault: 'malformed', reason: `the message carries ${SIGNATURE_PARAM} more than once` };
  if (value.length > MTP_SIGNATURE_LIMITS.maxSignatureChars)
    return {
      ok: false,
      fault: 'malformed',
      reason: `${SIGNATURE_PARAM} is ${value.length} characters, more than ${MTP_SIGNATURE_LIMITS.maxSignatureChars}`,
    };
  const m = VALUE.exec(value);
  if (m === null)
    return { ok: false, fault: 'malformed', reason: `${SIGNATURE_PARAM} is not <keyId>:<unix ms>:<send id>:<base64url Ed25519 signature>` };
  const [, keyId, atText, sendId, sig] = m as unknown as [string, string, string, string, string];
  const key = keys.get(keyId);
  if (key === undefined)
    return {
      ok: false,
      fault: 'unknown-key',
      reason: `${SIGNATURE_PARAM} names key ${keyId}, which the peers file does not list for this platform`,
    };
  const at = Number(atText);
  const skew = at - now;
  if (Math.abs(skew) > MTP_SIGNATURE_LIMITS.maxSkewMs)
    return {
      ok: false,
      fault: 'stale',
      reason: `${SIGNATURE_PARAM} was made ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'ago' : 'ahead of this node'}, beyond the ${MTP_SIGNATURE_LIMITS.maxSkewMs / 1000} s allowed`,
    };
  const bytes = Buffer.from(sig, 'base64url');
  // 86 characters carry 516 bits for 512: the last one's spare bits would give ~16 spellings of one signature.
  if (bytes.length !== 64 || bytes.toString('base64url') !== sig)
    return { ok: false, fault: 'malformed', reason: `${SIGNATURE_PARAM}'s signature is not in canonical base64url` };
  if (!edVerify(null, canonicalMessageBytes(message, keyId, at, sendId), key, bytes))
    return {
      ok: false,
      fault: 'bad-signature',
      reason: `${SIGNATURE_PARAM} by key ${keyId} does not verify: the message was changed after it was signed, or signed with another key`,
    };
  return { ok: true, keyId, value, at, sendId };
}
