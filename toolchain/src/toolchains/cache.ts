/**
 * Where toolchains are cached: $CAXTON_CACHE_DIR, else $XDG_CACHE_HOME/caxton, else
 * ~/.cache/caxton (the same root the test infrastructure uses), under `toolchains/<name>`.
 * Installs are serialised by a lock directory so two builds never install at once.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
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

/** A lock older than this is taken to be left by a killed process. */
const STALE_LOCK_MS = 30 * 60_000;

/** Runs `fn` holding `<cache>/toolchains/<name>.lock` (a directory: mkdir is atomic). */
export async function withToolchainLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(cacheRoot(), 'toolchains', `${name}.lock`);
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
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
