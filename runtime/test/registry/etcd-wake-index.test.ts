/**
 * The wake index of instance timers on a real etcd (decision 2060, *Wake index*): a partition's
 * walk reads only its wakes, soonest first; a wake goes with its fired, moved or cancelled timer
 * (and with its agent's or kind's timers); timers stored before the index are swept into it once,
 * and still wake their instance through the partition walk; the index is read only when the
 * operator's switch names the node's partition count, and a count change deletes nothing a node
 * of either count reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import type { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { wakesRoot, wakeIndexEnabledKey, wakeIndexMarker } from '../../src/registry/etcd/keys.js';
import { partitionFor } from '../../src/log/kafka/partitioner.js';
import { AgentKinds, type AgentKindsOptions } from '../../src/node/kinds/index.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { useEtcd } from './helpers/etcd-registries.js';
import { eventually } from './helpers/tmp.js';

const PARTITIONS = 4;
const partitioning = { partitions: PARTITIONS, partitionOf: (a: string) => partitionFor(a, PARTITIONS) };

const server = useEtcd();
let n = 0;

function registry(prefix = `/wi${++n}/`): Promise<EtcdRegistry> {
  return server.registry({ prefix });
}

/** The operator's switch: nodes of `count` partitions read the index (docs/cluster.md). */
async function enable(r: EtcdRegistry, count = PARTITIONS): Promise<void> {
  await r.connection.client.put(wakeIndexEnabledKey(r.keys)).value(String(count));
}

async function walk(
  r: EtcdRegistry,
  partition: number,
  kind: string,
  pageSize: number,
): Promise<{ pages: number; entries: Array<{ name: string; dueAt: number }> }> {
  let pages = 0;
  const entries = [];
  for await (const p of r.partitionWakesDue(partition, kind, pageSize)) {
    pages += 1;
    assert.ok(p.length <= pageSize, 'a page holds at most its size');
    entries.push(...p);
  }
  return { pages, entries };
}

async function wakeKeys(r: EtcdRegistry): Promise<string[]> {
  return Object.keys(await r.connection.client.getAll().prefix(wakesRoot(r.keys, PARTITIONS)).strings()).sort();
}

/** Instances of `kind` on `partition`: names picked by the real partitioner. */
function onPartition(kind: string, partition: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (partitioning.partitionOf(`${kind}/k${i}`) === partition) out.push(`${kind}/k${i}`);
  return out;
}

test("a partition's walk reads only its own wakes of the kind, soonest first, in pages", async () => {
  const r = await registry();
  await enable(r);
  assert.deepEqual(await r.indexWakes(partitioning), { enabled: true, swept: 0 });
  assert.equal(r.wakesReady(), true);
  const mine = onPartition('counter', 1, 6);
  const others = [...onPartition('counter', 0, 2), ...onPartition('counter', 3, 2)];
  const base = Date.now() + 3_600_000;
  for (const [i, name] of mine.entries()) await r.putTimer({ agent: name, id: 'a', token: 'x', dueAt: base + 1_000 * (6 - i) });
  await r.putTimer({ agent: mine[0]!, id: 'b', token: 'x', dueAt: base - 5 }); // its second timer, its earliest
  for (const name of others) await r.putTimer({ agent: name, id: 'a', token: 'x', dueAt: base });
  await r.putTimer({ agent: onPartition('other', 1, 1)[0]!, id: 'a', token: 'x', dueAt: base }); // another kind, same partition
  await r.putTimer({ agent: 'counter', id: 'named', token: 'x', dueAt: base }); // a named agent: no wake
  const { pages, entries } = await walk(r, 1, 'counter', 3);
  assert.ok(pages >= 3, `read in pages (${pages})`);
  assert.deepEqual(entries, [
    { name: mine[0]!, dueAt: base - 5 },
    ...mine.map((name, i) => ({ name, dueAt: base + 1_000 * (6 - i) })).reverse(),
  ]);
  assert.deepEqual((await walk(r, 2, 'counter', 3)).entries, []);
});

