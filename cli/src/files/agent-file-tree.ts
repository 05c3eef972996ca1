/**
 * An agent's files (decision 2191) as a tree an operator copies in and out of a local directory:
 * state entries to files and back. Pure; the command (commands/fs-transfer.ts) does the I/O.
 * Every path is checked as the sandbox checks a guest's (resolveAgentPath), so what an export
 * writes stays below its directory and what an import sends is what the agent could have written.
 */
import {
  AGENT_FILE_LIMITS,
  FILE_STATE_KEY_PREFIX,
  decodeStoredFile,
  directoryStateKey,
  encodeStoredFile,
  fileStateKey,
  isFileStateKey,
  resolveAgentPath,
  type StateEntry,
  type StateWrite,
} from '@caxton/core';

/** One file or directory below /data (`path` relative to it, `/`-separated). */
export type TreeEntry =
  | { path: string; type: 'directory'; mtimeMs: number }
  | { path: string; type: 'file'; mtimeMs: number; bytes: Uint8Array };

/** Why a path is not one an agent's file system holds, or undefined when it is (canonical, within the limits). */
export function pathRefusal(path: string): string | undefined {
  const resolved = resolveAgentPath('', path, AGENT_FILE_LIMITS);
  if ('refused' in resolved) return resolved.refused;
  return resolved.path === path && path !== '' ? undefined : 'not a plain path (empty, "." or ".." names)';
}

/**
 * The files and directories among state `entries` (others ignored), and the keys that are not a
 * well-formed file or directory (a malformed import): listed, never written out.
 */
export function treeOfState(entries: readonly StateEntry[]): { tree: TreeEntry[]; malformed: string[] } {
  const tree: TreeEntry[] = [];
  const malformed: string[] = [];
  for (const e of entries) {
    if (!isFileStateKey(e.key)) continue;
    const rest = e.key.slice(FILE_STATE_KEY_PREFIX.length);
    const directory = rest.endsWith('/');
    const path = directory ? rest.slice(0, -1) : rest;
    const file = directory ? undefined : decodeStoredFile(e.value);
    const mtimeMs = directory ? Number(e.value) : file?.mtimeMs;
    if (pathRefusal(path) !== undefined || mtimeMs === undefined || !Number.isSafeInteger(mtimeMs) || (!directory && file === undefined)) {
      malformed.push(e.key);
      continue;
    }
    tree.push(directory ? { path, type: 'directory', mtimeMs } : { path, type: 'file', mtimeMs, bytes: file!.bytes });
  }
  // A file that is also a directory, or the parent of another entry, is none a local file
  // system can hold: left out, named, rather than failing the export halfway.
  const files = new Set(tree.filter((e) => e.type === 'file').map((e) => e.path));
  const clashing = new Set<string>();
  for (const e of tree) {
    if (e.type === 'directory' && files.has(e.path)) clashing.add(e.path);
    for (let i = e.path.indexOf('/'); i > 0; i = e.path.indexOf('/', i + 1))
      if (files.has(e.path.slice(0, i))) clashing.add(e.path.slice(0, i));
  }
  const kept = tree.filter((e) => !(e.type === 'file' && clashing.has(e.path)));
  for (const path of [...clashing].sort()) malformed.push(fileStateKey(path));
  // Parents before children: a directory is made before what it holds.
  return { tree: kept.sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1)), malformed };
}

/**
 * Why an export leaves a path out though the agent's file system holds it: a `.git` name (a
 * repository planted in an operator's directory runs its config's commands under git-aware
 * prompts), or a name this platform's paths cannot carry (`\` or `:` on Windows). Undefined: kept.
 */
export function notExported(path: string, windows: boolean): string | undefined {
  for (const name of path.split('/'))
    if (name.toLowerCase() === '.git') return 'a .git name (a repository is never written into a local directory)';
  if (windows && /[\\:]/.test(path)) return 'a \\ or : in a name (not a plain name here)';
  return undefined;
}

function depth(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}

/**
 * The state writes that put `tree` at /data: each directory (its parents included, whether or not
 * the tree lists them) and each file. `replace`: the agent's other files and directories
 * (`existing`: its current file keys) are deleted; its other state is never touched.
 */
export function importWrites(tree: readonly TreeEntry[], existing: readonly string[], replace: boolean): StateWrite[] {
  const writes = new Map<string, string>();
  const directory = (path: string, mtimeMs: number): void => {
    const key = directoryStateKey(path);
    if (!writes.has(key)) writes.set(key, String(Math.trunc(mtimeMs)));
  };
  for (const e of tree) {
    const names = e.path.split('/');
    for (let i = 1; i < names.length; i++) directory(names.slice(0, i).join('/'), e.mtimeMs);
    if (e.type === 'directory') writes.set(directoryStateKey(e.path), String(Math.trunc(e.mtimeMs)));
    else writes.set(fileStateKey(e.path), encodeStoredFile({ mtimeMs: e.mtimeMs, bytes: e.bytes }));
  }
  const drops = replace ? existing.filter((key) => isFileStateKey(key) && !writes.has(key)).map((key) => ({ key, value: null })) : [];
  return [...drops, ...[...writes].map(([key, value]) => ({ key, value }))];
}

/**
 * Paths the import would make a file where the agent has a directory, or a directory (a file's
 * parent included) where it has a file: without `--replace` both would stand, which no file
 * system holds. Empty when none.
 */
export function typeConflicts(tree: readonly TreeEntry[], existing: readonly string[]): string[] {
  const have = new Set(existing);
  const conflicts = new Set<string>();
  for (const e of tree) {
    if (e.type === 'file' && have.has(directoryStateKey(e.path))) conflicts.add(e.path);
    const names = e.path.split('/');
    const dirs = e.type === 'directory' ? names.length : names.length - 1;
    for (let i = 1; i <= dirs; i++) {
      const dir = names.slice(0, i).join('/');
      if (have.has(fileStateKey(dir))) conflicts.add(dir);
    }
  }
  return [...conflicts].sort();
}
