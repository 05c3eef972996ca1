/** API tokens as every part of the node mints them: the node's own files, rotations, issued tokens. */
import { randomBytes } from 'node:crypto';

/** What every minted token starts with: recognisable to secret scanners, and never a leading `-`. */
export const TOKEN_PREFIX = 'cxt_';

/**
 * A new API token: 256 random bits, base64url, behind {@link TOKEN_PREFIX}. Bare base64url starts
 * with `-` one time in 64, and `--token -Xyz…` then reads as a cluster of short flags on any
 * command line (a CI run failed that way), so the prefix is part of the format, not decoration.
 */
export function mintToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}