test("a wake goes with its timer: moved, fired or cancelled, the agent's timers dropped, the kind stopped", async () => {
  const r = await registry();
  await enable(r);
  await r.indexWakes(partitioning);
  const [a, b] = [onPartition('counter', 2, 1)[0]!, onPartition('counter', 0, 1)[0]!];
  await r.putTimer({ agent: a, id: 't1', token: 'x', dueAt: 1_000 });
  await r.putTimer({ agent: a, id: 't1', token: 'y', dueAt: 2_000 }); // moved: the wake at 1,000 goes
  assert.deepEqual((await walk(r, 2, 'counter', 10)).entries, [{ name: a, dueAt: 2_000 }]);
  await r.deleteTimer(a, 't1'); // fired or cancelled
  assert.deepEqual(await wakeKeys(r), []);
  await r.deleteTimer(a, 't1'); // again: nothing to do, no error
  await r.putTimer({ agent: a, id: 't1', token: 'x', dueAt: 3_000 });
  await r.putTimer({ agent: a, id: 't2', token: 'x', dueAt: 4_000 });
  await r.deleteTimers(a);
  assert.deepEqual(await wakeKeys(r), []);
  await r.putTimer({ agent: a, id: 't1', token: 'x', dueAt: 5_000 });
  await r.putTimer({ agent: b, id: 't1', token: 'x', dueAt: 5_000 });
  await r.putTimer({ agent: onPartition('other', 0, 1)[0]!, id: 't1', token: 'x', dueAt: 5_000 });
  await r.deleteKindTimers('counter');
  assert.deepEqual(
    (await wakeKeys(r)).map((k) => k.slice(wakesRoot(r.keys, PARTITIONS).length).split('/')[1]),
    ['other'],
    "only the other kind's wake is left",
  );
  assert.deepEqual(await r.listTimers(a), []);
});

test('a dense partition: every wake read once, in due order, many at the same millisecond', async () => {
  const r = await registry();
  await enable(r);
  await r.indexWakes(partitioning);
  const names = onPartition('dense', 3, 60);
  const ops = names.map((name, i) => r.putTimer({ agent: name, id: 't', token: 'x', dueAt: i < 40 ? 7_000 : 7_000 + i * 13 }));
  await Promise.all(ops);
  const { entries } = await walk(r, 3, 'dense', 7);
  assert.equal(entries.length, 60);
  assert.deepEqual(new Set(entries.map((e) => e.name)).size, 60, 'each once');
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1]!.dueAt <= entries[i]!.dueAt, 'soonest first');
});

test('timers stored before the index are swept into it once; they still wake their instance through the partition walk', async (t) => {
  const prefix = `/wi${++n}/`;
  const old = await registry(prefix); // a node of before the index: no partitioning, no wakes
  const here = onPartition('counter', 1, 1)[0]!;
  const there = onPartition('counter', 2, 1)[0]!;
  const now = Date.now();
  await old.putTimer({ agent: here, id: 't', token: 'x', dueAt: now + 50 });
  await old.putTimer({ agent: there, id: 't', token: 'x', dueAt: now + 50 });
  await old.putTimer({ agent: 'named', id: 't', token: 'x', dueAt: now + 50 });
  assert.deepEqual(await wakeKeys(old), []);

  const r = await registry(prefix);
  await enable(r);
  const sweeping = r.indexWakes(partitioning);
  assert.equal(r.wakesReady(), false, 'not complete before the sweep');
  assert.deepEqual(await sweeping, { enabled: true, swept: 2 });
  assert.equal(r.wakesReady(), true);
  assert.notEqual(await r.connection.client.get(wakeIndexMarker(r.keys, PARTITIONS)).string(), null);
  assert.deepEqual((await walk(r, 1, 'counter', 10)).entries, [{ name: here, dueAt: now + 50 }]);
  assert.deepEqual(
    await (await registry(prefix)).indexWakes(partitioning),
    { enabled: true, swept: 0 },
    'marked: the next node does not sweep',
  );
  // Another partition count: not read until the switch names it, then swept into its own root.
  const eight = { partitions: 8, partitionOf: (a: string) => partitionFor(a, 8) };
  const r8 = await registry(prefix);
  assert.deepEqual(await r8.indexWakes(eight), { enabled: false, swept: 0 });
  assert.equal(r8.wakesReady(), false, 'the switch names 4 partitions: a node of 8 walks the table');
  await enable(r8, 8);
  assert.deepEqual(await (await registry(prefix)).indexWakes(eight), { enabled: true, swept: 2 });
  assert.deepEqual((await walk(r, 1, 'counter', 10)).entries, [{ name: here, dueAt: now + 50 }], 'the index of 4 is untouched');

  // The node's walk of partition 1 (assigned here) reads the index, not the kind's table.
  const residency: string[] = [];
  const read: string[] = [];
  let assigned = false; // at start no partition is here
  const o = {
    local: { startInstance: async () => {} },
    host: { shardCount: 1, stop: async () => {}, prepare: async () => {}, stats: async () => ({ state: 'running' }) },
    messaging: {
      mailboxDepth: () => 0,
      wake() {},
      idle: async () => {},
      replaced() {},
      breaker: () => undefined,
      forget: () => [],
      agentId: (x: string) => x,
      deadLetter: async () => {},
    },
    store: undefined,
    events: new Instrumentation(),
    held: () => false,
    untilRunnable: async () => {},
    onDropped: async () => {},
    timers: {
      nextDue: () => undefined,
      ofKind: (kind: string, size: number) => {
        read.push(`table ${kind}`);
        return r.kindTimersDue(kind, size);
      },
      ofPartition: (p: number, kind: string, size: number) => {
        read.push(`partition ${p} ${kind}`);
        return r.partitionWakesDue(p, kind, size);
      },
      indexed: () => r.wakesReady(),
    },
    placed: {
      isHere: (name: string) => assigned && partitioning.partitionOf(name) === 1,
      partitionsHere: () => (assigned ? [1] : []),
      prepare: async () => {},
    },
    onResidency: (name: string, change: string) => residency.push(`${change} ${name}`),
  };
  const k = new AgentKinds(o as unknown as AgentKindsOptions);
  t.after(() => k.close());
  await k.adopt({
    name: 'counter',
    artifactDigest: 'd'.repeat(64),
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    version: 1,
    createdAt: 1,
    updatedAt: 1,
    kind: { idleMs: 60_000 },
  } as unknown as AgentRecord);
  await k.startTimerWakes();
  assigned = true;
  assert.equal(await k.arrived((name) => partitioning.partitionOf(name) === 1, undefined, [1]), 1, 'only the instance on partition 1');
  assert.deepEqual(read, ['partition 1 counter']);
  await eventually(() => residency.includes(`activated ${here}`), 5_000, 'the wake to activate the old-layout instance');
  assert.deepEqual(residency, [`activated ${here}`]);
});

