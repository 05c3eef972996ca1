/**
 * Ed25519 keys for signing agents (decision 1400). Private keys are PKCS#8 PEM, public keys SPKI
 * PEM — what `openssl genpkey -algorithm ed25519` writes, so keys made either way work.
 *
 * Key id: the first 16 hex characters (64 bits) of sha256 over the raw 32-byte public key. Short
 * enough to read in `caxton agents`, long enough that two keys of one operator never collide by
 * accident; it names a key, it does not authenticate one (verification always uses the key itself).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { CaxtonError } from '@caxton/core';

export const KEY_ID_HEX_CHARS = 16;

export class SigningKeyError extends CaxtonError {
  constructor(message: string, source: string, hint: string) {
    super('signing.bad-key', message, { kind: 'invalid-argument', context: { key: source }, hint });
  }
}

/** The raw 32-byte Ed25519 public key (the JWK `x`). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new SigningKeyError('not an Ed25519 key', 'key', 'make one with `caxton keygen`');
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, KEY_ID_HEX_CHARS);
}

export interface GeneratedKeyPair {
  privatePem: string;
  publicPem: string;
  keyId: string;
}

export function generateSigningKey(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** A private key from PEM text; `source` (a file name) only names it in errors. */
export function parsePrivateKey(pem: string, source: string): KeyObject {
  return ed25519Key(() => createPrivateKey(pem), source, 'private', 'agent-signing.key');
}

/** A public key from PEM text (a private key's PEM is refused: trust lists hold public keys only). */
export function parsePublicKey(pem: string, source: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) {
    throw new SigningKeyError(
      `${source} holds a private key`,
      source,
      'give the node the public key (agent-signing.pub); the private key stays with whoever signs',
    );
  }
  return ed25519Key(() => createPublicKey(pem), source, 'public', 'agent-signing.pub');
}

/** The key `read` makes of PEM text, refused (typed, with what to give) when it is not one or not Ed25519. */
function ed25519Key(read: () => KeyObject, source: string, which: 'private' | 'public', file: string): KeyObject {
  let key: KeyObject;
  try {
    key = read();
  } catch {
    throw new SigningKeyError(
      `${source} is not a PEM ${which} key`,
      source,
      `give the ${which} key file \`caxton keygen\` wrote (${file})`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SigningKeyError(
      `${source} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`,
      source,
      'make an Ed25519 key with `caxton keygen`',
    );
  return key;
}
