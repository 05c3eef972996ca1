/**
 * A local directory read as a tree of an agent's files (decision 2191: `caxton fs import`; decision
 * 2192: `deploy --assets`), when whoever else can write there may be hostile. Node has no openat,
 * so: every directory walked must be the user's (or root's) and writable by no one else (nothing
 * in it can be swapped under the walk) and is checked to be the same directory after it is listed;
 * each file is opened without following a link or blocking and checked to be the one the walk saw;
 * a link or special file is refused; every count, size and path — the total included — is checked
 * before a byte is read.
 */
import type { Stats } from 'node:fs';
import { constants, lstat, open, opendir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { visibleId } from '@caxton/core';
import { CliError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { formatCount } from '../format/units.js';
import { pathRefusal, type TreeEntry } from './agent-file-tree.js';

/** What a tree may hold. */
export interface TreeBounds {
  maxEntries: number;
  maxFileBytes: number;
  /** What the files add up to, as `storedBytes` counts each. */
  maxTotalBytes: number;
  storedBytes: (path: string, size: number, mtimeMs: number) => number;
  /** Said with every refusal of a bound. */
  hint: string;
}

/**
 * Owned by this user (or root) and writable by no one else: not by other users, nor (`groupToo`)
 * by its group (a directory walked may be group-writable: user-private groups make that the
 * default; its group is the user's). `ownerOnly`: only the owner is checked.
 */
export function isPrivate(st: Stats, groupToo: boolean, ownerOnly = false): boolean {
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) return false;
  return ownerOnly || (st.mode & (groupToo ? 0o022 : 0o002)) === 0;
}

export async function readLocalTree(given: string, shown: string, bounds: TreeBounds): Promise<TreeEntry[]> {
  const first = await lstat(given).catch(() => undefined);
  if (first === undefined || !first.isDirectory())
    throw new CliError(EXIT.NOT_FOUND, `${visibleId(shown)} is not a directory`, 'give a directory (not a link to one)');
  // Walked by its physical path, every directory above it checked too: one another user could
  // write could swap the whole tree for a link after it was listed.
  const root = await realpath(given);
  await checkAncestors(root, shown);
  const tree: TreeEntry[] = [];
  let entries = 0;
  let stored = 0;
  const pending: { rel: string; local: string; st: Stats }[] = [{ rel: '', local: root, st: first }];
  while (pending.length > 0) {
    const dir = pending.shift()!;
    const where = dir.rel === '' ? visibleId(shown) : `${visibleId(dir.rel)} in ${visibleId(shown)}`;
    if (!isPrivate(dir.st, false))
      throw new CliError(
        EXIT.FAILURE,
        `${where} can be written by other users (or is not yours)`,
        'copy the files into a directory only you can write, and give that',
      );
    const names: string[] = [];
    const handle = await opendir(dir.local);
    try {
      for await (const entry of handle) {
        if (++entries > bounds.maxEntries)
          throw new CliError(
            EXIT.EXHAUSTED,
            `${visibleId(shown)} holds more than ${formatCount(bounds.maxEntries)} files and directories`,
            bounds.hint,
          );
        names.push(entry.name);
      }
    } finally {
      await handle.close().catch(() => {}); // the iteration closes it when it ends
    }
    const again = await lstat(dir.local);
    if (again.dev !== dir.st.dev || again.ino !== dir.st.ino) throw changed(where);
    for (const name of names.sort()) {
      const rel = dir.rel === '' ? name : `${dir.rel}/${name}`;
      const local = path.join(dir.local, name);
      // A name that is not UTF-8 reads back as U+FFFD, naming another file (or none).
      const refused = name.includes('\ufffd') ? 'not UTF-8' : pathRefusal(rel);
      if (refused !== undefined)
        throw new CliError(
          EXIT.FAILURE,
          `${visibleId(rel)} in ${visibleId(shown)} is not a path an agent's files can have (${refused})`,
          bounds.hint,
        );
      const st = await lstat(local);
      const mtimeMs = Math.max(0, Math.trunc(st.mtimeMs));
      if (st.isDirectory()) {
        pending.push({ rel, local, st });
        tree.push({ path: rel, type: 'directory', mtimeMs });
        continue;
      }
      if (!st.isFile())
        throw new CliError(
          EXIT.FAILURE,
          `${visibleId(rel)} in ${visibleId(shown)} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`,
          'an agent’s files are regular files and directories: copy what it points to in its place',
        );
      if (st.size > bounds.maxFileBytes)
        throw new CliError(
          EXIT.EXHAUSTED,
          `${visibleId(rel)} in ${visibleId(shown)} has ${formatCount(st.size)} bytes, past one file's limit`,
          bounds.hint,
        );
      stored += bounds.storedBytes(rel, st.size, mtimeMs);
      if (stored > bounds.maxTotalBytes)
        throw new CliError(
          EXIT.EXHAUSTED,
          `${visibleId(shown)} holds more than ${formatCount(bounds.maxTotalBytes)} bytes together`,
          bounds.hint,
        );
      tree.push({
        path: rel,
        type: 'file',
        mtimeMs,
        bytes: await readRegular(local, st, `${visibleId(rel)} in ${visibleId(shown)}`, bounds.maxFileBytes),
      });
    }
  }
  return tree;
}

/** Every directory above `root` is the user's or root's, and others may not write it unless it is sticky (as /tmp is). */
async function checkAncestors(root: string, shown: string): Promise<void> {
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const st = await lstat(dir);
    if (!isPrivate(st, true) && !(isPrivate(st, true, true) && (st.mode & 0o1000) !== 0))
      throw new CliError(
        EXIT.FAILURE,
        `${visibleId(dir)}, above ${visibleId(shown)}, can be written by other users (or is not yours)`,
        'copy the files into a directory only you can write (below your home or a fresh mktemp -d), and give that',
      );
    if (path.dirname(dir) === dir) return;
  }
}

/** The bytes of the regular file the walk saw at `local`: opened without following a link or blocking, checked to be that file, read up to `max`. */
async function readRegular(local: string, seen: Stats, shown: string, max: number): Promise<Uint8Array> {
  const handle = await open(local, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP') throw changed(shown);
    throw err;
  });
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== seen.dev || st.ino !== seen.ino) throw changed(shown);
    const buffer = Buffer.alloc(Math.min(st.size, max) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.byteLength) break;
    }
    // One byte more than it had (or than the limit) means it grew since the walk saw it.
    if (filled > Math.min(st.size, max)) throw changed(shown);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
  } finally {
    await handle.close();
  }
}

function changed(shown: string): CliError {
  return new CliError(EXIT.FAILURE, `${shown} changed while it was read`, 'read a directory nothing else writes meanwhile');
}