test("a partition-count change deletes nothing a node reads: a second sweeper of the new count leaves the first one's complete index whole", async () => {
  const prefix = `/wi${++n}/`;
  const a = await registry(prefix);
  await enable(a, 4);
  await a.indexWakes(partitioning);
  const N = 400;
  const base = Date.now() + 3_600_000;
  for (let i = 0; i < N; i += 50)
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => a.putTimer({ agent: `counter/k${i + j}`, id: 't', token: 'x', dueAt: base + i + j })),
    );
  const eight = { partitions: 8, partitionOf: (x: string) => partitionFor(x, 8) };
  await enable(a, 8);
  const b1 = await registry(prefix);
  assert.deepEqual(await b1.indexWakes(eight), { enabled: true, swept: N });
  assert.equal(b1.wakesReady(), true);
  // A second node of 8 that read no marker (it started before b1 wrote it) sweeps after b1 is done.
  await b1.connection.client.delete().key(wakeIndexMarker(b1.keys, 8));
  const b2 = await registry(prefix);
  const sweeping = b2.indexWakes(eight);
  const seen = async (r: EtcdRegistry, count: number): Promise<number> => {
    let total = 0;
    for (let p = 0; p < count; p++) total += (await walk(r, p, 'counter', 100)).entries.length;
    return total;
  };
  assert.equal(await seen(b1, 8), N, 'b1 walks every timer while b2 sweeps');
  assert.deepEqual(await sweeping, { enabled: true, swept: N });
  assert.equal(await seen(b1, 8), N, 'and after');
  assert.equal(await seen(a, 4), N, 'the index of 4 partitions is whole too');
  // A node of the old count restarting during the change (it used to clear the one index to sweep its own).
  await enable(a, 4);
  assert.deepEqual(
    await (await registry(prefix)).indexWakes(partitioning),
    { enabled: true, swept: N },
    'the switch set again: swept anew',
  );
  assert.equal(await seen(b1, 8), N, 'the index of 8 is untouched by sweeps of 4');
});

test('with no switch (or another count) nodes write wakes but read the table; a timer written meanwhile by a node without the index is swept in when the switch is set, or set again', async () => {
  const prefix = `/wi${++n}/`;
  const r = await registry(prefix);
  assert.deepEqual(await r.indexWakes(partitioning), { enabled: false, swept: 0 });
  assert.equal(r.wakesReady(), false, 'the index is not read before the operator switches it on');
  const mine = onPartition('counter', 1, 2);
  await r.putTimer({ agent: mine[0]!, id: 't', token: 'x', dueAt: 9_000 });
  assert.equal((await wakeKeys(r)).length, 1, 'the wake is written anyway');
  const older = await registry(prefix); // a node of an older version: no wakes
  await older.putTimer({ agent: mine[1]!, id: 't', token: 'x', dueAt: 8_000 });
  await enable(r, 5);
  const other = await registry(prefix);
  assert.deepEqual(await other.indexWakes(partitioning), { enabled: false, swept: 0 }, 'the switch names another count');
  await enable(r);
  const next = await registry(prefix);
  assert.deepEqual(await next.indexWakes(partitioning), { enabled: true, swept: 2 });
  assert.equal(next.wakesReady(), true);
  assert.deepEqual((await walk(next, 1, 'counter', 10)).entries, [
    { name: mine[1]!, dueAt: 8_000 },
    { name: mine[0]!, dueAt: 9_000 },
  ]);
  // A rollback left the switch on: an older node wrote a timer without a wake. Setting the switch
  // again (after the re-upgrade) makes the marker of the earlier setting stale: swept anew.
  const third = onPartition('counter', 1, 3)[2]!;
  await older.putTimer({ agent: third, id: 't', token: 'x', dueAt: 7_000 });
  assert.deepEqual(await (await registry(prefix)).indexWakes(partitioning), { enabled: true, swept: 0 }, 'same setting: trusted');
  await enable(r);
  const again = await registry(prefix);
  assert.deepEqual(await again.indexWakes(partitioning), { enabled: true, swept: 3 });
  assert.deepEqual(
    (await walk(again, 1, 'counter', 10)).entries.map((e) => e.name),
    [third, mine[1]!, mine[0]!],
  );
});

