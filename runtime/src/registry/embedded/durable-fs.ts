/**
 * Crash-safe file primitives. A rename is only durable once the directory holding it is fsynced,
 * and a file's bytes only once the file is; skipping either can resurrect an old file, or leave a
 * new name pointing at empty data, after a power loss.
 */
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `path` atomically: a unique temp file in the same directory, fsync, rename over
 * the target, fsync the directory. Readers see the old or the new content, never a mix.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(path));
}

/** Temp files left by a crash mid-`writeFileAtomic` carry this marker. */
export function isTempFile(name: string): boolean {
  return name.includes('.tmp-');
}

/** mkdir -p whose new directory entries are durable: each created directory's parent is fsynced. */
export async function mkdirDurable(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await syncDir(dirname(dir));
    if (dir === first || dirname(dir) === dir) break;
  }
}
