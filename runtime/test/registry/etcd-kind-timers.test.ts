/**
 * Timers of a kind's instances read page by page from a real etcd (decision 2060): the walk a node
 * makes when a partition is assigned to it, and the wakes AgentKinds adds from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import type { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { AgentKinds, type AgentKindsOptions } from '../../src/node/kinds/index.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { useEtcd } from './helpers/etcd-registries.js';
import { eventually } from './helpers/tmp.js';

const server = useEtcd();
let n = 0;

function registry(): Promise<EtcdRegistry> {
  return server.registry({ prefix: `/kt${++n}/` });
}

async function all(pages: AsyncIterable<Array<{ name: string; dueAt: number }>>): Promise<Array<Array<{ name: string; dueAt: number }>>> {
  const out = [];
  for await (const p of pages) out.push(p);
  return out;
}

test("kindTimersDue walks exactly the kind's instances, in pages, each once with its earliest due time", async () => {
  const r = await registry();
  for (let i = 0; i < 7; i++) {
    await r.putTimer({ agent: `counter/k${i}`, id: 'b', token: 'x', dueAt: 100 + i });
    await r.putTimer({ agent: `counter/k${i}`, id: 'a', token: 'x', dueAt: 200 + i }); // sorts first by key, due later
  }
  await r.putTimer({ agent: 'counter', id: 'named', token: 'y', dueAt: 1 }); // a named agent of the kind's name
  await r.putTimer({ agent: 'counterx/k0', id: 't', token: 'z', dueAt: 2 }); // a kind whose name it prefixes
  const pages = await all(r.kindTimersDue('counter', 3)); // 3 keys a page: an instance's two timers straddle pages
  assert.ok(pages.length >= 4, `read in pages (${pages.length})`);
  for (const p of pages) assert.ok(p.length <= 3, 'a page holds at most its size');
  const entries = pages.flat().sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(
    entries,
    Array.from({ length: 7 }, (_, i) => ({ name: `counter/k${i}`, dueAt: 100 + i })),
  );
  assert.deepEqual(await all(r.kindTimersDue('nothing', 3)), []);
});

test('a partition assigned here: passivated instances whose mail is on it wake for their timers, others do not', async (t) => {
  const r = await registry();
  const now = Date.now();
  await r.putTimer({ agent: 'counter/here', id: 't', token: 'x', dueAt: now + 50 });
  await r.putTimer({ agent: 'counter/there', id: 't', token: 'x', dueAt: now + 50 });
  const residency: string[] = [];
  let assigned = false; // the partition of counter/here: not (yet) this node's
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
    timers: { nextDue: () => undefined, ofKind: (kind: string, size: number) => r.kindTimersDue(kind, size) },
    placed: { isHere: (name: string) => assigned && name === 'counter/here', prepare: async () => {} },
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
  await k.startTimerWakes(); // at start no partition is here: nothing to wake
  // The start's walk runs without the start waiting for it, and it asks `isHere` as it reads: the
  // partition must arrive after it is over, or that walk finds counter/here itself (under load it
  // did, and the arrival below added nothing). An arrival queued behind it resolves once it is over.
  assert.equal(await k.arrived(() => false), 0);
  assert.equal(k.timerWakes, 0);
  assigned = true;
  assert.equal(
    await k.arrived((name) => name.endsWith('/here') || name.endsWith('/there')),
    1,
    'only the instance whose partition is here',
  );
  await eventually(() => residency.includes('activated counter/here'), 5_000, 'the wake to activate counter/here');
  assert.deepEqual(residency, ['activated counter/here']);
});
