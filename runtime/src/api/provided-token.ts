/**
 * Token files the operator provides (`serve --auth-token-file/--read-token-file`), typically a
 * Kubernetes Secret mounted into every pod so that one token works whichever pod answers.
 *
 * They differ from the node's own `<dataDir>/auth-token` (auth.ts) in what may be checked and done:
 * - they are never created, rewritten or chmod-ed: the mount is read-only, and the Secret, not the
 *   node, is the source of truth (rotating = changing the Secret and restarting the pods);
 * - a Secret volume's file is a symlink (`auth-token -> ..data/auth-token`) owned by root with group
 *   = the pod's fsGroup and mode `defaultMode` (0440 in deploy/k8s). So the owner may be root or this
 *   user (anyone else could swap the token under us), group read is how the pod gets access and is
 *   accepted silently, and access for others is refused: Kubernetes' default mode 0644 would let every
 *   process of every uid in the pod read the admin token (docs/decisions/1302-kubernetes.md).
 */
import { promises as fs } from 'node:fs';
import { TokenFileError } from './auth.js';

const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{32,512}$/;

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** What the permission check needs of a file and of the process reading it. */
export interface ProvidedFileFacts {
  /** stat() through symlinks. */
  mode: number;
  uid: number;
  isFile: boolean;
  /** The reading process's uid (undefined on Windows). */
  processUid: number | undefined;
}

/**
 * The verdict on a provided token file's permissions, as a message and hint, or undefined when it
 * may be used. Pure, so every case of the rule is unit-tested without chown.
 */
export function providedFileProblem(
  file: string,
  f: ProvidedFileFacts,
): { code: 'api.token-file-invalid' | 'api.token-file-exposed'; message: string; hint: string } | undefined {
  if (!f.isFile) {
    return {
      code: 'api.token-file-invalid',
      message: `${file} is not a regular file`,
      hint: 'point the flag at the token file itself (a Secret volume item), not at its directory',
    };
  }
  if (f.processUid === undefined) return undefined;
  if ((f.mode & 0o007) !== 0) {
    return {
      code: 'api.token-file-exposed',
      message: `token file ${file} is accessible by all users (mode ${octal(f.mode)})`,
      hint: "give the Secret volume `defaultMode: 0440` (group = the pod's fsGroup) or chmod the file to 0600/0640; rotate the token if it may have leaked",
    };
  }
  if (f.uid !== 0 && f.uid !== f.processUid) {
    return {
      code: 'api.token-file-exposed',
      message: `token file ${file} belongs to uid ${f.uid}, neither root nor this user (${f.processUid})`,
      hint: 'a file another user owns can be rewritten by that user: have it owned by root (as Kubernetes Secret volumes are) or by the user running the node',
    };
  }
  return undefined;
}

/** Reads an operator-provided token file, checking it but never changing it. */
export async function readProvidedTokenFile(file: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    throw new TokenFileError(
      'api.token-file-invalid',
      `cannot read token file ${file}: ${(err as Error).message}`,
      file,
      'the node does not create token files given with --auth-token-file/--read-token-file: mount the Secret (or write the file) first',
    );
  }
  const problem = providedFileProblem(file, {
    mode: st.mode,
    uid: st.uid,
    isFile: st.isFile(),
    processUid: process.platform === 'win32' ? undefined : process.getuid?.(),
  });
  if (problem) throw new TokenFileError(problem.code, problem.message, file, problem.hint);
  const token = (await fs.readFile(file, 'utf8')).trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new TokenFileError(
      'api.token-file-invalid',
      `token file ${file} does not hold a valid token`,
      file,
      'tokens are 32-512 characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. `openssl rand -base64 32`)',
    );
  }
  return token;
}
