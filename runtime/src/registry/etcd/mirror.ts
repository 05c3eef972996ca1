/**
 * A local copy of one etcd key range, kept current by a watch. Reads are served from here, so they
 * cost no round trip and keep working (stale) while etcd is away.
 *
 * Consistency: the copy reflects etcd as of `revision` (a prefix of etcd's history: changes arrive
 * whole and in revision order). Own writes are applied at once from their responses (read-your-
 * writes on the writing node); a per-key guard stops the watch from rolling them back with an older
 * event. Any watch trouble (disconnect, cancellation, compaction, an etcd that came back with a lower
 * revision) triggers a full resync: page through the range at one revision, diff, watch from there.
 * That is O(range) per reconnect, which is cheap at registry sizes and leaves no missed-event corner.
 */
import type { IKeyValue, Watcher } from 'etcd3';
import type { EtcdConnection } from './connection.js';

export interface MirrorEntry {
  key: string;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  /** etcd lease id (decimal string), '0' when not bound to a lease. */
  lease: string;
}

export interface MirrorChange {
  key: string;
  /** New entry; undefined when the key was deleted. */
  entry: MirrorEntry | undefined;
  previous: MirrorEntry | undefined;
}

export type MirrorState = 'stopped' | 'syncing' | 'live';

const PAGE = 500;

function toEntry(kv: IKeyValue): MirrorEntry {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value,
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    lease: String(kv.lease ?? '0'),
  };
}

export class EtcdMirror {
  private readonly entries = new Map<string, MirrorEntry>();
  /** Keys changed by our own writes ahead of the watch: key → revision of that write. */
  private readonly localAhead = new Map<string, number>();
  private rev = 0;
  private watcher: Watcher | undefined;
  private resyncing: Promise<void> | undefined;
  private status: MirrorState = 'stopped';

  constructor(
    private readonly conn: EtcdConnection,
    private readonly range: { start: string; end: string },
    private readonly onChanges: (changes: MirrorChange[]) => void,
  ) {}

  /** etcd revision the copy reflects. */
  get revision(): number {
    return this.rev;
  }

  get state(): MirrorState {
    return this.status;
  }

  get(key: string): MirrorEntry | undefined {
    return this.entries.get(key);
  }

  *withPrefix(prefix: string): IterableIterator<MirrorEntry> {
    for (const [k, e] of this.entries) if (k.startsWith(prefix)) yield e;
  }

  /** Loads the range and starts watching; rejects (registry.unavailable) if etcd cannot be reached. */
  async start(): Promise<void> {
    this.status = 'syncing';
    try {
      await this.loadAndWatch();
    } catch (err) {
      this.status = 'stopped';
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.status = 'stopped';
    const w = this.watcher;
    this.watcher = undefined;
    await w?.cancel().catch(() => undefined);
  }

  /** Applies the effect of our own successful write at `revision` (entry undefined = deleted). */
  applyLocal(key: string, entry: MirrorEntry | undefined, revision: number): void {
    if (revision <= this.rev || (this.localAhead.get(key) ?? 0) >= revision) return;
    this.localAhead.set(key, revision);
    const change = this.set(key, entry);
    if (change) this.onChanges([change]);
  }

  private set(key: string, entry: MirrorEntry | undefined): MirrorChange | undefined {
    const previous = this.entries.get(key);
    if (entry) this.entries.set(key, entry);
    else if (previous) this.entries.delete(key);
    else return undefined;
    return { key, entry, previous };
  }

  private advance(revision: number): void {
    if (revision > this.rev) this.rev = revision;
    for (const [k, r] of this.localAhead) if (r <= this.rev) this.localAhead.delete(k);
  }

  /** Pages through the range at one revision. */
  private async loadRange(): Promise<{ revision: number; kvs: Map<string, MirrorEntry> }> {
    const kvs = new Map<string, MirrorEntry>();
    let revision: number | undefined;
    let start = this.range.start;
    for (;;) {
      let q = this.conn.client.getAll().inRange({ start, end: this.range.end }).sort('Key', 'Ascend').limit(PAGE);
      if (revision !== undefined) q = q.revision(revision);
      const res = await this.conn.call('load the registry', () => q.exec());
      revision ??= Number(res.header.revision);
      for (const kv of res.kvs) kvs.set(kv.key.toString('utf8'), toEntry(kv));
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) break;
      start = `${last.key.toString('utf8')}\0`;
    }
    return { revision, kvs };
  }

