/**
 * The rules a prepare cache directory and what it holds must meet before anything in it is used
 * (decision 2135). The threat is another local user who can write the directory: whatever they put
 * there would be compiled as an agent's instrumented modules or imported as jco glue into the node.
 * So the root must be this user's and writable by nobody else (ssh's StrictModes), and so must every
 * entry directory, the module cache's directory and every file read from them, none a symbolic
 * link: what another user put there while the root was theirs or shared stays refused after the
 * root is fixed (review mends of 2135). A manifest may only name plain files inside its own entry. Against this same user nothing here helps, nor
 * could it: a process running as the node's user can already change the node itself.
 */
import { constants, openSync, closeSync, fstatSync, readFileSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { SandboxError } from '../errors.js';

/** A temporary entry (cache.ts, module-cache.ts) older than this was left by a writer that died. */
export const STALE_TEMPORARY_MS = 10 * 60_000;

/** The two shapes of temporary the caches write: `<name>.tmp-<pid>-<hex>` and `<name>.tmp-refused-<pid>-<hex>`. */
const TEMPORARY_NAME = /\.tmp-(?:refused-)?\d+-[0-9a-f]{8}$/;

/** A name next to `path` to write to before renaming into place, or (`refused`) to move a refused entry to. */
export function temporaryPath(path: string, refused = false): string {
  return `${path}.tmp-${refused ? 'refused-' : ''}${process.pid}-${randomBytes(4).toString('hex')}`;
}

const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** A file name a manifest may carry: one path component, no `..`, no separator, no NUL, at most 128 characters. */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && PLAIN_NAME.test(name) && !name.includes('..');
}

/**
 * What keeps `st` (from lstat or fstat) from being this user's own private `kind`: a symbolic link,
 * another type, another owner, group or others allowed to write. Empty when it is sound. Without
 * POSIX owners (Windows) only the type is checked: the ACLs are the operator's to set.
 */
export function privacyProblems(st: Stats, kind: 'directory' | 'file'): string[] {
  const problems: string[] = [];
  if (st.isSymbolicLink()) problems.push('is a symbolic link');
  else if (kind === 'directory' ? !st.isDirectory() : !st.isFile()) problems.push(`is not a ${kind}`);
  const uid = process.getuid?.();
  if (uid === undefined) return problems;
  if (st.uid !== uid) problems.push(`is owned by uid ${st.uid}, not by this node's uid ${uid}`);
  if ((st.mode & 0o022) !== 0) problems.push(`is writable by ${writersOf(st.mode)} (mode ${(st.mode & 0o777).toString(8)})`);
  return problems;
}

/** Who besides the owner may write, by `mode`: 'its group', 'every user' or both. */
function writersOf(mode: number): string {
  return [(mode & 0o020) !== 0 ? 'its group' : '', (mode & 0o002) !== 0 ? 'every user' : ''].filter(Boolean).join(' and ');
}

const NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * The bytes of a file of the cache, or what makes it untrustworthy (a definite refusal: a symbolic
 * link, another owner, writable by others). Opened without following links and checked on the open
 * descriptor, so what is read is what was checked. Other errors (ENOENT, EMFILE, EIO) are thrown:
 * they say nothing about the file's worth.
 */
