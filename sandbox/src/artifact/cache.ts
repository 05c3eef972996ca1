/**
 * On-disk cache of prepared artifacts, one directory per (digest, cache key) holding manifest.json,
 * the instrumented modules and, on the jco path, the glue module. Entries are written to a temporary
 * directory and renamed into place, so readers never see half an entry and concurrent writers of the
 * same artifact are harmless (the loser's rename fails and its copy is discarded).
 *
 * Nothing read back is trusted on its word (decision 2135): the root must pass openCacheRoot before
 * the first read or write, the entry directory and each file must be this user's, private and no
 * symbolic link, a manifest may only name plain files of its own entry, and every file is checked
 * against the sha256 its manifest records before it is handed on (the glue as text, so what is
 * imported is what was hashed). An entry that definitely fails is reported, moved out of the way and
 * treated as a miss, so the caller prepares the artifact again; a file that merely cannot be read now
 * (EMFILE, EIO, another node's discard) is a miss that leaves the entry alone.
 */
import { lstat, mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MANIFEST_FORMAT, type ArtifactManifest } from './artifact.js';
import { sha256 } from './digest.js';
import { MODULE_CACHE_DIR } from './module-cache.js';
import { directoryStat, discard, isPlainFileName, openCacheRoot, readOwnFile, removeStaleTemporaries, temporaryPath } from './cache-dir.js';
import { evictPastBound, type EvictionReport } from './cache-evict.js';
import { SandboxError, artifactError } from '../errors.js';
import { ASSETS_PAYLOAD_CEILING, decodeAssets } from '@caxton/core';

export interface CachedEntry {
  manifest: ArtifactManifest;
  modules: Uint8Array[];
  /** The glue's text (jco path), checked against the manifest: imported from memory, never again from disk. */
  glue: string | null;
}

/** Told about each entry that failed its check (and was discarded), and each write that failed. */
export type RefusedEntryReport = (err: SandboxError) => void;

const MANIFEST = 'manifest.json';

/** Why an entry is refused (definite: it is discarded), as against a read that failed for now (a miss). */
class Refused {
  constructor(readonly why: string) {}
}

/** The size bound (decision 2141) and who is told what each eviction pass removed. */
export interface CacheBound {
  maxBytes: number;
  onEvicted: (report: EvictionReport) => void;
}

export class ArtifactCache {
  private opened: Promise<void> | null = null;
  /** The eviction pass running (one at a time), and whether a write since asks for another. */
  private evicting: Promise<void> | null = null;
  private evictAgain = false;
  /**
   * Every entry written since the passes began (cleared when they stop): none is evicted by them, so
   * a bound below one entry keeps it, and a write that lands during a pass is not removed by the
   * next one in favour of the write after it.
   */
  private readonly writtenDuringPasses = new Set<string>();

  /** The root as one normalised absolute path: what is checked is what is read and evicted. */
  readonly root: string;

