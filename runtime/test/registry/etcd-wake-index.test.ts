/**
 * The wake index of instance timers on a real etcd (decision 2060, *Wake index*): a partition's
 * walk reads only its wakes, soonest first; a wake goes with its fired, moved or cancelled timer
 * (and with its agent's or kind's timers); timers stored before the index are swept into it once,
 * and still wake their instance through the partition walk.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { wakesRoot, wakeIndexMarker } from '../../src/registry/etcd/keys.js';
import { partitionFor } from '../../src/bus/kafka/partitioner.js';
import { AgentKinds, type AgentKindsOptions } from '../../src/node/agent-kinds.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { startEtcd, type EtcdHandle } from './helpers/etcd.js';
import { eventually } from './helpers/tmp.js';

const PARTITIONS = 4;
const partitioning = { partitions: PARTITIONS, partitionOf: (a: string) => partitionFor(a, PARTITIONS) };

let etcd: EtcdHandle;
let n = 0;
const open: EtcdRegistry[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const r of open) await r.close().catch(() => undefined);
  await etcd.stop();
});

async function registry(prefix = `/wi${++n}/`): Promise<EtcdRegistry> {
  const r = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix });
  await r.open();
  open.push(r);
  return r;
}

async function walk(r: EtcdRegistry, partition: number, kind: string, pageSize: number): Promise<{ pages: number; entries: Array<{ name: string; dueAt: number }> }> {
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
  return Object.keys(await r.connection.client.getAll().prefix(wakesRoot(r.keys)).strings()).sort();
}

/** Instances of `kind` on `partition`: names picked by the real partitioner. */
function onPartition(kind: string, partition: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (partitioning.partitionOf(`${kind}/k${i}`) === partition) out.push(`${kind}/k${i}`);
  return out;
}

test('a partition\'s walk reads only its own wakes of the kind, soonest first, in pages', async () => {
  const r = await registry();
  assert.deepEqual(await r.indexWakes(partitioning), { swept: 0 });
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

test('a wake goes with its timer: moved, fired or cancelled, the agent\'s timers dropped, the kind stopped', async () => {
  const r = await registry();
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
  assert.deepEqual((await wakeKeys(r)).map((k) => k.slice(wakesRoot(r.keys).length).split('/')[1]), ['other'], 'only the other kind\'s wake is left');
  assert.deepEqual(await r.listTimers(a), []);
});

test('a dense partition: every wake read once, in due order, many at the same millisecond', async () => {
  const r = await registry();
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
  const sweeping = r.indexWakes(partitioning);
  assert.equal(r.wakesReady(), false, 'not complete before the sweep');
  assert.deepEqual(await sweeping, { swept: 2 });
  assert.equal(r.wakesReady(), true);
  assert.deepEqual(JSON.parse((await r.connection.client.get(wakeIndexMarker(r.keys)).string())!), { partitions: PARTITIONS });
  assert.deepEqual((await walk(r, 1, 'counter', 10)).entries, [{ name: here, dueAt: now + 50 }]);
  assert.deepEqual(await (await registry(prefix)).indexWakes(partitioning), { swept: 0 }, 'marked: the next node does not sweep');
  // Another partition count: the index is rebuilt for it.
  assert.deepEqual(await (await registry(prefix)).indexWakes({ partitions: 8, partitionOf: (a) => partitionFor(a, 8) }), { swept: 2 });
  assert.deepEqual(await (await registry(prefix)).indexWakes(partitioning), { swept: 2 });

  // The node's walk of partition 1 (assigned here) reads the index, not the kind's table.
  const residency: string[] = [];
  const read: string[] = [];
  let assigned = false; // at start no partition is here
  const o = {
    local: { startInstance: async () => {} },
    host: { shardCount: 1, stop: async () => {}, prepare: async () => {}, stats: async () => ({ state: 'running' }) },
    messaging: { mailboxDepth: () => 0, wake() {}, idle: async () => {}, replaced() {}, breaker: () => undefined, forget: () => [], agentId: (x: string) => x, deadLetter: async () => {} },
    store: undefined, events: new Instrumentation(), held: () => false, untilRunnable: async () => {}, onDropped: async () => {},
    timers: {
      nextDue: () => undefined,
      ofKind: (kind: string, size: number) => { read.push(`table ${kind}`); return r.kindTimersDue(kind, size); },
      ofPartition: (p: number, kind: string, size: number) => { read.push(`partition ${p} ${kind}`); return r.partitionWakesDue(p, kind, size); },
      indexed: () => r.wakesReady(),
    },
    placed: { isHere: (name: string) => assigned && partitioning.partitionOf(name) === 1, partitionsHere: () => (assigned ? [1] : []), prepare: async () => {} },
    onResidency: (name: string, change: string) => residency.push(`${change} ${name}`),
  };
  const k = new AgentKinds(o as unknown as AgentKindsOptions);
  t.after(() => k.close());
  await k.adopt({ name: 'counter', artifactDigest: 'd'.repeat(64), limits: { fuelPerMessage: 1, memoryPages: 1 }, config: {}, version: 1, createdAt: 1, updatedAt: 1, kind: { idleMs: 60_000 } } as unknown as AgentRecord);
  await k.startTimerWakes();
  assigned = true;
  assert.equal(await k.arrived((name) => partitioning.partitionOf(name) === 1, undefined, [1]), 1, 'only the instance on partition 1');
  assert.deepEqual(read, ['partition 1 counter']);
  await eventually(() => residency.includes(`activated ${here}`), 5_000, 'the wake to activate the old-layout instance');
  assert.deepEqual(residency, [`activated ${here}`]);
});
