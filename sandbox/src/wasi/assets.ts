/**
 * An agent's read-only assets at `/assets` (decision 2192): the files its component ships in its
 * `caxton:assets` section, decoded and checked when the node prepared it, the same for every
 * instance and version-bound (an upgrade brings its own). The /data file system's descriptors and
 * streams serve it (one resource type for jco's glue); this tree answers lookups from the assets
 * and refuses every change with `read-only`, a write-mode open included. Times are 0: the same
 * wherever and whenever the agent runs (a replay sees what the handling saw).
 */
import { ASSETS_ROOT, type AssetTree } from '@caxton/core';
import { AgentFileSystem, Descriptor, type FileSystemHost } from './filesystem.js';

type Lookup = ReturnType<AgentFileSystem['lookup']>;
type Children = ReturnType<AgentFileSystem['children']>;
type Stat = ReturnType<AgentFileSystem['stat']>;
type OpenAsset = ReturnType<AgentFileSystem['file']>;

/** Never read: every method that would reach the agent's state is overridden below. */
const NO_STATE = new Proxy({} as FileSystemHost['state'], {
  get() {
    throw new Error('the /assets tree has no state (a Caxton bug: report it)');
  },
});

export class AssetFileSystem extends AgentFileSystem {
  override readonly root = ASSETS_ROOT;
  override readonly readOnly = true;

  /**
   * `tree`: the artifact's, shared by its instances (never changed). `guard`: the /data tree,
   * whose lift guard verdict (an argument cut before it was read) this tree answers too: one
   * guard sees every filesystem call.
   */
  constructor(
    host: Pick<FileSystemHost, 'charge' | 'limits'>,
    private readonly tree: AssetTree,
    private readonly guard: AgentFileSystem,
  ) {
    super({ ...host, state: NO_STATE, nowMs: () => 0 });
  }

  override preopens(): [Descriptor, string][] {
    return [[new Descriptor(this, '', 'directory', { read: true }), ASSETS_ROOT]];
  }

  override checkGuard(): void {
    this.guard.checkGuard();
  }

  override lookup(path: string): Lookup {
    if (this.tree.listings.has(path)) return { type: 'directory', mtimeMs: 0 };
    return this.tree.files.has(path) ? { type: 'regular-file', value: undefined } : undefined;
  }

  override stat(path: string): Stat {
    const found = this.lookup(path);
    if (found === undefined) throw 'no-entry';
    const t = { seconds: 0n, nanoseconds: 0 };
    const size = BigInt(this.tree.files.get(path)?.byteLength ?? 0);
    return { type: found.type, linkCount: 1n, size, dataAccessTimestamp: t, dataModificationTimestamp: t, statusChangeTimestamp: t };
  }

  override file(path: string): OpenAsset {
    const bytes = this.tree.files.get(path);
    if (bytes === undefined) throw this.tree.listings.has(path) ? 'is-directory' : 'no-entry';
    // The shared bytes: every change is refused before it could touch them (writable()).
    return { path, bytes, size: bytes.byteLength, mtimeMs: 0, dirty: false, counted: 0 };
  }

  override children(path: string): Children {
    const listing = this.tree.listings.get(path) ?? [];
    this.charge(listing.length * 8);
    return listing.map((e) => ({ ...e }));
  }

  protected override writable(): void {
    throw 'read-only';
  }
}