export async function readOwnFile(path: string): Promise<Uint8Array | string> {
  let fh;
  try {
    fh = await open(path, NO_FOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') return 'is a symbolic link';
    throw err;
  }
  try {
    const problems = privacyProblems(await fh.stat(), 'file');
    return problems.length > 0 ? problems.join(' and ') : new Uint8Array(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/** readOwnFile for the synchronous module cache (it runs in the prepare worker). */
export function readOwnFileSync(path: string): Uint8Array | string {
  let fd: number;
  try {
    fd = openSync(path, NO_FOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') return 'is a symbolic link';
    throw err;
  }
  try {
    const problems = privacyProblems(fstatSync(fd), 'file');
    return problems.length > 0 ? problems.join(' and ') : new Uint8Array(readFileSync(fd));
  } finally {
    closeSync(fd);
  }
}

/**
 * The directory at `path` as lstat finds it, with what keeps it from being trusted (privacyProblems
 * joined; null when sound); null when it is missing. The stats are the caller's for what it checks
 * next (cache.ts compares the inode after reading an entry). Other errors are thrown.
 */
export async function directoryStat(path: string): Promise<{ stats: Stats; problem: string | null } | null> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const problems = privacyProblems(stats, 'directory');
  return { stats, problem: problems.length > 0 ? problems.join(' and ') : null };
}

/**
 * What a removal did: 'removed' by this call; 'gone' when it was not there (another node removed it
 * first: out of the way all the same, but not this call's doing); 'kept' when it is still there (it
 * could not be moved): the caller must not use it.
 */
export type Removal = 'removed' | 'gone' | 'kept';

/** Moves `path` out of the way in one step (readers see it whole or not at all), then removes it. */
export async function discard(path: string): Promise<Removal> {
  const away = temporaryPath(path, true);
  try {
    await rename(path, away);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'kept';
  }
  // Files another user made in a directory of theirs may resist removal; the sweep tries again later.
  await rm(away, { recursive: true, force: true }).catch(() => undefined);
  return 'removed';
}

const unsafeRoot = (root: string, why: string, context: Record<string, unknown>, cause?: unknown, hint?: string): SandboxError =>
  new SandboxError(
    'sandbox.artifact.cache-unsafe',
    `the prepare cache directory ${root} ${why}: whoever else can write it could replace the instrumented modules agents run`,
    {
      context: { dir: root, ...context },
      // Not chown/chmod: what was put there while it was unsafe cannot be trusted afterwards.
      hint:
        hint ??
        `Remove the directory and let the node recreate it (rm -r '${root}'; the node prepares its components again), or give the node a directory of its own (caxton serve --prepare-cache-dir).`,
      ...(cause !== undefined ? { cause } : {}),
    },
  );

/** Why a directory on the way to the cache root fails ancestorProblem's rule. */
export type AncestorFailure = 'owner' | 'writers' | 'links' | 'changed';

export interface AncestorProblem {
  ancestor: string;
  kind: AncestorFailure;
  why: string;
  uid?: number;
  gid?: number;
  mode?: string;
}

/** More symbolic links than this on the way to the root is refused, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

/**
 * The first entry on the way to `dir` that someone other than root and this user could use to put
 * their own directory in its place (decision 2141): a directory owned by another uid, or writable by
 * others, or by a group other than the node's own, without the sticky bit (/tmp, 1777, is fine:
 * there only an entry's owner may rename it); or a symbolic link another uid owns. The path is
 * walked from / one component at a time, and a link is followed from where it points, so a
 * directory holding a link on the way is checked like any other (realpath would skip it). The walk
 * stops at the first component that does not exist (what is missing the node creates, as its own);
 * with `mustExist` (the walk after mkdir) a missing or non-directory component is a refusal instead:
 * every name was just made or found, so one gone or replaced means someone is racing the check.
 * `dir` itself is the caller's to check. Null when all is sound, or without POSIX owners.
 */
export async function ancestorProblem(dir: string, opts: { mustExist?: boolean } = {}): Promise<AncestorProblem | null> {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  const ownGroup = process.getgid?.();
  const components = (path: string): string[] => path.split('/').filter((c) => c !== '' && c !== '.');
  let pending = components(dirname(resolve(dir)));
  let current = '/';
  let links = 0;
  for (;;) {
    const st = await lstat(current);
    const facts = { ancestor: current, uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8) };
    if (st.uid !== 0 && st.uid !== uid)
      return { ...facts, kind: 'owner', why: `is owned by uid ${st.uid}, neither root nor this node's uid ${uid}` };
    // Writable by the node's own primary group is allowed here (not for the root itself): it is how
    // Kubernetes' fsGroup gives a pod its volume (deploy/k8s: root-owned, 2775, group = the pod's
    // runAsGroup), and choosing that group for the node is the operator's trust in it.
    const writers = (st.mode & 0o002) | (st.gid === ownGroup ? 0 : st.mode & 0o020);
    if (writers !== 0 && (st.mode & 0o1000) === 0) {
      return {
        ...facts,
        kind: 'writers',
        why: `is writable by ${writersOf(writers)} without the sticky bit (mode ${facts.mode}, group ${st.gid})`,
      };
    }
    // Each step below lstats a name in `current`, whose rule was just checked.
    for (;;) {
      const name = pending.shift();
      if (name === undefined) return null;
      if (name === '..') {
        current = dirname(current); // `current` is a real path (no link in it), so its parent is.
        break;
      }
      const next = join(current, name);
      let here: Stats;
      try {
        here = await lstat(next);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        return opts.mustExist ? { ancestor: next, kind: 'changed', why: 'went missing while the node checked the way to it' } : null; // Else created by the node, as its own.
      }
      if (here.isSymbolicLink()) {
        if (here.uid !== 0 && here.uid !== uid) {
          return {
            ancestor: next,
            kind: 'owner',
            uid: here.uid,
            gid: here.gid,
            why: `is a symbolic link owned by uid ${here.uid}, neither root nor this node's uid ${uid}`,
          };
        }
        if (++links > MAX_LINKS) return { ancestor: next, kind: 'links', why: `is reached through more than ${MAX_LINKS} symbolic links` };
        const target = await readlink(next);
        if (target.startsWith('/')) current = '/';
        pending = [...components(target), ...pending];
        if (target.startsWith('/')) break; // Check / again: the walk starts over from there.
        continue; // Relative: the names are looked up in `current`, already checked.
      }
      // Not a directory: creating the root fails, and says so; after mkdir it was replaced meanwhile.
      if (!here.isDirectory())
        return opts.mustExist
          ? { ancestor: next, kind: 'changed', why: 'stopped being a directory while the node checked the way to it' }
          : null;
      current = next;
      break;
    }
  }
}

/**
 * The root's own rules (a private directory of this user, created 0700 when missing) and its
 * ancestors' (ancestorProblem), with the typed `cache-unsafe` error when either fails. Shared with
 * the test tree's fixtures cache (sandbox/test/fixtures/build.ts), which lives at a predictable path.
 */
export async function openPrivateDir(given: string): Promise<void> {
  // One normalised path for every step: the kernel would read '..' through a link and follow a
  // trailing slash where the walk reads the text (an embedder's path arrives unresolved).
  const root = resolve(given);
  const examine = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw unsafeRoot(root, `cannot be created or examined (${code})`, { code }, err);
    }
  };
  // Before mkdir, so nothing is created under a directory that is refused; again after it, for
  // directories another user made on the way meanwhile (mkdir -p takes what it finds).
  refuseAncestor(root, await examine(() => ancestorProblem(root)));
  await examine(() => mkdir(root, { recursive: true, mode: 0o700 }));
  refuseAncestor(root, await examine(() => ancestorProblem(root, { mustExist: true })));
  const st = await examine(() => lstat(root));
  const problems = privacyProblems(st, 'directory');
  if (problems.length > 0)
    throw unsafeRoot(root, problems.join(' and '), { owner: st.uid, uid: process.getuid?.(), mode: (st.mode & 0o777).toString(8) });
}

/** The typed refusal of a root whose ancestry fails, with the hint that fits the failure. */
function refuseAncestor(root: string, above: AncestorProblem | null): void {
  if (above === null) return;
  const { ancestor, kind, why, ...facts } = above;
  const elsewhere = 'or give the node a directory under one that is (caxton serve --prepare-cache-dir)';
  const hint = {
    owner: `${ancestor} is owned by uid ${facts.uid}: have root chown it (to root or this node's user), or give --prepare-cache-dir elsewhere. Its owner can rename the cache directory away and put their own in its place.`,
    writers: `Whoever can write ${ancestor} can rename the cache directory away and put their own in its place. Make it writable by its owner only (chmod go-w '${ancestor}') or sticky (chmod +t), ${elsewhere}.`,
    links: `Point --prepare-cache-dir at the directory's real path, ${elsewhere}.`,
    changed: `Something on the way to it changed while the node checked it: another user may be racing the node. Find who can write ${dirname(ancestor)} and start the node again, ${elsewhere}.`,
  }[kind];
  throw unsafeRoot(root, `lies under ${ancestor}, which ${why}`, { ancestor, failure: kind, ...facts }, undefined, hint);
}

/**
 * Creates the cache root (0700) if it is missing, and refuses one that is a symbolic link (it could be
 * re-pointed later, and the sweep would delete wherever it points), another user's, or writable by
 * group or others, or one under an ancestor others could rename it from (openPrivateDir): a typed
 * error whose hint says what to do. Also refuses a module cache
 * directory (MODULE_CACHE_DIR, passed as `modulesDir`) that fails the same rules, which the root's
 * check alone would let through if another user made it while the root was open to them.
 */
export async function openCacheRoot(root: string, modulesDir: string): Promise<void> {
  await openPrivateDir(root);
  const modules = join(root, modulesDir);
  const problem = (await directoryStat(modules).catch(() => null))?.problem ?? null;
  if (problem !== null && (await discard(modules)) === 'kept') {
    throw unsafeRoot(root, `holds ${modulesDir}/, which ${problem} and cannot be moved away`, { modules });
  }
}

/**
 * Removes the temporaries in `dir` (names the caches write, temporaryPath) that are older than
 * STALE_TEMPORARY_MS. A live writer's temporary is seconds old (it is created after preparing, to
 * write files and rename), so one that old was left by a process that died; removing it cannot
 * disturb a writer that is still running.
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
    if (!TEMPORARY_NAME.test(name)) continue;
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
