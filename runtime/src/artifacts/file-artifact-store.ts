/**
 * Artifacts as files: `<dir>/sha256/<first two hex>/<digest>`, written atomically (temp file, fsync,
 * rename, directory fsync), so a crash leaves either no file or the whole file. The two-character
 * fan-out keeps directories small with thousands of components.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirDurable, writeFileAtomic, isTempFile } from '../registry/embedded/durable-fs.js';
import { assertDigest, notFound, sha256Hex, verified, type ArtifactStore } from './artifact-store.js';

export interface FileArtifactStoreOptions {
  /** Root directory (created if missing), e.g. `<data dir>/artifacts`. */
  dir: string;
}

export class FileArtifactStore implements ArtifactStore {
  private readonly root: string;

  constructor(opts: FileArtifactStoreOptions) {
    this.root = join(opts.dir, 'sha256');
  }

  pathOf(digest: string): string {
    assertDigest(digest);
    return join(this.root, digest.slice(0, 2), digest);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    const path = this.pathOf(digest);
    // An existing copy is kept only if it is intact: putting again is how a damaged copy is repaired.
    const existing = await readFile(path).catch(() => undefined);
    if (existing && sha256Hex(existing) === digest) return digest;
    await mkdirDurable(join(this.root, digest.slice(0, 2)));
    await writeFileAtomic(path, bytes);
    return digest;
  }

  async get(digest: string): Promise<Uint8Array> {
    const path = this.pathOf(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(digest, 'local artifact store');
      throw err;
    }
    return verified(digest, bytes, 'local artifact store', { path });
  }

  async has(digest: string): Promise<boolean> {
    const path = this.pathOf(digest);
    return stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async delete(digest: string): Promise<void> {
    await unlink(this.pathOf(digest)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const fans = await readdir(this.root).catch(() => [] as string[]);
    for (const fan of fans) {
      for (const name of await readdir(join(this.root, fan)).catch(() => [] as string[])) {
        if (!isTempFile(name) && /^[0-9a-f]{64}$/.test(name)) out.push(name);
      }
    }
    return out.sort();
  }
}
