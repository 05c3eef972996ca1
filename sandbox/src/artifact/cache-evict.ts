/**
 * Keeps a prepare cache under its size bound (decision 2141): past it, the least recently used
 * entries (artifact directories and module-cache files) are removed until it fits. Recency is the
 * mtime, which a hit touches (cache.ts, module-cache.ts), so an entry in use stays; it is read
 * again just before each removal, so one a load finished reading since the scan stays too.
 *
 * Nodes sharing the directory may evict what another is reading. An artifact entry is removed by
 * discard (renamed away in one step, then deleted): a reader sees it whole or finds it gone, which
 * cache.ts treats as a miss (it prepares again), and every byte it does get is still checked
 * against its manifest's sha256. A module-cache file is unlinked: a reader that opened it reads it
 * whole, one that comes later misses and instruments again. So an eviction costs a preparation,
 * never a crash or a wrong module.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { discard, type Removal } from './cache-dir.js';

/** What one eviction pass did (reported to the node: the operator sees the cache working). */
export interface EvictionReport {
  /** Artifact entries and module-cache files this pass removed (not those another node removed meanwhile). */
  entries: number;
  modules: number;
  /** Bytes they held. */
  bytes: number;
  /** What the cache held before the pass, and its bound. */
  totalBytes: number;
  maxBytes: number;
}

/** An artifact entry's name: `<sha256 of the component>-<cache key>` (cache.ts entryDir). */
const ENTRY_NAME = /^[0-9a-f]{64}-[0-9a-f]{16}$/;
/** A module-cache file's name (module-cache.ts entryPath). */
const MODULE_NAME = /^[0-9a-f]{64}\.entry$/;

interface Item {
  path: string;
  kind: 'entry' | 'module';
  bytes: number;
  usedMs: number;
  dev: number;
  ino: number;
}

/** Called with an item at two instants of its turn; tests force the races of another node with them. */
export interface EvictionHooks {
  /** Before its recency is checked again. */
  beforeRecheck?: (path: string) => void | Promise<void>;
  /** After that check found it unused, just before it is removed. */
  beforeRemoval?: (path: string) => void | Promise<void>;
}

/**
 * One pass: sizes every entry of `root` and of `root/modulesDir`, and removes the least recently
 * used until the total is within `maxBytes`, never one in `keep` (the entries written since the
 * passes began, concurrent writes included: a bound smaller than one entry must not make the cache
 * useless, nor remove an entry another load just wrote before anyone could use it), nor one used
 * or replaced since the scan (see stateSinceScan). Temporaries and unknown names are left alone (the
 * stale sweep owns temporaries). Work is one lstat per file of the cache plus one per removal: it
 * runs after a write, off the load that triggered it. Null when nothing was removed.
 */
export async function evictPastBound(
  root: string,
  modulesDir: string,
  maxBytes: number,
  keep: ReadonlySet<string>,
  hooks: EvictionHooks = {},
): Promise<EvictionReport | null> {
  const items = [
    ...(await scanItems(root, ENTRY_NAME, 'entry', entryBytes)),
    ...(await scanItems(join(root, modulesDir), MODULE_NAME, 'module', async (_path, st) => (st.isFile() ? st.size : null))),
  ];
  const totalBytes = items.reduce((sum, i) => sum + i.bytes, 0);
  if (totalBytes <= maxBytes) return null;
  items.sort((a, b) => a.usedMs - b.usedMs);
  const report: EvictionReport = { entries: 0, modules: 0, bytes: 0, totalBytes, maxBytes };
  let left = totalBytes;
  for (const item of items) {
    if (left <= maxBytes) break;
    if (keep.has(item.path)) continue;
    await hooks.beforeRecheck?.(item.path);
    const now = await stateSinceScan(item);
    if (now === 'used') continue;
    if (now === 'unused') await hooks.beforeRemoval?.(item.path);
    const removal = now === 'gone' ? 'gone' : await remove(item);
    if (removal === 'kept') continue;
    left -= item.bytes;
    // Another node removed it, since the scan or between the re-check and the removal: its bytes
    // are freed all the same, but not by this pass.
    if (removal === 'gone') continue;
    report.bytes += item.bytes;
    if (item.kind === 'entry') report.entries++;
    else report.modules++;
  }
  return report.entries + report.modules > 0 ? report : null;
}

/**
 * What became of `item` since the scan: 'unused' as it found it; 'used' when read since (a hit
 * touches its mtime: cache.ts, module-cache.ts) or replaced (another writer renamed a new one in:
 * another file, by device and inode, as cache.ts tells them apart); 'gone' when another node removed
 * it. The sort is by the scan's recency, which may be a pass old by the time an item's turn comes:
 * an item used meanwhile is no longer the least recently used, so it stays; one gone has freed its
 * bytes, so the pass counts them towards the bound (else nodes sharing the directory, each evicting
 * what the other already removed, would take it below both bounds: decision 2141's "each keep it to
 * their own bound"). What remains is the instant between this lstat and the removal, which a reader
 * survives anyway (see the head of this file): it costs a preparation, never a wrong module.
 */
async function stateSinceScan(item: Item): Promise<'unused' | 'used' | 'gone'> {
  let now: Stats;
  try {
    now = await lstat(item.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return 'used'; // Unreadable now: not ours to judge, so left alone.
  }
  return now.mtimeMs === item.usedMs && now.dev === item.dev && now.ino === item.ino ? 'unused' : 'used';
}

/** Removes an item the re-check found unused: an artifact entry by discard, a module-cache file by unlink. */
async function remove(item: Item): Promise<Removal> {
  if (item.kind === 'entry') return discard(item.path);
  try {
    await unlink(item.path);
    return 'removed';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'kept';
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** An artifact entry's bytes: the sizes of its files; null when it is not a directory. */
async function entryBytes(path: string, st: Stats): Promise<number | null> {
  if (!st.isDirectory()) return null;
  let bytes = 0;
  for (const file of await readdir(path)) bytes += (await lstat(join(path, file))).size;
  return bytes;
}

/**
 * The items of `dir` named by `pattern`, each sized by `sizeOf` (null: not an item of this kind,
 * left alone). One pass over the directory serves the artifact entries and the module-cache files.
 */
async function scanItems(
  dir: string,
  pattern: RegExp,
  kind: Item['kind'],
  sizeOf: (path: string, st: Stats) => Promise<number | null>,
): Promise<Item[]> {
  const out: Item[] = [];
  for (const name of await names(dir)) {
    if (!pattern.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      const bytes = await sizeOf(path, st);
      if (bytes !== null) out.push({ path, kind, bytes, usedMs: st.mtimeMs, dev: st.dev, ino: st.ino });
    } catch {
      // Gone while we looked (another node evicted or discarded it): not ours to count.
    }
  }
  return out;
}
