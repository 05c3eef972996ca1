/**
 * Durable agent timers in etcd, under `<prefix>store/timers/<agent>/<id>` (keys.ts). Outside the
 * mirrored range: only the node running the agent reads them, straight from etcd (on start or
 * takeover), so they are shared cluster state without flowing through every node's watch. Plain
 * puts, no lease: a timer must outlive the node that set it, so the next owner of the agent fires it.
 *
 * Once `indexWakes` gave the partitioning (a Kafka cluster), an instance timer also has a wake
 * under `store/wakes/p<count>/<partition>/<kind>/<due>/...`, written and removed in the same
 * transaction as the timer, so a node given a partition reads only that partition's wakes, in due
 * order, in windows that etcd's range count does not make quadratic (wake-window.ts; decision 2060,
 * 2026-11-24 *Wake index*). Each partition count has its own index: nothing a node of one count
 * reads is ever deleted by a node of another. The index is read only when the operator switched it
 * on for this count (`store/wake-index/enabled`): a node of an older version writes timers without
 * wakes, so until every node writes them the timer table is walked. A wake is a pointer, the timer
 * the truth: a wake whose timer went (a race of deleteAll with a put) is deleted by the first walk
 * that reads it once due (`dropOrphans`).
 */
import { Range } from 'etcd3';
import { KIND_LIMITS, REGISTRY_CAS_ATTEMPTS } from '@caxton/core';
import type { TimerRecord } from '../../storage/records.js';
import { byDueTime, validateTimerRecord } from '../records.js';
import type { EtcdConnection } from './connection.js';
import {
  kindOfInstance,
  kindWakesPrefix,
  MAX_WAKE_DUE,
  parseWakeKey,
  wakeDueBound,
  wakeIndexEnabledKey,
  wakeIndexMarker,
  wakeKey,
  type KeyLayout,
} from './keys.js';
import { afterRead, startWalk, windowEnd } from './wake-window.js';

/** How instances map to partitions, from the bus (the registry knows no Kafka). */
export interface WakePartitioning {
  partitions: number;
  partitionOf(agent: string): number;
}

type TxnOp = Parameters<ReturnType<EtcdConnection['client']['if']>['then']>[0];

/** etcd refuses a transaction of more than 128 operations by default (--max-txn-ops). */
const TXN_OPS = 100;

export class EtcdTimers {
  private partitioning: WakePartitioning | undefined;
  private indexComplete = false;

  constructor(
    private readonly connection: EtcdConnection,
    private readonly keys: KeyLayout,
  ) {}

  /**
   * From now on every instance timer written or removed here keeps its wake in the index of this
   * partition count. The index is read (`wakesReady`) only when the operator's switch names this
   * count (every node writes wakes: decision 2060, *Wake index*); then, unless its marker says it
   * is complete under this setting of the switch, the timer table is swept into it first (timers
   * stored before the index, or by an older node since) and the marker set. Otherwise readers walk the timer table itself (`kindDue`). Nothing is deleted:
   * concurrent sweepers of one count write the same wakes, and another count's index is another root.
   */
  async indexWakes(partitioning: WakePartitioning): Promise<{ enabled: boolean; swept: number }> {
    this.partitioning = partitioning;
    wakeIndexMarker(this.keys, partitioning.partitions); // a count the layout takes, before anything is written
    const client = this.connection.client;
    const read = await this.connection.call('read the wake index switch', () => client.get(wakeIndexEnabledKey(this.keys)).exec());
    const enabled = read.kvs[0];
    if (enabled === undefined || enabled.value.toString().trim() !== String(partitioning.partitions)) return { enabled: false, swept: 0 };
    // The marker names the switch's revision it was swept under: setting the switch again (a count
    // change, a re-upgrade after a rollback) makes an index marked before it count as unswept.
    const era = String(enabled.mod_revision);
    const marker = wakeIndexMarker(this.keys, partitioning.partitions);
    const stored = await this.connection.call('read the wake index marker', () => client.get(marker).string());
    if (stored === era) {
      this.indexComplete = true;
      return { enabled: true, swept: 0 };
    }
    const swept = await this.sweep(partitioning);
    await this.connection.call('mark the wake index complete', () => client.put(marker).value(era).exec());
    this.indexComplete = true;
    return { enabled: true, swept };
  }

