/**
 * The rules a prepare cache directory and what it holds must meet before anything in it is used
 * (decision 2135). The threat is another local user who can write the directory: whatever they put
 * there would be compiled as an agent's instrumented modules or imported as jco glue into the node.
 * So the root must be this user's and writable by nobody else (ssh's StrictModes), and a manifest
 * may only name plain files inside its own entry. Against this same user nothing here helps, nor
 * could it: a process running as the node's user can already change the node itself.
 */
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxError } from '../errors.js';

/** A temporary entry (cache.ts, module-cache.ts) older than this was left by a writer that died. */
export const STALE_TEMPORARY_MS = 10 * 60_000;

/** The infix of every temporary name the caches write before renaming into place. */
export const TEMPORARY_INFIX = '.tmp-';

const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** A file name a manifest may carry: one path component, no `..`, no separator, no NUL, at most 128 characters. */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && PLAIN_NAME.test(name) && !name.includes('..');
}

/**
 * Creates the cache root (0700) if it is missing, and refuses one that another user owns or that
 * group or others may write: a typed error whose hint says what to change.
 */
export async function openCacheRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  if (uid === undefined) return; // No POSIX owners (Windows): the directory's ACL is the operator's to set.
  const st = await stat(root);
  const problems: string[] = [];
  if (!st.isDirectory()) problems.push('is not a directory');
  if (st.uid !== uid) problems.push(`is owned by uid ${st.uid}, not by this node's uid ${uid}`);
  const writers = [(st.mode & 0o020) !== 0 ? 'its group' : '', (st.mode & 0o002) !== 0 ? 'every user' : ''].filter(Boolean);
  if (writers.length > 0) problems.push(`is writable by ${writers.join(' and ')} (mode ${(st.mode & 0o777).toString(8)})`);
  if (problems.length === 0) return;
  throw new SandboxError('sandbox.artifact.cache-unsafe', `the prepare cache directory ${root} ${problems.join(' and ')}: whoever else can write it could replace the instrumented modules agents run`, {
    context: { dir: root, owner: st.uid, uid, mode: (st.mode & 0o777).toString(8) },
    hint: `Make it this user's and writable only by it (chown ${uid} '${root}' && chmod go-w '${root}'), or give the node a directory of its own (caxton serve --prepare-cache-dir).`,
  });
}

/**
 * Removes the temporary entries in `dir` that are older than STALE_TEMPORARY_MS. A live writer's
 * temporary is seconds old (it is created after preparing, to write files and rename), so one that
 * old was left by a process that died; removing it cannot disturb a writer that is still running.
 */
export async function removeStaleTemporaries(dir: string, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.includes(TEMPORARY_INFIX)) continue;
    const path = join(dir, name);
    try {
      if (now - (await lstat(path)).mtimeMs < STALE_TEMPORARY_MS) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone already (another node swept it): nothing to do.
    }
  }
  return removed;
}
