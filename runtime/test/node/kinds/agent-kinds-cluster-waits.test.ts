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
import { AgentKinds, type AgentKindsOptions } from '../../../src/node/kinds/index.js';
import type { AgentRecord } from '../../../src/storage/records.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const record: AgentRecord = {
  name: 'counter',
  artifactDigest: 'd'.repeat(64),
  limits: { fuelPerMessage: 1, memoryPages: 1 },
  config: {},
  version: 1,
  createdAt: 1,
  updatedAt: 1,
  kind: { idleMs: 60_000 },
} as unknown as AgentRecord;

/** Keys `x…` hash to partition 1, every other to partition 0. */
const partitionOf = (name: string): number => (name.startsWith('counter/x') ? 1 : 0);

function cluster(cap: number | undefined) {
  const mail = new Map<string, string[]>();
  const dead: Array<{ id: string; reason: string }> = [];
  const told: Array<{ id: string; kind: string }> = [];
  let failNext = 0;
  const o = {
    local: { startInstance: async () => {} },
    host: { shardCount: 1, stop: async () => {}, prepare: async () => {}, stats: async () => ({ state: 'running' }) },
    messaging: {
      mailboxDepth: (n: string) => mail.get(n)?.length ?? 0,
      wake() {},
      idle: async () => {},
      replaced() {},
      breaker: () => undefined,
      forget: (n: string) => {
        const ds = mail.get(n) ?? [];
        mail.delete(n);
        return ds.map((id) => ({ id }));
      },
      agentId: (n: string) => n,
      deadLetter: async () => assert.fail('waiting mail is refused through refuseNewest, not a whole mailbox'),
      // The bus's `refuseNewest` (mailboxes.overflow, then the fenced dead-letter loop): the newest
      // past `keep` leave the mailbox, each written and its sender told; a letter that fails puts
      // it and the rest back.
      refuseNewest: async (n: string, keep: number, reason: string, kind: string) => {
        const box = mail.get(n) ?? [];
        const over = box.splice(keep);
        if (box.length === 0) mail.delete(n);
        for (let i = 0; i < over.length; i++) {
          if (failNext > 0) {
            failNext -= 1;
            mail.set(n, [...(mail.get(n) ?? []), ...over.slice(i)]);
            break;
          }
          dead.push({ id: over[i]!, reason });
          told.push({ id: over[i]!, kind });
        }
        return over.length;
      },
    },
    store: undefined,
    events: new Instrumentation(),
    held: () => false,
    untilRunnable: async () => {},
    onDropped: async () => {},
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
  const waitingOn = (p: number): number =>
    [...mail.entries()].filter(([name]) => partitionOf(name) === p && !k.isActive(name)).reduce((s, [, ds]) => s + ds.length, 0);
  return {
    k,
    mail,
    dead,
    told,
    arrive,
    waitingOn,
    failLetters: (n: number) => {
      failNext = n;
    },
  };
}

test('past the per-partition cap, only the deliveries that put it over are dead-lettered activation-limit, their senders told; mail that waited already keeps waiting; another partition counts on its own', async (t) => {
  const { k, dead, told, arrive, waitingOn } = cluster(16); // 2 per key
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy'); // the shard's one slot, its work in hand (its mail stays)
  await until('busy running', () => k.isRunnable('counter/busy'));
  for (const key of ['a', 'b', 'd', 'e', 'f', 'g', 'h', 'i']) arrive(`counter/${key}`, 2);
  assert.equal(waitingOn(0), 16, 'at the cap: all wait');
  assert.equal(dead.length, 0);
  arrive('counter/c', 1); // one more delivery than the cap
  await until('c refused', () => dead.length === 1);
  assert.equal(dead[0]!.id, 'counter/c#18');
  assert.match(dead[0]!.reason, /cannot be activated now.*16 deliveries of its partition \(2 per instance\).*retry after/);
  await until('its sender told', () => told.length === 1);
  assert.deepEqual(told, [{ id: 'counter/c#18', kind: 'activation-limit' }]);
  arrive('counter/x1', 2); // partition 1: its own count
  assert.equal(waitingOn(1), 2);
  arrive('counter/a', 1); // more mail for a waiting key: only the new delivery goes, a's earlier mail waits on
  await until('a#21 refused', () => dead.length === 2);
  assert.deepEqual(
    dead.map((d) => d.id),
    ['counter/c#18', 'counter/a#21'],
  );
  assert.equal(waitingOn(0), 16, "a's two earlier deliveries (other senders' mail) still wait");
  assert.equal(waitingOn(1), 2, 'x1 still waits');
  await until('each refused sender told once', () => told.length === 2);
  assert.deepEqual(
    told.map((x) => x.id),
    ['counter/c#18', 'counter/a#21'],
  );
});

test('one key holds at most its share of the cap: its deliveries past the share are refused, and a later key still fits', async (t) => {
  const { k, dead, arrive, waitingOn } = cluster(16); // 2 per key
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy');
  await until('busy running', () => k.isRunnable('counter/busy'));
  arrive('counter/a', 5); // 5 at once: the share is 2, the 3 newest go
  await until('a past its share refused', () => dead.length === 3);
  assert.deepEqual(
    dead.map((d) => d.id),
    ['counter/a#4', 'counter/a#5', 'counter/a#6'],
    'a#2 and a#3, the oldest, wait',
  );
  arrive('counter/a', 1);
  await until('a stays at its share', () => dead.length === 4);
  arrive('counter/b', 2); // a later key fits in what a left
  await sleep(20);
  assert.equal(dead.length, 4);
  assert.equal(waitingOn(0), 4);
});

test('a refused delivery whose letter cannot be written goes back into its mailbox, keeps waiting, and is refused at the next arrival', async (t) => {
  const { k, dead, told, arrive, waitingOn, failLetters } = cluster(2); // 1 per key
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy');
  await until('busy running', () => k.isRunnable('counter/busy'));
  arrive('counter/a', 1);
  failLetters(1);
  arrive('counter/a', 1); // past a's share: its letter fails, the delivery is put back
  await sleep(20);
  assert.equal(dead.length, 0, 'no letter written');
  assert.equal(told.length, 0, 'no sender told of a letter not written');
  assert.equal(waitingOn(0), 2, 'put back: not lost');
  arrive('counter/b', 1); // room: 2 - a's 2 = 0 for b
  await until('b refused', () => dead.length === 1);
  arrive('counter/a', 1); // a's next arrival refuses what does not fit: the one put back and the new one
  await until('a trimmed to its share', () => dead.length === 3);
  assert.deepEqual(
    dead.slice(1).map((d) => d.id),
    ['counter/a#3', 'counter/a#5'],
    'a#2, the oldest, keeps waiting',
  );
  assert.equal(waitingOn(0), 1);
  assert.equal(told.length, 3);
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
  const { k, mail, dead, arrive, waitingOn } = cluster(16); // 2 per key
  t.after(() => k.close());
  await k.adopt(record);
  arrive('counter/busy');
  await until('busy running', () => k.isRunnable('counter/busy'));
  arrive('counter/a', 2);
  for (const key of ['b', 'e', 'f', 'g', 'h', 'i', 'j']) arrive(`counter/${key}`, 2);
  mail.delete('counter/busy'); // handled: idle now, so the next key's mail evicts it
  arrive('counter/c', 1); // busy is evicted for it, but its wait would pass the cap: refused
  await until('c refused', () => dead.length === 1);
  await until('the freed slot taken by the first waiting key', () => k.isActive('counter/a'));
  assert.equal(k.isActive('counter/busy'), false);
  assert.equal(waitingOn(0), 14, 'a waits no more');
  arrive('counter/d', 2); // 14 + d 2 = 16: at the cap, admitted
  await sleep(20);
  assert.equal(dead.length, 1);
  assert.equal(waitingOn(0), 16);
});