  /** The index holds a wake for every instance timer (see indexWakes). */
  wakesReady(): boolean {
    return this.indexComplete;
  }

  async put(timer: TimerRecord): Promise<void> {
    const record = validateTimerRecord(timer, true); // instances of kinds too (decision 2060)
    const key = this.keys.timerKey(record.agent, record.id);
    const p = this.wakePartition(record.agent);
    if (p === undefined) {
      await this.connection.call('store a timer', () => this.connection.client.put(key).value(JSON.stringify(record)).exec());
      return;
    }
    const client = this.connection.client;
    const wake = wakeKey(this.keys, p.count, p.partition, record.agent, record.id, record.dueAt);
    await this.withWake(key, 'store a timer and its wake', (old) => {
      const ops: TxnOp[] = [client.put(key).value(JSON.stringify(record)), client.put(wake).value('')];
      if (old.timer !== undefined && old.timer.dueAt !== record.dueAt)
        ops.push(client.delete().key(wakeKey(this.keys, p.count, p.partition, record.agent, record.id, old.timer.dueAt)));
      return ops;
    });
  }

  /** Idempotent: deleting an absent key is not an error in etcd. */
  async delete(agent: string, id: string): Promise<void> {
    const key = this.keys.timerKey(agent, id);
    const p = this.wakePartition(agent);
    if (p === undefined) {
      await this.connection.call('delete a timer', () => this.connection.client.delete().key(key).exec());
      return;
    }
    const client = this.connection.client;
    await this.withWake(key, 'delete a timer and its wake', (old) => {
      if (old.mod === 0) return undefined;
      const ops: TxnOp[] = [client.delete().key(key)];
      if (old.timer !== undefined) ops.push(client.delete().key(wakeKey(this.keys, p.count, p.partition, agent, id, old.timer.dueAt)));
      return ops;
    });
  }

  /**
   * Change a timer and its wake key together: `opsFor` the timer as read (undefined: nothing to do),
   * committed only if the timer is unchanged since, read again and retried on a conflict.
   */
  private async withWake(
    key: string,
    what: string,
    opsFor: (old: { mod: number; timer: TimerRecord | undefined }) => TxnOp[] | undefined,
  ): Promise<void> {
    const client = this.connection.client;
    for (let attempt = 1; ; attempt++) {
      const old = await this.readTimer(key);
      const ops = opsFor(old);
      if (ops === undefined) return;
      const res = await this.connection.call(what, () =>
        client
          .if(key, 'Mod', '==', old.mod)
          .then(...ops)
          .commit(),
      );
      if (res.succeeded) return;
      if (attempt >= REGISTRY_CAS_ATTEMPTS.timerAndWake)
        throw this.connection.failure(what, new Error(`${attempt} concurrent-update conflicts on ${key}`));
    }
  }

  async deleteAll(agent: string): Promise<void> {
    const prefix = this.keys.timersPrefix(agent);
    const p = this.wakePartition(agent);
    if (p !== undefined) {
      // The agent's own timers (a handful): their wakes first, then the table's prefix with the last batch.
      const client = this.connection.client;
      const wakes = (await this.list(agent)).map((t) => wakeKey(this.keys, p.count, p.partition, agent, t.id, t.dueAt));
      for (let i = 0; i < wakes.length; i += TXN_OPS) {
        const batch = wakes.slice(i, i + TXN_OPS).map((w) => client.delete().key(w));
        await this.connection.call("delete an agent's wakes", () =>
          client
            .if(prefix, 'Version', '>', -1)
            .then(...batch)
            .commit(),
        );
      }
    }
    await this.connection.call("delete an agent's timers", () => this.connection.client.delete().prefix(prefix).exec());
  }

