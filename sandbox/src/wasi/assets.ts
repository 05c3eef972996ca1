/**
 * An agent's read-only assets at `/assets` (decision 2192): the files its component ships in its
 * `caxton:assets` section, decoded and checked when the node prepared it, the same for every
 * instance and version-bound (an upgrade brings its own). The /data file system's descriptors and
 * streams serve it (one resource type for jco's glue); this tree answers lookups from the assets
 * and refuses every change with `read-only`, a write-mode open included. Times are 0: the same
 * wherever and whenever the agent runs (a replay sees what the handling saw).
 */
import { ASSETS_ROOT, splitAgentPath, type AssetFile } from '@caxton/core';
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
  private readonly fileBytes = new Map<string, Uint8Array>();
  private readonly listings = new Map<string, Children>([['', []]]);

  /**
   * `guard`: the /data tree, whose lift guard verdict (an argument cut before it was read) this
   * tree answers too: one guard sees every filesystem call.
   */
  constructor(
    host: Pick<FileSystemHost, 'charge' | 'limits'>,
    assets: readonly AssetFile[],
    private readonly guard: AgentFileSystem | undefined,
  ) {
    super({ ...host, state: NO_STATE, nowMs: () => 0 });
    for (const asset of assets) {
      this.fileBytes.set(asset.path, asset.bytes);
      let path = asset.path;
      let type: 'regular-file' | 'directory' = 'regular-file';
      // Each name into its parent's listing, up to the root; a directory once.
      for (;;) {
        const { parent, name } = splitAgentPath(path);
        const listing = this.listings.get(parent);
        const added = listing === undefined;
        if (added) this.listings.set(parent, [{ name, type }]);
        else if (!listing.some((e) => e.name === name)) listing.push({ name, type });
        if (parent === '' || !added) break;
        path = parent;
        type = 'directory';
      }
    }
    for (const listing of this.listings.values()) listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  override preopens(): [Descriptor, string][] {
    return [[new Descriptor(this, '', 'directory', { read: true }), ASSETS_ROOT]];
  }

  override checkGuard(): void {
    this.guard?.checkGuard();
  }

  override lookup(path: string): Lookup {
    if (this.listings.has(path)) return { type: 'directory', mtimeMs: 0 };
    return this.fileBytes.has(path) ? { type: 'regular-file', value: undefined } : undefined;
  }

  override stat(path: string): Stat {
    const found = this.lookup(path);
    if (found === undefined) throw 'no-entry';
    const t = { seconds: 0n, nanoseconds: 0 };
    const size = BigInt(this.fileBytes.get(path)?.byteLength ?? 0);
    return { type: found.type, linkCount: 1n, size, dataAccessTimestamp: t, dataModificationTimestamp: t, statusChangeTimestamp: t };
  }

  override file(path: string): OpenAsset {
    const bytes = this.fileBytes.get(path);
    if (bytes === undefined) throw this.listings.has(path) ? 'is-directory' : 'no-entry';
    // The shared bytes: every change is refused before it could touch them (writable()).
    return { path, bytes, size: bytes.byteLength, mtimeMs: 0, dirty: false, counted: 0 };
  }

  override children(path: string): Children {
    const listing = this.listings.get(path) ?? [];
    this.charge(listing.length * 8);
    return listing.map((e) => ({ ...e }));
  }

  protected override writable(): void {
    throw 'read-only';
  }
}
