/**
 * AgentKinds in a cluster at the shard bound with every slot's instance busy (decision 2060): mail
 * for further keys waits for activation only up to the per-partition cap; past it, it is
 * dead-lettered `activation-limit` and its senders told, so the partition's window is never filled
 * by activation waits. AgentKinds' own logic driven through its ports, with placement and
 * mailboxes the test controls (as agent-kinds-cluster.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Instrumentation } from '@caxton/core';
import { AgentKinds, type AgentKindsOptions } from '../../src/node/agent-kinds.js';
import type { AgentRecord } from '../../src/storage/records.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const record: AgentRecord = ({ name: 'counter', artifactDigest: 'd'.repeat(64), limits: { fuelPerMessage: 1, memoryPages: 1 }, config: {}, version: 1, createdAt: 1, updatedAt: 1, kind: { idleMs: 60_000 } }) as unknown as AgentRecord;

/** Keys `x…` hash to partition 1, every other to partition 0. */
const partitionOf = (name: string): number => (name.startsWith('counter/x') ? 1 : 0);

function cluster(cap: number | undefined) {
  const mail = new Map<string, string[]>();
  const dead: Array<{ id: string; reason: string }> = [];
  const told: Array<{ id: string; kind: string }> = [];
  const o = {
    local: { startInstance: async () => {} },
    host: { shardCount: 1, stop: async () => {}, prepare: async () => {}, stats: async () => ({ state: 'running' }) },
    messaging: {
      mailboxDepth: (n: string) => mail.get(n)?.length ?? 0, wake() {}, idle: async () => {}, replaced() {}, breaker: () => undefined,
      forget: (n: string) => { const ds = mail.get(n) ?? []; mail.delete(n); return ds.map((id) => ({ id })); },
      agentId: (n: string) => n,
      deadLetter: async (x: { delivery: { id: string }; reason: string }) => { dead.push({ id: x.delivery.id, reason: x.reason }); },
      tell: async (d: { id: string }, _reason: string, kind: string) => { told.push({ id: d.id, kind }); },
    },
    store: undefined, events: new Instrumentation(),
    held: () => false, untilRunnable: async () => {}, onDropped: async () => {},
    placed: { isHere: () => true, prepare: async () => {}, partitionOf, ...(cap !== undefined ? { activationWaitCap: cap } : {}) },
    maxActivePerShard: 1,
  };
  const k = new AgentKinds(o as unknown as AgentKindsOptions);
  let n = 0;
  const arrive = (name: string, count = 1): void => {
    const box = mail.get(name) ?? [];
    for (let i = 0; i < count; i++) box.push(`${name}#${++n}`);
    mail.set(name, box);
    k.noticeMail(name);
  };
  const waitingOn = (p: number): number => [...mail.entries()].filter(([name]) => partitionOf(name) === p && !k.isActive(name)).reduce((s, [, ds]) => s + ds.length, 0);
  return { k, mail, dead, told, arrive, waitingOn };
}

test('past the per-partition cap, mail waiting for activation is dead-lettered activation-limit with its senders told; another partition counts on its own', async (t) => {
  const { k, dead, told, arrive, waitingOn } = cluster(3);
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy'); // the shard's one slot, its work in hand (its mail stays)
  await until('busy running', () => k.isRunnable('counter/busy'));
  arrive('counter/a', 2);
  arrive('counter/b', 1);
  assert.equal(waitingOn(0), 3, 'at the cap: both wait');
  assert.equal(dead.length, 0);
  arrive('counter/c', 1); // one more delivery than the cap
  await until('c refused', () => dead.length === 1);
  assert.equal(dead[0]!.id, 'counter/c#5');
  assert.match(dead[0]!.reason, /cannot be activated now.*3 deliveries of its partition.*retry after/);
  await until('its sender told', () => told.length === 1);
  assert.deepEqual(told, [{ id: 'counter/c#5', kind: 'activation-limit' }]);
  arrive('counter/x1', 3); // partition 1: its own count
  assert.equal(waitingOn(1), 3);
  arrive('counter/a', 1); // more mail for a waiting key: counted too, a's mail goes (3 deliveries)
  await until('a refused', () => dead.length === 4);
  assert.deepEqual(dead.slice(1).map((d) => d.id), ['counter/a#2', 'counter/a#3', 'counter/a#9']);
  assert.equal(waitingOn(0), 1, 'b still waits');
  assert.equal(waitingOn(1), 3, 'x1 still waits');
  assert.equal(told.length, 4);
  // A refused key that gets mail again waits again, within the cap.
  arrive('counter/c', 1);
  await sleep(20);
  assert.equal(dead.length, 4);
  assert.equal(waitingOn(0), 2);
});

test('without a cap (one node, or a cluster that sets none) mail waits for activation however much there is', async (t) => {
  const { k, dead, arrive, waitingOn } = cluster(undefined);
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy');
  await until('busy running', () => k.isRunnable('counter/busy'));
  for (let i = 0; i < 20; i++) arrive(`counter/k${i}`, 2);
  await sleep(20);
  assert.equal(waitingOn(0), 40);
  assert.deepEqual(dead, []);
});

test('a waiting key that gets a slot leaves the count: mail for another key fits in its place', async (t) => {
  const { k, mail, dead, arrive, waitingOn } = cluster(4);
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy');
  await until('busy running', () => k.isRunnable('counter/busy'));
  arrive('counter/a', 2);
  arrive('counter/b', 2);
  mail.delete('counter/busy'); // handled: idle now, so the next key's mail evicts it
  arrive('counter/c', 1); // busy is evicted for it, but its wait would pass the cap: refused
  await until('c refused', () => dead.length === 1);
  await until('the freed slot taken by the first waiting key', () => k.isActive('counter/a'));
  assert.equal(k.isActive('counter/busy'), false);
  assert.equal(waitingOn(0), 2, 'only b waits now');
  arrive('counter/d', 2); // b 2 + d 2 = 4: at the cap, admitted
  await sleep(20);
  assert.equal(dead.length, 1);
  assert.equal(waitingOn(0), 4);
});