  /** Every instance timer of a kind (its stop): one prefix delete, whatever the number of keys, and one per partition for its wakes. */
  async deleteKind(kind: string): Promise<void> {
    const prefix = this.keys.kindTimersPrefix(kind);
    await this.connection.call("delete a kind's instance timers", () => this.connection.client.delete().prefix(prefix).exec());
    const partitioning = this.partitioning;
    if (partitioning === undefined) return;
    const client = this.connection.client;
    for (let p = 0; p < partitioning.partitions; p += TXN_OPS) {
      const batch: TxnOp[] = [];
      for (let q = p; q < Math.min(partitioning.partitions, p + TXN_OPS); q++)
        batch.push(client.delete().prefix(kindWakesPrefix(this.keys, partitioning.partitions, q, kind)));
      await this.connection.call("delete a kind's wakes", () =>
        client
          .if(prefix, 'Version', '>', -1)
          .then(...batch)
          .commit(),
      );
    }
  }

  /**
   * One partition's wakes of kind `kind`, soonest first (an instance with several timers appears
   * once per timer), in pages of at most `pageSize`, each read bounded by a due-time window so
   * etcd's count covers about a page (wake-window.ts). A key that is not a wake is skipped.
   */
  async *partitionDue(partition: number, kind: string, pageSize: number): AsyncGenerator<Array<{ name: string; dueAt: number }>> {
    const count = this.partitioning?.partitions;
    if (count === undefined) return; // no index taken: nothing is read (wakesReady is false)
    const prefix = kindWakesPrefix(this.keys, count, partition, kind);
    const rangeEnd = Range.prefix(prefix).end;
    let cursor: Buffer = Buffer.from(prefix);
    let walk = startWalk();
    for (;;) {
      const bound = windowEnd(walk.window, MAX_WAKE_DUE);
      const end = bound === undefined ? rangeEnd : Buffer.from(wakeDueBound(this.keys, count, partition, kind, bound));
      const from = cursor;
      const res = await this.connection.call("read a partition's wakes", () =>
        this.connection.client.getAll().inRange({ start: from, end }).limit(pageSize).exec(),
      );
      const read: Array<{ key: string; name: string; id: string; dueAt: number }> = [];
      let firstDue: number | undefined;
      let lastDue: number | undefined;
      for (const kv of res.kvs) {
        const key = kv.key.toString();
        const wake = parseWakeKey(this.keys, count, key);
        if (wake === undefined || wake.kind !== kind || wake.partition !== partition) continue;
        read.push({ key, name: wake.name, id: wake.id, dueAt: wake.dueAt });
        firstDue ??= wake.dueAt;
        lastDue = wake.dueAt;
      }
      const now = Date.now();
      const orphans = await this.dropOrphans(read.filter((w) => w.dueAt <= now));
      const page = read.filter((w) => !orphans.has(w.key)).map((w) => ({ name: w.name, dueAt: w.dueAt }));
      if (page.length > 0) yield page;
      const counted = Number(res.count);
      const next = afterRead(walk, { read: res.kvs.length, counted, firstDue, lastDue, pageSize }, MAX_WAKE_DUE);
      if (next === 'done') return;
      // Past the last key read when the range had more; else past the window just read.
      cursor = res.kvs.length > 0 && counted > res.kvs.length ? Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]) : end;
      walk = next;
    }
  }

  /**
   * Wakes already due whose timer is gone (deleted by a node of an older version, a `deleteAll`
   * racing a put, a crash between a kind's two deletes) would activate their instance for nothing
   * at every assignment of the partition, for ever: each is deleted here, in a transaction that
   * holds only while its timer is still absent (a timer put meanwhile keeps its wake). One read of
   * up to TXN_OPS timers a round trip; a wake whose timer exists is kept whatever its due time (a
   * timer moved by an older node has no other wake). Returns the keys of the wakes deleted.
   */
  private async dropOrphans(due: ReadonlyArray<{ key: string; name: string; id: string }>): Promise<Set<string>> {
    const dropped = new Set<string>();
    const client = this.connection.client;
    for (let i = 0; i < due.length; i += TXN_OPS) {
      const batch = due.slice(i, i + TXN_OPS).map((w) => ({ ...w, timer: this.keys.timerKey(w.name, w.id) }));
      const res = await this.connection.call('read the timers of due wakes', () =>
        client
          .if(batch[0]!.timer, 'Version', '>', -1)
          .then(...batch.map((w) => client.get(w.timer)))
          .commit(),
      );
      for (const [j, w] of batch.entries()) {
        if ((res.responses[j]?.response_range?.kvs.length ?? 1) > 0) continue;
        const del = await this.connection.call('delete a wake whose timer is gone', () =>
          client.if(w.timer, 'Version', '==', 0).then(client.delete().key(w.key)).commit(),
        );
        if (del.succeeded) dropped.add(w.key);
      }
    }
    return dropped;
  }

  /**
   * The earliest due time of every instance of kind `kind` with a pending timer (decision 2060: a
   * partition assigned to this node, its passivated instances' wakes), read in pages of `pageSize`
   * keys, so what is held in memory at once is one page whatever the number of instances. Keys sort
   * by instance (`<kind>%2F<key>/<id>`), so an instance's timers are contiguous and its earliest
   * due time is complete once a later instance's key is read. A value that does not parse as its
   * key's timer is skipped.
   */
  async *kindDue(kind: string, pageSize: number): AsyncGenerator<Array<{ name: string; dueAt: number }>> {
    const prefix = this.keys.kindTimersPrefix(kind);
    const end = Range.prefix(prefix).end;
    let start: Buffer = Buffer.from(prefix);
    let current: { name: string; dueAt: number } | undefined;
    for (;;) {
      const from = start;
      const page = await this.connection.call("read a kind's instance timers", () =>
        this.connection.client.getAll().inRange({ start: from, end }).limit(pageSize).exec(),
      );
      const done: Array<{ name: string; dueAt: number }> = [];
      for (const kv of page.kvs) {
        const timer = parseTimerEntry(kv.value.toString(), kv.key.toString(), (agent, id) => this.keys.timerKey(agent, id));
        if (timer === undefined || !timer.agent.startsWith(`${kind}/`)) continue;
        if (current !== undefined && current.name === timer.agent) {
          current.dueAt = Math.min(current.dueAt, timer.dueAt);
          continue;
        }
        if (current !== undefined) done.push(current);
        current = { name: timer.agent, dueAt: timer.dueAt };
      }
      if (done.length > 0) yield done;
      if (!page.more || page.kvs.length === 0) break;
      start = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]);
    }
    if (current !== undefined) yield [current];
  }

  /**
   * The timer table's instance timers given their wakes (the index started on a table kept before
   * it): page by page (the old, quadratic read, once per partition count), each wake written only
   * if its timer is still the one read, so a timer changed meanwhile (and its own wake) wins.
   */
  private async sweep(partitioning: WakePartitioning): Promise<number> {
    const root = `${this.keys.prefix}store/timers/`;
    const end = Range.prefix(root).end;
    const client = this.connection.client;
    let start: Buffer = Buffer.from(root);
    let swept = 0;
    for (;;) {
      const from = start;
      const page = await this.connection.call('sweep the timer table into the wake index', () =>
        client.getAll().inRange({ start: from, end }).limit(KIND_LIMITS.timerPageSize).exec(),
      );
      const writes: Array<{ key: string; mod: string; wake: string }> = [];
      for (const kv of page.kvs) {
        const key = kv.key.toString();
        const timer = parseTimerEntry(kv.value.toString(), key, (agent, id) => this.keys.timerKey(agent, id));
        if (timer === undefined || kindOfInstance(timer.agent) === undefined) continue;
        writes.push({
          key,
          mod: String(kv.mod_revision),
          wake: wakeKey(this.keys, partitioning.partitions, partitioning.partitionOf(timer.agent), timer.agent, timer.id, timer.dueAt),
        });
      }
      // A transaction per batch, each put guarded by its timer's compare; a batch one of whose
      // timers changed meanwhile is done again one timer at a time (that timer keeps its own wake).
      for (let i = 0; i < writes.length; i += TXN_OPS) {
        const batch = writes.slice(i, i + TXN_OPS);
        const guarded = batch
          .slice(1)
          .reduce((txn, w) => txn.and(w.key, 'Mod', '==', w.mod), client.if(batch[0]!.key, 'Mod', '==', batch[0]!.mod));
        const all = await this.connection.call('sweep timers into the wake index', () =>
          guarded.then(...batch.map((w) => client.put(w.wake).value(''))).commit(),
        );
        if (all.succeeded) {
          swept += batch.length;
          continue;
        }
        for (const w of batch) {
          const res = await this.connection.call('sweep a timer into the wake index', () =>
            client.if(w.key, 'Mod', '==', w.mod).then(client.put(w.wake).value('')).commit(),
          );
          if (res.succeeded) swept += 1;
        }
      }
      if (!page.more || page.kvs.length === 0) return swept;
      start = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]);
    }
  }

  /** Where an instance's wakes go: the index of this node's partition count, its mail's partition. */
  private wakePartition(agent: string): { count: number; partition: number } | undefined {
    const partitioning = this.partitioning;
    if (partitioning === undefined || kindOfInstance(agent) === undefined) return undefined;
    return { count: partitioning.partitions, partition: partitioning.partitionOf(agent) };
  }

  /** A timer's stored value and mod revision (0: absent; a value that does not parse: no old wake to remove). */
  private async readTimer(key: string): Promise<{ mod: number; timer: TimerRecord | undefined }> {
    const res = await this.connection.call('read a timer', () => this.connection.client.get(key).exec());
    const kv = res.kvs[0];
    if (kv === undefined) return { mod: 0, timer: undefined };
    return { mod: Number(kv.mod_revision), timer: parseTimerEntry(kv.value.toString(), key, (a, i) => this.keys.timerKey(a, i)) };
  }

  /** Soonest first (ties by id). A value that does not parse as this key's timer is skipped. */
  async list(agent: string): Promise<TimerRecord[]> {
    const prefix = this.keys.timersPrefix(agent);
    const stored = await this.connection.call("list an agent's timers", () => this.connection.client.getAll().prefix(prefix).strings());
    const timers: TimerRecord[] = [];
    for (const [key, value] of Object.entries(stored)) {
      const timer = parseTimer(value, agent, key.slice(prefix.length));
      if (timer) timers.push(timer);
    }
    return timers.sort(byDueTime);
  }
}

/** A value under the timer table whose content names the key it is stored under; undefined otherwise. */
function parseTimerEntry(value: string, key: string, keyOf: (agent: string, id: string) => string): TimerRecord | undefined {
  try {
    const timer = validateTimerRecord(JSON.parse(value) as TimerRecord, true);
    return keyOf(timer.agent, timer.id) === key ? timer : undefined;
  } catch {
    return undefined;
  }
}

/** A foreign or damaged value (or one whose content disagrees with its key) counts as absent. */
function parseTimer(value: string, agent: string, id: string): TimerRecord | undefined {
  try {
    const timer = validateTimerRecord(JSON.parse(value) as TimerRecord, true);
    return timer.agent === agent && timer.id === id ? timer : undefined;
  } catch {
    return undefined;
  }
}
