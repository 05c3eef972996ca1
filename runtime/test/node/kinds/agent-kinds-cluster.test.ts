/**
 * AgentKinds in a cluster under the interleavings the review of decision 2060 found: a partition
 * revoked and given back while `leave` is still stopping instances; a kind deleted and deployed
 * again (through another node) while its stop here is under way; an instance whose partition's
 * tenure changed since it was activated. AgentKinds' own logic driven through its ports, with
 * placement, stops and mailboxes the test controls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Instrumentation } from '@caxton/core';
import { AgentKinds, type AgentKindsOptions } from '../../../src/node/kinds/index.js';
import type { AgentRecord } from '../../../src/storage/records.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  stopMs?: number;
  placed: NonNullable<AgentKindsOptions['placed']>;
  timers?: AgentKindsOptions['timers'];
  /** The sandboxes by name (one per name, as the real pool: a start under a name replaces it). */
  sandboxes?: Map<string, number>;
  /** Awaited inside each start before its sandbox exists (the n-th start gets the n-th call). */
  startGate?: (n: number) => Promise<void>;
}

function kinds(s: Setup & { maxActivePerShard?: number; now?: () => number }) {
  const mail = new Map<string, number>();
  let starts = 0;
  const residency: string[] = [];
  const dead: string[] = [];
  const o = {
    local: {
      startInstance: async (rec: { name: string }) => {
        const n = ++starts;
        await s.startGate?.(n);
        s.sandboxes?.set(rec.name, n);
      },
    },
    host: {
      shardCount: 1,
      stop: async (name: string) => {
        await sleep(s.stopMs ?? 0);
        s.sandboxes?.delete(name);
      },
      prepare: async () => {},
      stats: async () => ({ state: 'running' }),
    },
    messaging: {
      mailboxDepth: (n: string) => mail.get(n) ?? 0,
      wake() {},
      idle: async () => {},
      replaced() {},
      breaker: () => undefined,
      forget: (n: string) => {
        const d = mail.get(n) ?? 0;
        mail.delete(n);
        return new Array(d).fill({});
      },
      agentId: (n: string) => n,
      deadLetter: async (x: { reason: string }) => {
        dead.push(x.reason);
      },
    },
    store: undefined,
    events: new Instrumentation(),
    held: () => false,
    untilRunnable: async () => {},
    onDropped: async () => {},
    placed: s.placed,
    ...(s.timers !== undefined ? { timers: s.timers } : {}),
    ...(s.maxActivePerShard !== undefined ? { maxActivePerShard: s.maxActivePerShard } : {}),
    ...(s.now !== undefined ? { now: s.now } : {}),
    onResidency: (n: string, c: string) => residency.push(`${c} ${n}`),
  };
  return { k: new AgentKinds(o as unknown as AgentKindsOptions), mail, residency, dead };
}

const record = (updatedAt: number): AgentRecord =>
  ({
    name: 'counter',
    artifactDigest: 'd'.repeat(64),
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    version: 1,
    createdAt: updatedAt,
    updatedAt,
    kind: { idleMs: 60_000 },
  }) as unknown as AgentRecord;

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

test('leave drops every instance in memory when it began, even when their partition comes back while it is still stopping them', async (t) => {
  let here = true; // one partition, both keys on it
  const { k, residency } = kinds({ stopMs: 200, placed: { isHere: () => here, prepare: async () => {} } });
  t.after(() => k.close());
  await k.adopt(record(1));
  k.noticeMail('counter/a');
  k.noticeMail('counter/b');
  await until('both active', () => k.activeCount() === 2);
  here = false; // revoked
  const left = k.leave(() => !here); // a live predicate, the worst a caller can pass
  await sleep(50);
  here = true; // given back under a new tenure before the leave reached b
  assert.equal(k.isRunnable('counter/b'), false, 'an instance being left takes no work');
  assert.equal(await left, 2);
  assert.equal(k.activeCount(), 0, 'b, activated under the earlier tenure, is not kept');
  assert.deepEqual(residency.filter((r) => r.startsWith('dropped')).sort(), ['dropped counter/a', 'dropped counter/b']);
});