test('a due wake whose timer is gone is deleted by the walk that reads it; a live one, or one not yet due, is kept', async () => {
  const r = await registry();
  await enable(r);
  await r.indexWakes(partitioning);
  const [gone, live, later] = onPartition('counter', 2, 3) as [string, string, string];
  const future = Date.now() + 3_600_000;
  await r.putTimer({ agent: gone, id: 't', token: 'x', dueAt: 1_000 });
  await r.putTimer({ agent: live, id: 't', token: 'x', dueAt: 2_000 });
  await r.putTimer({ agent: later, id: 't', token: 'x', dueAt: future });
  // Behind the index's back (a node of an older version deleting it): the timers go, their wakes stay.
  await r.connection.client.delete().key(r.keys.timerKey(gone, 't')).exec();
  await r.connection.client.delete().key(r.keys.timerKey(later, 't')).exec();
  assert.equal((await wakeKeys(r)).length, 3);
  assert.deepEqual((await walk(r, 2, 'counter', 10)).entries, [
    { name: live, dueAt: 2_000 },
    { name: later, dueAt: future },
  ]);
  assert.deepEqual(
    (await wakeKeys(r)).map((k) => k.split('/').at(-2)),
    [`counter%2F${live.split('/')[1]}`, `counter%2F${later.split('/')[1]}`],
    'the orphan due wake is gone; the one not yet due waits for its due time',
  );
});

test('the sweep writes wakes a batch a transaction; a batch one of whose timers moved meanwhile is redone one by one, and the moved timer keeps its own wake', async () => {
  const prefix = `/wi${++n}/`;
  const old = await registry(prefix); // no index: timers without wakes
  const names = onPartition('counter', 0, 150);
  await Promise.all(names.map((name, i) => old.putTimer({ agent: name, id: 't', token: 'x', dueAt: 10_000 + i })));
  const writer = await registry(prefix); // a node of this version, not switched on: it writes wakes
  await writer.indexWakes(partitioning);
  const r = await registry(prefix);
  await enable(r);
  // Interleaving forced: just before the sweep's first batch commits, a node moves one of its timers.
  const call = r.connection.call.bind(r.connection);
  let moved = false;
  (r.connection as { call: typeof call }).call = async (what, fn) => {
    if (what === 'sweep timers into the wake index' && !moved) {
      moved = true;
      await writer.putTimer({ agent: names[3]!, id: 't', token: 'y', dueAt: 99_000 });
    }
    return call(what, fn);
  };
  assert.deepEqual(await r.indexWakes(partitioning), { enabled: true, swept: 149 });
  const { entries } = await walk(r, 0, 'counter', 500);
  assert.equal(entries.length, 150, 'one wake a timer');
  assert.deepEqual(entries.at(-1), { name: names[3]!, dueAt: 99_000 }, "the moved timer's wake is at its new due time, not the old");
  assert.equal(entries.filter((e) => e.name === names[3]).length, 1);
});

test("a page of keys under a partition's kind that are not wakes does not end the walk: the wakes after them are read", async () => {
  const r = await registry();
  await enable(r);
  await r.indexWakes(partitioning);
  const names = onPartition('counter', 1, 3);
  for (const [i, name] of names.entries()) await r.putTimer({ agent: name, id: 't', token: 'x', dueAt: 5_000 + i });
  // Keys sorting before any due time (a hand-written or future layout's), more than a page of them.
  const prefix = `${wakesRoot(r.keys, PARTITIONS)}1/counter/`;
  for (let i = 0; i < 12; i++) await r.connection.client.put(`${prefix}!junk${String(i).padStart(2, '0')}`).value('');
  assert.deepEqual(
    (await walk(r, 1, 'counter', 5)).entries,
    names.map((name, i) => ({ name, dueAt: 5_000 + i })),
  );
});
