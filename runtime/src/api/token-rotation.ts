/**
 * `caxton token rotate` on the node (decision 1401): new admin and read tokens are written to the
 * data directory (0600, temporary file + fsync + rename, so a crash leaves either the old or the new
 * token, never half of one) and take effect at once; the old pair keeps working for the overlap.
 * Tokens an orchestrator provides as files (a Kubernetes Secret) are not the node's to rewrite:
 * rotation is refused with a hint to replace the Secret instead.
 */
import path from 'node:path';
import { CaxtonError, InvalidArgumentError } from '@caxton/core';
import { mintToken, READ_TOKEN_FILE_NAME, TOKEN_FILE_NAME } from './auth.js';
import { MAX_TOKEN_OVERLAP_MS, type TokenSet } from './token-set.js';
import { writeFileAtomically } from './atomic-file.js';

export interface RotatedTokens {
  admin: string;
  read: string;
  /** Until then (ms since epoch) the replaced tokens are still accepted. */
  previousValidUntil: number;
}

export interface TokenRotator {
  rotate(overlapMs: number): Promise<RotatedTokens>;
}

export class TokenRotationRefusedError extends CaxtonError {
  constructor(code: 'api.auth-disabled' | 'api.tokens-provided', message: string, hint: string) {
    super(code, message, { kind: 'failed-precondition', hint });
  }
}

/** For nodes that serve without tokens (--no-auth), or whose tokens are provided files. */
export function refusingRotator(why: 'auth-disabled' | 'tokens-provided'): TokenRotator {
  return {
    rotate: async () => {
      if (why === 'auth-disabled') {
        throw new TokenRotationRefusedError(
          'api.auth-disabled',
          'this node serves without tokens (--no-auth): there is nothing to rotate',
          'restart it without --no-auth to require tokens',
        );
      }
      throw new TokenRotationRefusedError(
        'api.tokens-provided',
        'this node reads its tokens from provided files: they are not its to rewrite',
        'rotate them where they come from: replace the Kubernetes Secret (or the files) and restart or roll the pods',
      );
    },
  };
}

export function dataDirRotator(dataDir: string, tokens: TokenSet, now: () => number = Date.now): TokenRotator {
  let busy: Promise<unknown> = Promise.resolve();
  const rotate = async (overlapMs: number): Promise<RotatedTokens> => {
    if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_TOKEN_OVERLAP_MS) {
      throw new InvalidArgumentError(
        'overlap_seconds',
        `must be 0 to ${MAX_TOKEN_OVERLAP_MS / 1000} seconds (24 h)`,
        'long enough for every client to re-read the token files, e.g. 10m',
      );
    }
    const next = { admin: mintToken(), read: mintToken() };
    await writeFileAtomically(path.join(dataDir, TOKEN_FILE_NAME), `${next.admin}\n`);
    await writeFileAtomically(path.join(dataDir, READ_TOKEN_FILE_NAME), `${next.read}\n`);
    const { previousValidUntil } = tokens.rotate(next, overlapMs, now());
    return { ...next, previousValidUntil };
  };
  // One rotation at a time: two interleaved ones could leave files and memory disagreeing.
  return {
    rotate: (overlapMs) => {
      const run = busy.then(() => rotate(overlapMs));
      busy = run.catch(() => {});
      return run;
    },
  };
}