test("an instance whose partition comes back while leave is stopping it keeps the new tenure's mail and is activated afresh for it (review finding 1)", async (t) => {
  let here = true;
  const { k, mail } = kinds({ stopMs: 200, placed: { isHere: () => here, prepare: async () => {} } });
  t.after(() => k.close());
  await k.adopt(record(1));
  k.noticeMail('counter/a');
  k.noticeMail('counter/b');
  await until('both active', () => k.activeCount() === 2);
  here = false; // revoked
  const left = k.leave(() => true); // the revoked set: both keys
  await sleep(50);
  here = true; // given back under a new tenure (a rejoin) before the leave reached b
  mail.set('counter/b', 1); // the new tenure hands b's mail out again
  k.noticeMail('counter/b');
  assert.equal(k.isRunnable('counter/b'), false, 'the instance of the earlier tenure takes none of it');
  assert.equal(await left, 2);
  assert.equal(mail.get('counter/b'), 1, "the new tenure's mail is not forgotten");
  await until('b activated afresh for its mail', () => k.isRunnable('counter/b'));
});

test('an instance whose partition comes back while leave is stopping it gets its timer wake back (the walk skipped it in hand)', async (t) => {
  let here = true;
  let due = Number.POSITIVE_INFINITY; // b's pending timer in the registry
  const timers = {
    nextDue: () => undefined,
    async *ofKind() {
      yield Number.isFinite(due) ? [{ name: 'counter/b', dueAt: due }] : [];
    },
  };
  const { k } = kinds({ stopMs: 200, placed: { isHere: () => here, prepare: async () => {} }, timers });
  t.after(() => k.close());
  await k.adopt(record(1));
  await k.startTimerWakes();
  k.noticeMail('counter/b');
  await until('b active', () => k.isActive('counter/b'));
  here = false; // revoked
  const left = k.leave(() => true);
  await sleep(20);
  here = true; // given back (a rejoin); the arrival's walk finds b still in hand and skips it
  due = Date.now() + 400;
  await k.arrived(() => true);
  assert.equal(await left, 1);
  assert.equal(k.isActive('counter/b'), false, 'dropped: it held the earlier tenure');
  await until('b woken here for its timer', () => k.isActive('counter/b'), 5_000);
});

test('an instance dropped while its start is in flight ends before the next instance of its name starts, and does not stop it (review finding 2)', async (t) => {
  let here = true;
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const sandboxes = new Map<string, number>();
  const { k, mail } = kinds({
    stopMs: 5,
    placed: { isHere: () => here, prepare: async () => {} },
    sandboxes,
    startGate: (n) => (n === 1 ? firstHeld : Promise.resolve()),
  });
  t.after(() => k.close());
  await k.adopt(record(1));
  mail.set('counter/x', 1);
  k.noticeMail('counter/x'); // start 1, held before its sandbox exists
  await sleep(20);
  here = false; // revoked while it starts
  await k.leave(() => true);
  here = true; // given back: the new tenure's mail
  mail.set('counter/x', 1);
  k.noticeMail('counter/x'); // a new instance of the name: its start waits for start 1 to end
  await sleep(50);
  assert.equal(sandboxes.size, 0, 'no second start while the first is in flight');
  releaseFirst();
  await until('x runs on the new instance', () => k.isRunnable('counter/x'));
  await sleep(50);
  assert.equal(sandboxes.get('counter/x'), 2, "the new instance's sandbox runs: the dropped start did not stop or replace it");
});

test("a start that fails while leave is dropping its instance is the dropped instance's: the name's mail is not dead-lettered (review of the fix)", async (t) => {
  let here = true;
  let failSecond!: (err: Error) => void;
  const secondHeld = new Promise<void>((_, reject) => (failSecond = reject));
  const { k, mail, dead } = kinds({
    stopMs: 200,
    placed: { isHere: () => here, prepare: async () => {} },
    startGate: (n) => (n === 2 ? secondHeld : Promise.resolve()),
  });
  t.after(() => k.close());
  await k.adopt(record(1));
  k.noticeMail('counter/a');
  await until('a active', () => k.isActive('counter/a'));
  mail.set('counter/x', 1);
  k.noticeMail('counter/x'); // start 2, held
  await sleep(20);
  here = false;
  const left = k.leave(() => true); // marks a and x leaving, then stops a first (200 ms)
  await sleep(20);
  failSecond(new Error('init failed (test)')); // x's init fails while the leave is still stopping a
  await left;
  assert.deepEqual(dead, [], 'nothing dead-lettered for an instance being dropped');
});

test('a kind deleted and deployed again through another node stays known here once both changes are applied, and a new key activates', async (t) => {
  const { k, mail } = kinds({ stopMs: 300, placed: { isHere: () => true, prepare: async () => {} } });
  t.after(() => k.close());
  await k.adopt(record(1));
  k.noticeMail('counter/alice');
  await until('alice active', () => k.isActive('counter/alice'));
  const removed = k.removed('counter'); // the watch: deleted through another node
  await sleep(10);
  const adopted = k.adopt(record(2)); // the watch: deployed again through that node
  await Promise.all([removed, adopted]);
  assert.equal(k.isKind('counter'), true);
  assert.equal(k.record('counter')?.updatedAt, 2);
  mail.set('counter/bob', 1);
  k.noticeMail('counter/bob');
  await until('bob active on the new kind', () => k.isActive('counter/bob'));
});

