/**
 * The node's Ed25519 audit key (decision 1750): signs the trail's checkpoints, so a head stored
 * outside the trail (the anchor) cannot be forged by whoever can write the registry but not read
 * this file. `<dataDir>/audit-key`, PKCS#8 PEM, created 0600 on first start (O_EXCL, like the API
 * token: two starts on one data dir cannot disagree); a file other users can read is refused — a key
 * that may have leaked must be replaced, not quietly re-protected.
 *
 * Rotation: move the file aside and restart; the node makes a new key and records the change in the
 * trail (anchored-audit-trail.ts). Verifiers are given the new public key (`caxton audit key`).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { AuditError } from './errors.js';

export const AUDIT_KEY_FILE_NAME = 'audit-key';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface AuditKey {
  /** The public half, raw 32 bytes, base64: what verifiers trust and anchors carry. */
  readonly publicKey: string;
  readonly file: string;
  sign(payload: Uint8Array): string;
}

/** Verifies an Ed25519 signature with a raw base64 public key (core's VerifySignature). */
export function verifyEd25519(payload: Uint8Array, signature: Uint8Array, publicKey: string): boolean {
  const raw = Buffer.from(publicKey, 'base64');
  if (raw.length !== 32) return false;
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  return verify(null, payload, key, signature);
}

function rawPublicKey(privateKey: KeyObject): string {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('base64');
}

/** Reads the node's audit key, creating it on first start. */
export async function ensureAuditKey(dataDir: string): Promise<AuditKey> {
  const file = path.join(dataDir, AUDIT_KEY_FILE_NAME);
  try {
    const handle = await fs.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      const { privateKey } = generateKeyPairSync('ed25519');
      await handle.writeFile(privateKey.export({ format: 'pem', type: 'pkcs8' }));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const stat = await fs.stat(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new AuditError('audit.key-exposed', `the audit key ${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)})`, {
      context: { file },
      hint: `it may have leaked: move ${file} aside so the node makes a new key on its next start (the change is recorded in the trail), and give verifiers the new public key (\`caxton audit key\`)`,
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await fs.readFile(file, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`a ${privateKey.asymmetricKeyType} key, not ed25519`);
  } catch (err) {
    throw new AuditError('audit.key-invalid', `the audit key ${file} cannot be read: ${(err as Error).message}`, {
      context: { file },
      cause: err,
      hint: `move ${file} aside so the node makes a new key on its next start`,
    });
  }
  const publicKey = rawPublicKey(privateKey);
  return { publicKey, file, sign: (payload) => sign(null, payload, privateKey).toString('base64') };
}
