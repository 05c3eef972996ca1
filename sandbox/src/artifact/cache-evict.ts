/**
 * Keeps a prepare cache under its size bound (decision 2141): past it, the least recently used
 * entries (artifact directories and module-cache files) are removed until it fits. Recency is the
 * mtime, which a hit touches (cache.ts, module-cache.ts), so an entry in use stays.
 *
 * Nodes sharing the directory may evict what another is reading. An artifact entry is removed by
 * discard (renamed away in one step, then deleted): a reader sees it whole or finds it gone, which
 * cache.ts treats as a miss (it prepares again), and every byte it does get is still checked
 * against its manifest's sha256. A module-cache file is unlinked: a reader that opened it reads it
 * whole, one that comes later misses and instruments again. So an eviction costs a preparation,
 * never a crash or a wrong module.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { discard } from './cache-dir.js';

/** What one eviction pass did (reported to the node: the operator sees the cache working). */
export interface EvictionReport {
  /** Artifact entries and module-cache files removed. */
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

interface Item { path: string; kind: 'entry' | 'module'; bytes: number; usedMs: number }

/**
 * One pass: sizes every entry of `root` and of `root/modulesDir`, and removes the least recently
 * used until the total is within `maxBytes`, never one in `keep` (the entries written since the
 * passes began, concurrent writes included: a bound smaller than one entry must not make the cache
 * useless, nor remove an entry another load just wrote before anyone could use it). Temporaries and unknown names are left alone
 * (the stale sweep owns temporaries). Work is one lstat per file of the cache: it runs after a
 * write, off the load that triggered it. Null when nothing was removed.
 */
export async function evictPastBound(root: string, modulesDir: string, maxBytes: number, keep: ReadonlySet<string>): Promise<EvictionReport | null> {
  const items = [...(await entries(root)), ...(await modules(join(root, modulesDir)))];
  const totalBytes = items.reduce((sum, i) => sum + i.bytes, 0);
  if (totalBytes <= maxBytes) return null;
  items.sort((a, b) => a.usedMs - b.usedMs);
  const report: EvictionReport = { entries: 0, modules: 0, bytes: 0, totalBytes, maxBytes };
  let left = totalBytes;
  for (const item of items) {
    if (left <= maxBytes) break;
    if (keep.has(item.path)) continue;
    const removed = item.kind === 'entry' ? await discard(item.path) : await rm(item.path, { force: true }).then(() => true, () => false);
    if (!removed) continue;
    left -= item.bytes;
    report.bytes += item.bytes;
    if (item.kind === 'entry') report.entries++;
    else report.modules++;
  }
  return report.entries + report.modules > 0 ? report : null;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function entries(root: string): Promise<Item[]> {
  const out: Item[] = [];
  for (const name of await names(root)) {
    if (!ENTRY_NAME.test(name)) continue;
    const path = join(root, name);
    try {
      const st = await lstat(path);
      if (!st.isDirectory()) continue;
      let bytes = 0;
      for (const file of await readdir(path)) bytes += (await lstat(join(path, file))).size;
      out.push({ path, kind: 'entry', bytes, usedMs: st.mtimeMs });
    } catch {
      // Gone while we looked (another node evicted or discarded it): not ours to count.
    }
  }
  return out;
}

async function modules(dir: string): Promise<Item[]> {
  const out: Item[] = [];
  for (const name of await names(dir)) {
    if (!MODULE_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      if (st.isFile()) out.push({ path, kind: 'module', bytes: st.size, usedMs: st.mtimeMs });
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}
