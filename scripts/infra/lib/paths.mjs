/** Where installs and CLI-started servers live: outside git, shared by every checkout on the machine. */
import os from 'node:os';
import path from 'node:path';

/** Cache root: $CAXTON_CACHE_DIR, else $XDG_CACHE_HOME/caxton, else ~/.cache/caxton. */
export function cacheDir() {
  if (process.env.CAXTON_CACHE_DIR) return path.resolve(process.env.CAXTON_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'caxton');
}

/** State of servers started by `infra.mjs up` (pid files, data); tests never use it. */
export function runDir(service) {
  return path.join(cacheDir(), 'run', service);
}
