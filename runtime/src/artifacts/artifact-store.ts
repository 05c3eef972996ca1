/**
 * Content-addressed storage of agent components: the key is the sha256 of the bytes, so a digest
 * names exactly one content and every read is checked against it (a corrupted or truncated copy is
 * an error, never a silently different agent). Implementations: files on disk (embedded), chunks in
 * etcd (cluster), and a tiered store that caches the cluster copy on local disk.
 */
import { createHash } from 'node:crypto';
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export interface ArtifactStore {
  /** Stores the bytes (idempotent) and returns their sha256, lower-case hex. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes named by `digest`, verified. Throws `artifact.not-found` / `artifact.corrupt`. */
  get(digest: string): Promise<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /** Idempotent. */
  delete(digest: string): Promise<void>;
  /** Every stored digest, sorted. */
  list(): Promise<string[]>;
}

export type ArtifactErrorCode = 'artifact.not-found' | 'artifact.corrupt' | 'artifact.invalid-digest';

/** A corrupt stored artifact is the node's problem (internal), not data the caller can fix. */
export const ARTIFACT_STORE_ERROR_KINDS: Readonly<Record<ArtifactErrorCode, ErrorKind>> = Object.freeze({
  'artifact.not-found': 'not-found',
  'artifact.corrupt': 'internal',
  'artifact.invalid-digest': 'invalid-argument',
});

export class ArtifactError extends CaxtonError {
  declare readonly code: ArtifactErrorCode;
  constructor(code: ArtifactErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: ARTIFACT_STORE_ERROR_KINDS[code] });
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function assertDigest(digest: string): void {
  if (typeof digest !== 'string' || !SHA256_HEX.test(digest)) {
    throw new ArtifactError('artifact.invalid-digest', `not a sha256 digest: ${JSON.stringify(digest)}`, {
      context: { digest },
      hint: 'artifact digests are 64 lower-case hex characters (sha256 of the component bytes)',
    });
  }
}

export function notFound(digest: string, where: string): ArtifactError {
  return new ArtifactError('artifact.not-found', `artifact ${digest} is not in the ${where}`, {
    context: { digest, store: where },
    hint: 'deploy the component again (caxton deploy uploads it), or check the digest',
  });
}

/** Verifies bytes against the digest they were asked for. */
export function verified(digest: string, bytes: Uint8Array, where: string, context: ErrorContext = {}): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== digest) {
    throw new ArtifactError('artifact.corrupt', `artifact ${digest} read from the ${where} has digest ${actual}`, {
      context: { digest, actual, size: bytes.length, store: where, ...context },
      hint: 'the stored copy is damaged; put the component again to repair it',
    });
  }
  return bytes;
}
