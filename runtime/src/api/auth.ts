/**
 * Bearer-token authentication for the management API.
 *
 * The token lives in `<dataDir>/auth-token`, created on first start with 0600 permissions. Anyone
 * who can read that file can drive the node. A file other users can read is refused — like ssh
 * with private keys — because a token that may have leaked must be rotated (delete the file), not
 * silently re-protected. Group access alone is repaired with a warning: Kubernetes' fsGroup ORs
 * rw-rw---- into every file of a volume at each pod start, and refusing would make every restart
 * fail. See docs/decisions/0800-api-authentication.md.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { Metadata } from '@grpc/grpc-js';
import {
  READ_TOKEN_FILE_NAME,
  TOKEN_FILE_NAME,
  TokenFileError,
  readTokenFile,
  readTokenFilePath,
  tokenFilePath,
  type TokenFileOptions,
} from '@caxton/client';
import { UnauthenticatedError } from './errors.js';
import { requireAllowed, type Principal } from './access.js';
import type { IssuedTokens } from './issued-tokens.js';
import { TokenSet } from './token-set.js';
import { mintToken } from './mint-token.js';

// Reading a token file is the client's too (the CLI reads the node's): one definition, @caxton/client's.
export { READ_TOKEN_FILE_NAME, TOKEN_FILE_NAME, TokenFileError, readTokenFile, readTokenFilePath, tokenFilePath, type TokenFileOptions };

export { mintToken, TOKEN_PREFIX } from './mint-token.js';

/**
 * Reads one of the node's tokens (`auth-token` by default, or `auth-token.read`), creating it (and
 * the data directory) on first start.
 */
export async function ensureAuthToken(
  dataDir: string,
  onWarning?: (message: string) => void,
  name: string = TOKEN_FILE_NAME,
): Promise<{ token: string; file: string; created: boolean }> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, name);
  const fresh = mintToken();
  try {
    // O_EXCL: two nodes starting on one data dir cannot both "create" and disagree on the token.
    const handle = await fs.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${fresh}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { token: fresh, file, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const token = await readTokenFile(file, { repairGroupAccess: true, ...(onWarning ? { onWarning } : {}) });
  return { token, file, created: false };
}

/**
 * Who a bearer token belongs to: the one check behind both the gRPC API (metadata) and the web
 * console (an HTTP header). `values` are the authorization entries the request carried. The node's
 * own tokens are compared as sha256 digests in constant time so neither a token's length nor its
 * prefix leak through timing (token-set.ts); a token that is none of them is looked up among the
 * issued ones (issued-tokens.ts), whose expiry and revocation are refused with their own code and
 * hint. Given a TokenSet, rotations made on it apply at once; issued tokens likewise.
 */
export function bearerPrincipalResolver(
  tokens: { admin: string; read?: string } | TokenSet,
  issued?: IssuedTokens,
  now: () => number = Date.now,
): (values: readonly unknown[]) => Principal {
  const accepted = tokens instanceof TokenSet ? tokens : new TokenSet(tokens);
  return (values) => {
    if (values.length === 0) {
      throw new UnauthenticatedError(
        'missing credentials: this node requires a bearer token',
        "send `authorization: Bearer <token>` metadata; the token is in the node's data directory, file auth-token (the CLI finds it with --data-dir or CAXTON_TOKEN)",
      );
    }
    const header = values[0];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (values.length > 1 || !match?.[1]) {
      throw new UnauthenticatedError('malformed authorization metadata', 'send exactly one `authorization: Bearer <token>` entry');
    }
    const at = now();
    const role = accepted.roleOf(match[1], at);
    if (role !== undefined) return { role };
    const found = issued?.lookup(match[1], at);
    if (found?.status === 'valid') return found.principal;
    if (found?.status === 'expired') {
      throw new UnauthenticatedError(
        `token ${found.record.id}${found.record.label ? ` (${found.record.label})` : ''} expired at ${new Date(found.record.expiresAt).toISOString()}`,
        'ask an admin for a new one: `caxton token issue --role <role> --ttl <duration>`',
        'api.token-expired',
      );
    }
    if (found?.status === 'revoked') {
      throw new UnauthenticatedError(
        `token ${found.record.id}${found.record.label ? ` (${found.record.label})` : ''} was revoked at ${new Date(found.record.revokedAt!).toISOString()}`,
        'it no longer works: ask an admin for a new one (`caxton token issue`)',
        'api.token-revoked',
      );
    }
    throw new UnauthenticatedError(
      'invalid bearer token',
      "use the token from the node's auth-token file (or auth-token.read to only look), or one issued with `caxton token issue`; the files change with `caxton token rotate`, or when they are deleted and the node restarted",
    );
  };
}

/** A checker for `authorization: Bearer <token>` metadata: whose token is it, and may they call `method` (access.ts)? */
export function bearerTokenChecker(
  tokens: { admin: string; read?: string } | TokenSet,
  issued?: IssuedTokens,
  now: () => number = Date.now,
): (metadata: Metadata, method: string) => Principal {
  const resolve = bearerPrincipalResolver(tokens, issued, now);
  return (metadata, method) => {
    const principal = resolve(metadata.get('authorization'));
    requireAllowed(principal, method);
    return principal;
  };
}
