/**
 * Pulled components kept by digest (decision 2172), so a second deploy of the same component — on
 * this machine, of any tag or repository naming it — reads no blob from the registry. A blob is
 * stored under its own sha256 once it was checked against it, and checked again every time it is
 * read: a file changed on disk is dropped and fetched anew, never used. The manifest is always
 * asked of the registry (a tag moves; credentials are checked).
 *
 * Where: `$CAXTON_OCI_CACHE`, else `$XDG_CACHE_HOME/caxton/oci-blobs`, else `~/.cache/caxton/oci-blobs`;
 * `CAXTON_OCI_CACHE=off` keeps nothing. Written beside its name first and renamed, so a reader never
 * sees half a blob; a cache that cannot be written is skipped (the pull goes on).
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sha256Digest } from './layout.js';

export class BlobCache {
  private constructor(private readonly dir: string | undefined) {}

  static from(env: Readonly<Record<string, string | undefined>>, homedir = os.homedir()): BlobCache {
    const set = env.CAXTON_OCI_CACHE;
    if (set === 'off') return new BlobCache(undefined);
    if (set !== undefined && set !== '') return new BlobCache(path.resolve(set));
    const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : path.join(homedir, '.cache');
    return new BlobCache(path.join(base, 'caxton', 'oci-blobs'));
  }

  private file(digest: string): string | undefined {
    if (this.dir === undefined || !/^sha256:[a-f0-9]{64}$/.test(digest)) return undefined;
    return path.join(this.dir, 'sha256', digest.slice(7));
  }

  /** The blob of `digest` and `size` if kept and still whole; undefined otherwise (a bad copy is removed). */
  async get(digest: string, size: number): Promise<Uint8Array | undefined> {
    const file = this.file(digest);
    if (file === undefined) return undefined;
    try {
      if ((await stat(file)).size !== size) throw new Error('size');
      const bytes = await readFile(file);
      if (sha256Digest(bytes) === digest) return bytes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    }
    await rm(file, { force: true }).catch(() => {});
    return undefined;
  }

  /** Keep `bytes`, already checked to be `digest`'s. Failures are the caller's note, not its error. */
  async put(digest: string, bytes: Uint8Array): Promise<void> {
    const file = this.file(digest);
    if (file === undefined) return;
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(tmp, bytes, { mode: 0o644 });
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }
}
