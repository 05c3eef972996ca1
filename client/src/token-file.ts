/**
 * The node's token files as a client finds and reads them (decision 0800): `<dataDir>/auth-token`
 * (admin) and `auth-token.read` (read-only). A file other users can read is refused — like ssh with
 * private keys — because a token that may have leaked must be rotated, not silently re-protected;
 * group access only warns here (the node, which owns the file, repairs it: repairGroupAccess).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CaxtonError } from '@caxton/core';

/** The admin token: everything. */
export const TOKEN_FILE_NAME = 'auth-token';
/** The read-only token: list, get, logs, tail, directory, status (the node's api/access.ts). */
export const READ_TOKEN_FILE_NAME = 'auth-token.read';
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{32,512}$/;

export class TokenFileError extends CaxtonError {
  // Raised before any call is served (node start, CLI start): internal for the API, and the CLI
  // turns the api.token-file-* codes into its auth exit code itself.
  constructor(code: 'api.token-file-invalid' | 'api.token-file-exposed', message: string, file: string, hint: string) {
    super(code, message, { kind: 'internal', context: { file }, hint });
  }
}

export function tokenFilePath(dataDir: string): string {
  return path.join(dataDir, TOKEN_FILE_NAME);
}

export function readTokenFilePath(dataDir: string): string {
  return path.join(dataDir, READ_TOKEN_FILE_NAME);
}

export interface TokenFileOptions {
  /** Remove group access instead of only warning about it (the node does; clients do not). */
  repairGroupAccess?: boolean;
  onWarning?: (message: string) => void;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** Reads and checks an existing token file (permissions, owner, content). */
export async function readTokenFile(file: string, opts: TokenFileOptions = {}): Promise<string> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) {
    throw new TokenFileError(
      'api.token-file-invalid',
      `${file} is not a regular file`,
      file,
      'remove it; the node creates a fresh token file on its next start',
    );
  }
  if (process.platform !== 'win32') {
    if ((stat.mode & 0o007) !== 0) {
      throw new TokenFileError(
        'api.token-file-exposed',
        `auth token file ${file} is accessible by all users (mode ${octal(stat.mode)})`,
        file,
        `the token may have leaked: delete ${file} so the node generates a new one (or, if you are sure it did not leak, run \`chmod 600 ${file}\`)`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && uid !== 0 && stat.uid !== uid) {
      throw new TokenFileError(
        'api.token-file-exposed',
        `auth token file ${file} belongs to uid ${stat.uid}, not to this user (${uid})`,
        file,
        'run the node as the owner of its data directory, or delete the file to generate a new token',
      );
    }
    if ((stat.mode & 0o070) !== 0) {
      if (opts.repairGroupAccess) {
        await fs.chmod(file, 0o600);
        opts.onWarning?.(`auth token file ${file} was group-accessible (mode ${octal(stat.mode)}); changed to 0600`);
      } else {
        opts.onWarning?.(`auth token file ${file} is group-accessible (mode ${octal(stat.mode)}); members of its group can use the API`);
      }
    }
  }
  const token = (await fs.readFile(file, 'utf8')).trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new TokenFileError(
      'api.token-file-invalid',
      `auth token file ${file} does not hold a valid token`,
      file,
      'delete it so the node generates a new one; tokens are 32-512 characters of base64/URL-safe text',
    );
  }
  return token;
}
