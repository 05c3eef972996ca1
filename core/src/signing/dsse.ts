/**
 * DSSE, the Dead Simple Signing Envelope (in-toto/secure-systems-lab, protocol v1.0): a payload,
 * its type, and signatures over PAE(type, payload) — never over the raw payload, so a signature for
 * one payload type can not be replayed as another. Pure: encoding, decoding and validation only; the
 * signing and verifying (Ed25519) live where node:crypto may be used (runtime/src/signing).
 *
 * Spec: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = ASCII decimal bytes.
 */
import { Buffer } from 'node:buffer';
import { CaxtonError } from '../errors.js';

export interface DsseSignature {
  /** Which key made it (see runtime/src/signing/keys.ts: a digest of the raw public key). */
  keyid: string;
  /** The signature bytes, base64. */
  sig: string;
}

/** The envelope as JSON carries it: payload and sig base64, exactly the spec's field names. */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

/** A malformed envelope or statement: the signature file is not what it claims to be. */
export class SignatureFormatError extends CaxtonError {
  constructor(message: string, field: string) {
    super('signing.malformed', message, {
      kind: 'invalid-argument',
      context: { field },
      hint: 'sign the artifact again (`caxton sign <artifact> --key <key>`); the envelope is DSSE v1 JSON',
    });
  }
}

/** Pre-Authentication Encoding: the exact bytes a DSSE signature covers. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([head, payload]);
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
/** Generous: an envelope is a few hundred bytes; this only stops absurd uploads early. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
const MAX_SIGNATURES = 16;

function decodeBase64(text: string, field: string): Uint8Array {
  if (!BASE64.test(text)) throw new SignatureFormatError(`${field} is not base64`, field);
  // Standard and URL-safe alphabets are both accepted, as the DSSE spec asks of decoders.
  return new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** Builds an envelope from a payload and signatures already made over pae(payloadType, payload). */
export function envelope(payloadType: string, payload: Uint8Array, signatures: { keyid: string; sig: Uint8Array }[]): DsseEnvelope {
  return { payloadType, payload: encodeBase64(payload), signatures: signatures.map((s) => ({ keyid: s.keyid, sig: encodeBase64(s.sig) })) };
}

export interface DecodedEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: { keyid: string; sig: Uint8Array }[];
}

/** Parses and checks the JSON of an envelope; throws SignatureFormatError naming the bad field. */
export function parseEnvelope(json: string): DecodedEnvelope {
  if (json.length > MAX_ENVELOPE_BYTES)
    throw new SignatureFormatError(`the envelope is longer than ${MAX_ENVELOPE_BYTES} bytes`, 'envelope');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new SignatureFormatError('the envelope is not JSON', 'envelope');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SignatureFormatError('the envelope is not a JSON object', 'envelope');
  const e = value as Record<string, unknown>;
  if (typeof e.payloadType !== 'string' || e.payloadType === '')
    throw new SignatureFormatError('payloadType must be a non-empty string', 'payloadType');
  if (typeof e.payload !== 'string') throw new SignatureFormatError('payload must be a base64 string', 'payload');
  if (!Array.isArray(e.signatures) || e.signatures.length === 0)
    throw new SignatureFormatError('signatures must be a non-empty array', 'signatures');
  if (e.signatures.length > MAX_SIGNATURES) throw new SignatureFormatError(`more than ${MAX_SIGNATURES} signatures`, 'signatures');
  const signatures = e.signatures.map((s: unknown, i) => {
    const field = `signatures[${i}]`;
    if (typeof s !== 'object' || s === null) throw new SignatureFormatError(`${field} is not an object`, field);
    const { keyid, sig } = s as Record<string, unknown>;
    if (typeof keyid !== 'string') throw new SignatureFormatError(`${field}.keyid must be a string`, `${field}.keyid`);
    if (typeof sig !== 'string' || sig === '') throw new SignatureFormatError(`${field}.sig must be a base64 string`, `${field}.sig`);
    return { keyid, sig: decodeBase64(sig, `${field}.sig`) };
  });
  return { payloadType: e.payloadType, payload: decodeBase64(e.payload, 'payload'), signatures };
}