  private async loadAndWatch(): Promise<void> {
    const { revision, kvs } = await this.loadRange();
    const changes: MirrorChange[] = [];
    for (const [key, entry] of kvs) {
      if ((this.localAhead.get(key) ?? 0) > revision) continue;
      const cur = this.entries.get(key);
      if (cur !== undefined && entry.createRevision > cur.modRevision) {
        // Deleted and created again while the watch was away (created after the last version known
        // here: a create revision written locally may be a guess, the versions' order is not): told
        // as the watch would have told it, a delete then a put (one put would hide the delete from
        // listeners that act on deletes).
        const gone = this.set(key, undefined);
        if (gone) changes.push(gone);
        const made = this.set(key, entry);
        if (made) changes.push(made);
      } else if (!cur || cur.modRevision !== entry.modRevision) {
        const c = this.set(key, entry);
        if (c) changes.push(c);
      }
    }
    for (const key of [...this.entries.keys()]) {
      if (!kvs.has(key) && (this.localAhead.get(key) ?? 0) <= revision) {
        const c = this.set(key, undefined);
        if (c) changes.push(c);
      }
    }
    // A lower revision than ours means etcd came back with different data: take it as truth.
    this.rev = revision;
    this.advance(revision);
    if (changes.length > 0) this.onChanges(changes);
    await this.watchFrom(revision + 1);
  }

  private async watchFrom(revision: number): Promise<void> {
    const watcher = this.conn.client.watch().inRange(this.range).startRevision(String(revision)).watcher();
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(this.conn.failure('watch the registry', new Error('watch not established in time'))),
          this.conn.callTimeoutMs * 2,
        );
        watcher.once('connected', () => resolve());
        watcher.once('error', (err) => reject(this.conn.failure('watch the registry', err)));
      });
    } catch (err) {
      await watcher.cancel().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (this.status === 'stopped') {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.watcher = watcher;
    this.status = 'live';
    watcher.on('data', (res) => {
      if (this.watcher !== watcher) return;
      const changes: MirrorChange[] = [];
      for (const ev of res.events) {
        const key = ev.kv.key.toString('utf8');
        const at = Number(ev.kv.mod_revision);
        if ((this.localAhead.get(key) ?? 0) >= at) continue;
        const c = this.set(key, ev.type === 'Put' ? toEntry(ev.kv) : undefined);
        if (c) changes.push(c);
      }
      this.advance(Number(res.header.revision));
      if (changes.length > 0) this.onChanges(changes);
    });
    watcher.on('disconnected', () => this.resync(watcher));
    watcher.on('error', () => this.resync(watcher));
  }

  /** Drops the broken watch and reloads until etcd answers again. */
  private resync(broken: Watcher): void {
    if (this.watcher !== broken || this.resyncing) return;
    this.watcher = undefined;
    this.status = 'syncing';
    void broken.cancel().catch(() => undefined);
    this.resyncing = (async () => {
      let delay = 100;
      while (this.status === 'syncing') {
        try {
          await this.loadAndWatch();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 1000);
        }
      }
    })().finally(() => {
      this.resyncing = undefined;
    });
  }

  /** Resolves once the mirror is live again (or stopped); for tests and readiness probes. */
  async settled(): Promise<void> {
    while (this.resyncing) await this.resyncing;
  }
}