  constructor(
    root: string,
    private readonly report: RefusedEntryReport,
    private readonly bound: CacheBound | null = null,
  ) {
    this.root = resolve(root);
  }

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
        await openCacheRoot(this.root, MODULE_CACHE_DIR);
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
    let found: CachedEntry | Refused | null;
    try {
      found = await this.check(dir, digest, cacheKey);
    } catch {
      return null; // Could not be read now (ENOENT, EMFILE, EIO): a miss, the entry may be sound.
    }
    if (found !== null && !(found instanceof Refused)) {
      // Recency for eviction (cache-evict.ts): best-effort, the entry may be evicted by now.
      const now = new Date();
      await utimes(dir, now, now).catch(() => undefined);
    }
    if (!(found instanceof Refused)) return found;
    const removed = (await discard(dir)) !== 'kept';
    this.report(
      new SandboxError('sandbox.artifact.cache-entry-refused', `the cached entry for ${digest} was refused: ${found.why}`, {
        context: { digest, cacheKey, dir, removed },
        hint: removed
          ? 'Nothing of it was run; the node prepares the artifact again. Under a private directory this means corruption or a process of this user writing it: if it recurs, find it.'
          : `Nothing of it was run, and it could not be moved away: the node prepares the artifact in memory each time. Remove ${dir} (or the whole cache directory).`,
      }),
    );
    return null;
  }

  /** The entry when sound, why it is refused, null when there is none (of this format); throws when it cannot be read now. */
  private async check(dir: string, digest: string, cacheKey: string): Promise<CachedEntry | Refused | null> {
    const found = await directoryStat(dir);
    if (found === null) return null;
    if (found.problem !== null) return new Refused(`its directory ${found.problem}`);
    const dirStat = found.stats;
    let text: Uint8Array | string;
    try {
      text = await readOwnFile(join(dir, MANIFEST));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (typeof text === 'string') return new Refused(`its manifest ${text}`);
    let manifest: ArtifactManifest;
    try {
      manifest = JSON.parse(Buffer.from(text).toString('utf8')) as ArtifactManifest;
    } catch {
      return new Refused('its manifest is not JSON');
    }
    // Another format is another node version's (the format is in the key, so only a hand-made entry): not ours to judge.
    if (manifest.format !== MANIFEST_FORMAT) return null;
    if (manifest.digest !== digest || manifest.cacheKey !== cacheKey)
      return new Refused('its manifest names another artifact or cache key');
    if (!Array.isArray(manifest.modules)) return new Refused('its manifest lists no modules');
    const odd = oddFileName(manifest);
    if (odd !== undefined) return new Refused(`its manifest names the file ${JSON.stringify(odd)}, which is not a plain file of the entry`);
    // The assets (decision 2192) are checked here, where a refusal moves the entry aside, not at load.
    if (manifest.assets !== null && !wellFormedAssets(manifest.assets))
      return new Refused('its manifest holds assets that are not a well-formed payload');
    const [modules, glue] = await Promise.all([
      Promise.all(manifest.modules.map((m) => readEntryFile(join(dir, m.file)))),
      manifest.glueFile === null ? null : readEntryFile(join(dir, manifest.glueFile)),
    ]);
    const missing = [
      ...manifest.modules.map((m, i) => (modules[i] === MISSING ? m.file : null)),
      glue === MISSING ? manifest.glueFile : null,
    ].find((f) => f !== null);
    if (missing !== undefined) {
      // Missing from the directory we checked: the entry is broken for good (decision 2141), or it
      // would be prepared in memory on every load. Gone with its directory, or under a directory
      // renamed in since (another node evicted or rewrote it): a miss, nothing to judge.
      const now = await lstat(dir).catch(() => null);
      if (now === null || now.ino !== dirStat.ino || now.dev !== dirStat.dev) throw new Error(`the entry ${dir} changed while it was read`);
      return new Refused(`the file ${missing} its manifest names is missing`);
    }
    for (const [i, m] of manifest.modules.entries()) {
      const bytes = modules[i]!;
      if (bytes === MISSING) continue; // Not reached: handled above.
      if (typeof bytes === 'string') return new Refused(`the module ${m.file} ${bytes}`);
      if (sha256(bytes) !== m.sha256) return new Refused(`the module ${m.file} does not match the sha256 its manifest records`);
    }
    if (typeof glue === 'string') return new Refused(`the glue ${manifest.glueFile} ${glue}`);
    if (glue === MISSING) return null; // Not reached: handled above.
    if (glue !== null && sha256(glue) !== manifest.glueSha256)
      return new Refused(`the glue ${manifest.glueFile} does not match the sha256 its manifest records`);
    return { manifest, modules: modules as Uint8Array[], glue: glue === null ? null : Buffer.from(glue as Uint8Array).toString('utf8') };
  }

  /**
   * Writes an entry, best-effort: the caller holds what it prepared in memory and uses that, so a
   * write that fails (a full disk, another writer in first with an entry that was refused and could
   * not be moved away) costs the next process a preparation, never this deploy. Returns whether the
   * directory now holds a sound entry (ours or an equivalent one another writer renamed first).
   */
  async write(manifest: ArtifactManifest, modules: Uint8Array[], glue: string | null): Promise<boolean> {
    await this.open();
    const odd = oddFileName(manifest);
    if (odd !== undefined) {
      throw artifactError(
        'invalid',
        `the prepared manifest names the file ${JSON.stringify(odd)}, which is not a plain file name`,
        { digest: manifest.digest },
        'This is a Caxton bug; report it with the artifact.',
      );
    }
    const dir = this.entryDir(manifest.digest, manifest.cacheKey);
    const tmp = temporaryPath(dir);
    try {
      await mkdir(tmp, { mode: 0o700 });
      await Promise.all(manifest.modules.map((m, i) => writeFile(join(tmp, m.file), modules[i]!, { mode: 0o600 })));
      if (glue !== null && manifest.glueFile) await writeFile(join(tmp, manifest.glueFile), glue, { mode: 0o600 });
      await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2), { mode: 0o600 });
      if (await renamed(tmp, dir)) return this.evictAfterWrite(dir);
      // Someone else wrote the entry first: theirs serves if it passes the same check as any read.
      if ((await this.read(manifest.digest, manifest.cacheKey)) !== null) return true;
      // Theirs was refused and discarded (or never was: the rename failed for another reason).
      return (await renamed(tmp, dir)) && this.evictAfterWrite(dir);
    } catch (err) {
      // Not raised (the deploy goes on from memory) but told: a full or unwritable disk would
      // otherwise make every restart prepare again with nobody knowing why.
      this.report(
        new SandboxError(
          'sandbox.artifact.cache-write-failed',
          `the prepared entry for ${manifest.digest} was not written to the cache: ${(err as Error).message}`,
          {
            context: { digest: manifest.digest, cacheKey: manifest.cacheKey, dir: this.root },
            hint: 'The agent runs from memory; the next start of this node prepares it again. Free space in, or fix the permissions of, the prepare cache directory.',
          },
        ),
      );
      return false;
    } finally {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  /** Resolves when no eviction pass is running or asked for (for tests and an orderly stop). */
  async evictionsSettled(): Promise<void> {
    while (this.evicting) await this.evicting;
  }

  /**
   * Starts an eviction pass after a write, not awaited by it: the load that wrote goes on at once.
   * One pass at a time; writes during a pass ask for one more after it, not one each.
   */
  private evictAfterWrite(written: string): true {
    if (this.bound === null) return true;
    this.writtenDuringPasses.add(written);
    if (this.evicting) {
      this.evictAgain = true;
      return true;
    }
    const bound = this.bound;
    this.evicting = (async () => {
      do {
        this.evictAgain = false;
        const done = await evictPastBound(this.root, MODULE_CACHE_DIR, bound.maxBytes, this.writtenDuringPasses).catch(() => null);
        try {
          if (done !== null) bound.onEvicted(done);
        } catch {
          // A reporter that throws must not end the loop and drop the pass a write asked for.
        }
      } while (this.evictAgain);
    })()
      .catch(() => undefined) // A reporter that throws must not become an unhandled rejection of a pass nobody awaits.
      .finally(() => {
        this.evicting = null;
        this.writtenDuringPasses.clear();
      });
    return true;
  }
}

/** Marks a file of an entry that is not there (ENOENT), as against one that cannot be read now. */
const MISSING = Symbol('missing');

async function readEntryFile(path: string): Promise<Uint8Array | string | typeof MISSING> {
  try {
    return await readOwnFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return MISSING;
    throw err;
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

function wellFormedAssets(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > Math.ceil(ASSETS_PAYLOAD_CEILING / 3) * 4) return false; // before any decoding
  try {
    decodeAssets(Buffer.from(value, 'base64'));
    return true;
  } catch {
    return false;
  }
}
