/**
 * Where a node keeps its issued tokens (decision 1760): `<dataDir>/issued-tokens.json`, sha256
 * digests and metadata only, never a token. Whoever can write the file can add an admin token, so
 * it is written 0600 (whole or not at all: atomic-file.ts) and a file others may write, or another
 * user owns, is refused at start like an exposed token file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isRoleName } from '@caxton/core';
import { TokenFileError } from './auth.js';
import { writeFileAtomically } from './atomic-file.js';
import { IssuedTokens, type IssuedTokenRecord, type IssueRequest } from './issued-tokens.js';
import { TokenRotationRefusedError } from './token-rotation.js';

export const ISSUED_TOKENS_FILE_NAME = 'issued-tokens.json';

const HEX = /^[0-9a-f]{64}$/;

function recordFrom(value: unknown): IssuedTokenRecord | undefined {
  const r = value as Partial<IssuedTokenRecord> | null;
  if (r === null || typeof r !== 'object') return undefined;
  const ok =
    typeof r.id === 'string' &&
    typeof r.label === 'string' &&
    typeof r.role === 'string' &&
    isRoleName(r.role) &&
    typeof r.sha256 === 'string' &&
    HEX.test(r.sha256) &&
    r.id === r.sha256.slice(0, 16) &&
    Number.isSafeInteger(r.createdAt) &&
    Number.isSafeInteger(r.expiresAt) &&
    (r.agents === undefined || typeof r.agents === 'string') &&
    (r.revokedAt === undefined || Number.isSafeInteger(r.revokedAt));
  return ok ? (r as IssuedTokenRecord) : undefined;
}

/** Reads the file (none yet: no tokens); throws TokenFileError when it is exposed or not ours. */
export async function loadIssuedTokens(file: string): Promise<IssuedTokens> {
  let text: string;
  try {
    const st = await fs.stat(file);
    if (process.platform !== 'win32') {
      const uid = process.getuid?.();
      if ((st.mode & 0o022) !== 0 || (uid !== undefined && uid !== 0 && st.uid !== uid)) {
        throw new TokenFileError(
          'api.token-file-exposed',
          `issued-token file ${file} may be changed by other users (mode ${(st.mode & 0o777).toString(8)}, uid ${st.uid})`,
          file,
          `whoever can write it can add an admin token: check who changed it, then \`chmod 600 ${file}\` (or delete it to revoke every issued token)`,
        );
      }
    }
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new IssuedTokens();
    throw err;
  }
  let parsed: { tokens?: unknown };
  try {
    parsed = JSON.parse(text) as { tokens?: unknown };
  } catch {
    parsed = {};
  }
  const records = Array.isArray(parsed.tokens) ? parsed.tokens.map(recordFrom) : undefined;
  if (!records || records.some((r) => r === undefined)) {
    throw new TokenFileError(
      'api.token-file-invalid',
      `issued-token file ${file} is not a list of issued tokens`,
      file,
      "restore it from a backup, or delete it: every issued token then stops working (the node's own token files are unaffected)",
    );
  }
  return new IssuedTokens(records as IssuedTokenRecord[]);
}

/** What the API's token RPCs do with issued tokens. */
export interface TokenIssuer {
  issue(req: IssueRequest): Promise<{ token: string; record: IssuedTokenRecord }>;
  list(): Promise<Omit<IssuedTokenRecord, 'sha256'>[]>;
  revoke(id: string): Promise<IssuedTokenRecord>;
}

/** Issues into `tokens` and writes the file after each change, one change at a time. */
export function fileTokenIssuer(dataDir: string, tokens: IssuedTokens, now: () => number = Date.now): TokenIssuer {
  const file = path.join(dataDir, ISSUED_TOKENS_FILE_NAME);
  const save = (): Promise<void> => writeFileAtomically(file, `${JSON.stringify({ version: 1, tokens: tokens.records() }, null, 1)}\n`);
  let busy: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = busy.then(work);
    busy = run.catch(() => {});
    return run;
  };
  return {
    issue: (req) =>
      serial(async () => {
        const issued = tokens.issue(req, now());
        try {
          await save();
        } catch (err) {
          tokens.forget(issued.record.sha256); // not on disk: it must not work now and vanish at restart
          throw err;
        }
        return issued;
      }),
    list: async () => tokens.list(),
    revoke: (id) =>
      serial(async () => {
        const record = tokens.revoke(id, now()); // refused at once, even if the write below fails
        await save();
        return record;
      }),
  };
}

/** For a node serving without tokens (--no-auth): a token it would never check is refused. */
export function refusingIssuer(): TokenIssuer {
  const refuse = async (): Promise<never> => {
    throw new TokenRotationRefusedError(
      'api.auth-disabled',
      'this node serves without tokens (--no-auth): it checks no token, issued or not',
      'restart it without --no-auth to require tokens',
    );
  };
  return { issue: refuse, list: refuse, revoke: refuse };
}
