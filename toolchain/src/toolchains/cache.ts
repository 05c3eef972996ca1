/**
 * Where toolchains are cached: $CAXTON_CACHE_DIR, else $XDG_CACHE_HOME/caxton, else
 * ~/.cache/caxton (the same root the test infrastructure uses), under `toolchains/<name>`.
 * Installs are serialised by a lock directory so two builds never install at once.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function cacheRoot(): string {
  if (process.env['CAXTON_CACHE_DIR']) return path.resolve(process.env['CAXTON_CACHE_DIR']);
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'caxton');
}

export function toolchainDir(name: string): string {
  return path.join(cacheRoot(), 'toolchains', name);
}

/** A lock older than this whose holder is not known is taken to be left by a killed process. */
const STALE_LOCK_MS = 30 * 60_000;

/** Runs `fn` holding `<cache>/toolchains/<name>.lock` (a directory: mkdir is atomic). */
export async function withToolchainLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return withDirLock(path.join(cacheRoot(), 'toolchains', `${name}.lock`), fn);
}

/**
 * The lock every apt-get call of Caxton's takes, machine-wide: apt waits for dpkg's lock
 * (DPkg::Lock::Timeout) but not for its package lists' or download cache's, so two installs that
 * each fall back to `apt-get update` fail each other ("Could not get lock /var/lib/apt/lists/lock").
 * In the temp dir, not the cache: two caches on one machine share one apt. The test infrastructure's
 * apt calls (scripts/infra, its withLock on `caxton-apt`) take the same directory.
 */
export function aptLockPath(): string {
  return path.join(os.tmpdir(), 'caxton-apt.lock');
}

export async function withAptLock<T>(fn: () => Promise<T>): Promise<T> {
  return withDirLock(aptLockPath(), fn);
}

function holderGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // No holder written (yet, or by an older process): only its age says it was left behind.
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  }
  if (!(pid > 0)) return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Runs `fn` holding the lock directory `lock` (its holder's pid inside, so a killed holder's lock is taken over). */
export async function withDirLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (holderGone(lock)) rmSync(lock, { recursive: true, force: true });
      } catch {
        // removed by its owner meanwhile
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
