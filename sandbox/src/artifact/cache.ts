/**
 * On-disk cache of prepared artifacts, one directory per (digest, cache key) holding manifest.json,
 * the instrumented modules and, on the jco path, the glue module. Entries are written to a temporary
 * directory and renamed into place, so readers never see half an entry and concurrent writers of the
 * same artifact are harmless (the loser's rename fails and its copy is discarded).
 *
 * Nothing read back is trusted on its word (decision 2135): the root must pass openCacheRoot before
 * the first read or write, a manifest may only name plain files of its own entry, and every file is
 * checked against the sha256 its manifest records before it is handed on. An entry that fails is
 * reported, moved out of the way and treated as a miss, so the caller prepares the artifact again.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ArtifactManifest } from './artifact.js';
import { sha256 } from './digest.js';
import { MODULE_CACHE_DIR } from './module-cache.js';
import { TEMPORARY_INFIX, isPlainFileName, openCacheRoot, removeStaleTemporaries } from './cache-dir.js';
import { SandboxError, artifactError } from '../errors.js';

export interface CachedEntry {
  dir: string;
  manifest: ArtifactManifest;
  modules: Uint8Array[];
}

/** Told about each entry that failed its check (and was discarded). */
export type RefusedEntryReport = (err: SandboxError) => void;

const MANIFEST = 'manifest.json';

export class ArtifactCache {
  private opened: Promise<void> | null = null;

  constructor(
    readonly root: string,
    private readonly report: RefusedEntryReport,
  ) {}

  entryDir(digest: string, cacheKey: string): string {
    return join(this.root, `${digest}-${cacheKey}`);
  }

  /**
   * Checks the root (created 0700 if missing) and sweeps the temporaries writers that died left,
   * once per cache; a root that fails is checked again on the next call, so a fix needs no restart.
   */
  open(): Promise<void> {
    if (!this.opened) {
      this.opened = (async () => {
        await openCacheRoot(this.root);
        await removeStaleTemporaries(this.root);
        await removeStaleTemporaries(join(this.root, MODULE_CACHE_DIR));
      })();
      this.opened.catch(() => (this.opened = null));
    }
    return this.opened;
  }

  /** The entry, if one is there and every file matches its manifest; null otherwise. */
  async read(digest: string, cacheKey: string): Promise<CachedEntry | null> {
    await this.open();
    const dir = this.entryDir(digest, cacheKey);
    let text: string;
    try {
      text = await readFile(join(dir, MANIFEST), 'utf8');
    } catch {
      return null;
    }
    const problem = await this.check(dir, text, digest, cacheKey);
    if (typeof problem !== 'string') return problem;
    this.report(new SandboxError('sandbox.artifact.cache-entry-refused', `the cached entry for ${digest} was refused: ${problem}`, {
      context: { digest, cacheKey, dir },
      hint: 'Nothing of it was run; the node prepares the artifact again. If this recurs, something else writes the prepare cache directory: find it, or give the node a directory of its own.',
    }));
    await this.discard(dir);
    return null;
  }

  /** The entry when sound, or what is wrong with it. */
  private async check(dir: string, text: string, digest: string, cacheKey: string): Promise<CachedEntry | string> {
    let manifest: ArtifactManifest;
    try {
      manifest = JSON.parse(text) as ArtifactManifest;
    } catch {
      return 'its manifest is not JSON';
    }
    // Another format (an older node's) or an entry named for another artifact: not ours to use.
    if (manifest.format !== 2) return `its manifest has format ${String(manifest.format)}, this node reads 2`;
    if (manifest.digest !== digest || manifest.cacheKey !== cacheKey) return 'its manifest names another artifact or cache key';
    if (!Array.isArray(manifest.modules)) return 'its manifest lists no modules';
    const odd = oddFileName(manifest);
    if (odd !== undefined) return `its manifest names the file ${JSON.stringify(odd)}, which is not a plain file of the entry`;
    const modules: Uint8Array[] = [];
    try {
      for (const m of manifest.modules) {
        const bytes = new Uint8Array(await readFile(join(dir, m.file)));
        if (sha256(bytes) !== m.sha256) return `the module ${m.file} does not match the sha256 its manifest records`;
        modules.push(bytes);
      }
      if (manifest.glueFile !== null && sha256(await readFile(join(dir, manifest.glueFile))) !== manifest.glueSha256) {
        return `the glue ${manifest.glueFile} does not match the sha256 its manifest records`;
      }
    } catch (err) {
      return `a file it lists cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    return { dir, manifest, modules };
  }

  /** Moves a refused entry out of the way in one step (readers see it or nothing), then removes it. */
  private async discard(dir: string): Promise<void> {
    const away = `${dir}${TEMPORARY_INFIX}refused-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(dir, away);
    } catch {
      return; // Another node discarded it first.
    }
    await rm(away, { recursive: true, force: true });
  }

  /**
   * Writes an entry and returns its directory, which then holds files matching the manifest: ours,
   * or an equivalent entry another writer renamed into place first and that passed the same check.
   */
  async write(manifest: ArtifactManifest, modules: Uint8Array[], glue: string | null): Promise<string> {
    await this.open();
    const odd = oddFileName(manifest);
    if (odd !== undefined) {
      throw artifactError('invalid', `the prepared manifest names the file ${JSON.stringify(odd)}, which is not a plain file name`, { digest: manifest.digest },
        'This is a Caxton bug; report it with the artifact.');
    }
    const dir = this.entryDir(manifest.digest, manifest.cacheKey);
    const tmp = `${dir}${TEMPORARY_INFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { mode: 0o700 });
    try {
      await Promise.all(manifest.modules.map((m, i) => writeFile(join(tmp, m.file), modules[i]!)));
      if (glue !== null && manifest.glueFile) await writeFile(join(tmp, manifest.glueFile), glue);
      await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2));
      if (await renamed(tmp, dir)) return dir;
      // Someone else wrote the entry first: theirs serves if it passes the same check as any read.
      if ((await this.read(manifest.digest, manifest.cacheKey)) !== null) {
        await rm(tmp, { recursive: true, force: true });
        return dir;
      }
      // Theirs was refused and discarded (or never was: the rename failed for another reason).
      await rename(tmp, dir);
      return dir;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
}

async function renamed(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch {
    return false;
  }
}

/** The first file a manifest names that is not a plain file of its entry (the manifest itself included). */
function oddFileName(manifest: ArtifactManifest): unknown {
  const names: unknown[] = [...manifest.modules.map((m) => m.file), ...(manifest.glueFile === null ? [] : [manifest.glueFile])];
  return names.find((n) => !isPlainFileName(n) || n === MANIFEST);
}
