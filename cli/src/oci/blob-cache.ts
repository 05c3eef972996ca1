/**
 * Pulled components kept by digest (decision 2172), so a second deploy of the same component — on
 * this machine, of any tag or repository naming it — reads only its manifest and small config from
 * the registry, not the component again. A blob is
 * stored under its own sha256 once it was checked against it, and checked again every time it is
 * read: a file changed on disk is dropped and fetched anew, never used. The manifest is always
 * asked of the registry (a tag moves; credentials are checked).
 *
 * Where: `$CAXTON_OCI_CACHE`, else `oci-blobs` under caxton's cache root (`$CAXTON_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/caxton`, else `~/.cache/caxton`, as the toolchains'); `CAXTON_OCI_CACHE=off`
 * keeps nothing. Private to the user (0700 directories, 0600 files: a component pulled with
 * credentials is not for every user of the machine). Written beside its name first and renamed, so
 * a reader never sees half a blob; a cache that cannot be written is skipped (the pull goes on).
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sha256Digest } from './layout.js';

export class BlobCache {
  private constructor(private readonly dir: string | undefined) {}

  /** `cwd`: what a relative `$CAXTON_OCI_CACHE` is relative to (the command's working directory). */
  static from(env: Readonly<Record<string, string | undefined>>, cwd: string, homedir = os.homedir()): BlobCache {
    const given = (name: string): string | undefined => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
    const set = given('CAXTON_OCI_CACHE');
    if (set === 'off') return new BlobCache(undefined);
    if (set !== undefined) return new BlobCache(path.resolve(cwd, set));
    const root = given('CAXTON_CACHE_DIR') ?? path.join(given('XDG_CACHE_HOME') ?? path.join(homedir, '.cache'), 'caxton');
    return new BlobCache(path.join(path.resolve(cwd, root), 'oci-blobs'));
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
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }
}