test('a kind stopped through this node and deployed again through another meanwhile stays known here', async (t) => {
  const { k } = kinds({ stopMs: 300, placed: { isHere: () => true, prepare: async () => {} } });
  t.after(() => k.close());
  await k.adopt(record(1));
  k.noticeMail('counter/alice');
  await until('alice active', () => k.isActive('counter/alice'));
  const stopped = k.stop('counter', false, true);
  await sleep(10);
  const removed = k.removed('counter'); // the watch sees our own delete
  const adopted = k.adopt(record(2)); // then another node's deploy
  await Promise.all([stopped, removed, adopted]);
  assert.equal(k.isKind('counter'), true);
  assert.equal(k.record('counter')?.updatedAt, 2);
});

test('an instance activated under an earlier tenure of its partition runs nothing more; with mail and its partition here, it is activated again under the current one', async (t) => {
  let tenure: number | undefined = 1;
  const { k, mail, residency } = kinds({ placed: { isHere: () => tenure !== undefined, prepare: async () => {}, tenureOf: () => tenure } });
  t.after(() => k.close());
  await k.adopt(record(1));
  mail.set('counter/a', 1);
  k.noticeMail('counter/a');
  await until('a running', () => k.isRunnable('counter/a'));
  tenure = 2; // revoked and given back, and no leave reached it
  assert.equal(k.isRunnable('counter/a'), false);
  await until('a activated again', () => residency.length === 3);
  assert.deepEqual(residency, ['activated counter/a', 'dropped counter/a', 'activated counter/a']);
  assert.equal(k.isRunnable('counter/a'), true, 'under the current tenure it runs');
  assert.equal(mail.get('counter/a'), 1, 'its mail was kept: the partition is still consumed here');
});

test("at the shard bound, mail for a new key evicts the shard's least recently used idle instance instead of waiting (it would hold its partition's deliveries)", async (t) => {
  let now = 0;
  const { k, mail, residency } = kinds({ maxActivePerShard: 2, now: () => now, placed: { isHere: () => true, prepare: async () => {} } });
  t.after(() => k.close());
  await k.adopt(record(1));
  for (const key of ['a', 'b']) {
    now += 1;
    mail.set(`counter/${key}`, 1);
    k.noticeMail(`counter/${key}`);
    await until(`${key} running`, () => k.isRunnable(`counter/${key}`));
    mail.delete(`counter/${key}`); // handled: idle now
  }
  k.isRunnable('counter/a'); // a took work last: b is the least recently used
  now += 1;
  mail.set('counter/c', 1);
  k.noticeMail('counter/c');
  await until('c running', () => k.isRunnable('counter/c'));
  assert.equal(k.isActive('counter/b'), false, 'b, the least recently used idle one, made room');
  assert.equal(k.isActive('counter/a'), true);
  assert.ok(residency.includes('dropped counter/b'));
  // Every instance with work in hand: nothing to evict, the new key's mail waits for a slot.
  mail.set('counter/a', 1);
  mail.set('counter/d', 1);
  k.noticeMail('counter/d');
  await sleep(50);
  assert.equal(k.isActive('counter/d'), false);
  assert.equal(k.isActive('counter/a') && k.isActive('counter/c'), true);
});

test("mail that waited for its kind's record while its partition moved away neither activates it here nor stays: leave forgets it", async (t) => {
  let here = true;
  const { k, mail, residency, dead } = kinds({ placed: { isHere: () => here, prepare: async () => {} } });
  t.after(() => k.close());
  mail.set('counter/a', 1);
  mail.set('counter/b', 1);
  k.noticeMail('counter/a'); // mail before the kind's record: it waits for it
  k.noticeMail('counter/b');
  here = false; // the partition is revoked while they wait
  await k.leave((n) => n === 'counter/a'); // the revoked set holds a; b's retry finds it is not here
  await k.adopt(record(1)); // the record arrives
  await sleep(400); // past a retry of the wait for the record (250 ms)
  assert.equal(k.isActive('counter/a'), false);
  assert.equal(k.isActive('counter/b'), false);
  assert.deepEqual(residency, []);
  assert.equal(mail.has('counter/a'), false, "its mail is the next owner's: forgotten here, not dead-lettered");
  assert.deepEqual(dead, []);
});
