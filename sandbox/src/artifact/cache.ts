/**
 * On-disk cache of prepared artifacts, one directory per (digest, cache key) holding manifest.json,
 * the instrumented modules and, on the jco path, the glue module. Entries are written to a temporary
 * directory and renamed into place, so readers never see half an entry and concurrent writers of the
 * same artifact are harmless (the loser's rename fails and its copy is discarded).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ArtifactManifest } from './artifact.js';

export interface CachedEntry {
  dir: string;
  manifest: ArtifactManifest;
  modules: Uint8Array[];
}

export class ArtifactCache {
  constructor(readonly root: string) {}

  entryDir(digest: string, cacheKey: string): string {
    return join(this.root, `${digest}-${cacheKey}`);
  }

  async read(digest: string, cacheKey: string): Promise<CachedEntry | null> {
    const dir = this.entryDir(digest, cacheKey);
    let manifest: ArtifactManifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest;
    } catch {
      return null;
    }
    if (manifest.format !== 1 || manifest.digest !== digest || manifest.cacheKey !== cacheKey) return null;
    try {
      const modules = await Promise.all(manifest.modules.map(async (m) => new Uint8Array(await readFile(join(dir, m.file)))));
      return { dir, manifest, modules };
    } catch {
      return null;
    }
  }

  async write(manifest: ArtifactManifest, modules: Uint8Array[], glue: string | null): Promise<string> {
    const dir = this.entryDir(manifest.digest, manifest.cacheKey);
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    try {
      await Promise.all(manifest.modules.map((m, i) => writeFile(join(tmp, m.file), modules[i]!)));
      if (glue !== null && manifest.glueFile) await writeFile(join(tmp, manifest.glueFile), glue);
      await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
      try {
        await rename(tmp, dir);
      } catch {
        // Someone else wrote the same entry first; theirs is equivalent.
        await rm(tmp, { recursive: true, force: true });
      }
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
}
