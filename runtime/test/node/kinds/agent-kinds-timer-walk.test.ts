/**
 * The walk of the instance timer table when partitions are assigned to a node (decision 2060):
 * one walk at a time per node (requests during it folded into one next walk), never awaited by the
 * start, within `maxTimerKeysPerWalk` keys (past it, a warning naming the kind and what was not
 * walked), and a kind stopped during the walk gets no wake from it. AgentKinds' own logic driven
 * through its ports; the timer table is a paged generator the test gates (etcd's paging itself is
 * tested in registry/etcd-kind-timers.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Instrumentation, KIND_LIMITS } from '@caxton/core';
import { AgentKinds, type AgentKindsOptions } from '../../../src/node/kinds/index.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import type { AgentLifecycleEvent } from '../../../src/node/local-agents.js';

const record = (name: string): AgentRecord =>
  ({
    name,
    artifactDigest: 'd'.repeat(64),
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    version: 1,
    createdAt: 1,
    updatedAt: 1,
    kind: { idleMs: 60_000 },
  }) as unknown as AgentRecord;

/** A gate the test opens: each `ofKind` page after the first waits on it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

function kinds(
  ofKind: (kind: string, pageSize: number) => AsyncIterable<Array<{ name: string; dueAt: number }>>,
  extra: Partial<AgentKindsOptions> = {},
) {
  const events = new Instrumentation<AgentLifecycleEvent>();
  const warnings: Array<{ agent: string; message: string }> = [];
  events.on((e) => {
    if (e.type === 'agent-log' && e.level === 'warn') warnings.push({ agent: e.agent, message: e.message });
  });
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
    events,
    held: () => false,
    untilRunnable: async () => {},
    onDropped: async () => {},
    timers: { nextDue: () => undefined, ofKind, deleteKind: async () => {} },
    placed: { isHere: () => true, prepare: async () => {} },
    ...extra,
  };
  return { k: new AgentKinds(o as unknown as AgentKindsOptions), warnings };
}

const later = (): number => Date.now() + 600_000;

test('a kind stopped during the walk gets no wake from its later pages', async (t) => {
  const g = gate();
  async function* ofKind(kind: string) {
    yield [{ name: `${kind}/a`, dueAt: later() }];
    await g.opened; // the kind is stopped while the walk waits for its next page
    yield [{ name: `${kind}/b`, dueAt: later() }];
  }
  const { k } = kinds(ofKind);
  t.after(() => k.close());
  await k.adopt(record('counter'));
  const walk = k.arrived(() => true);
  await new Promise((r) => setTimeout(r, 10));
  await k.removed('counter');
  assert.equal(k.timerWakes, 0);
  g.open();
  await walk;
  assert.equal(k.timerWakes, 0, 'no wake of a stopped kind');
});

test('one walk at a time: assignments during a walk are folded into one next walk', async (t) => {
  const g = gate();
  const walks: string[][] = [];
  async function* ofKind(kind: string) {
    const seen: string[] = [];
    walks.push(seen);
    for (const key of ['a', 'b', 'c']) {
      seen.push(key);
      yield [{ name: `${kind}/${key}`, dueAt: later() }];
      if (walks.length === 1) await g.opened;
    }
  }
  const { k } = kinds(ofKind);
  t.after(() => k.close());
  await k.adopt(record('counter'));
  const first = k.arrived((n) => n === 'counter/a');
  await new Promise((r) => setTimeout(r, 5));
  const second = k.arrived((n) => n === 'counter/b');
  const third = k.arrived((n) => n === 'counter/c');
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(walks.length, 1, 'no second walk while the first runs');
  g.open();
  assert.equal(await first, 1);
  assert.equal(await second, 2, 'b and c in one next walk');
  assert.equal(await third, 2);
  assert.equal(walks.length, 2);
  assert.equal(k.timerWakes, 3);
});

test('a walk reads at most maxTimerKeysPerWalk keys: past it, a warning names the kind and what was not walked', async (t) => {
  const pages: string[] = [];
  async function* ofKind(kind: string) {
    for (let i = 0; i < 10; i++) {
      pages.push(`${kind}#${i}`);
      yield [{ name: `${kind}/k${i}`, dueAt: later() }];
    }
  }
  const { k, warnings } = kinds(ofKind, { maxTimerKeysPerWalk: 3 * KIND_LIMITS.timerPageSize });
  t.after(() => k.close());
  await k.adopt(record('alpha'));
  await k.adopt(record('beta'));
  assert.equal(await k.arrived(() => true), 3);
  assert.equal(k.timerWakes, 3);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.agent, 'alpha');
  assert.match(
    warnings[0]!.message,
    /stopped at 1500 registry keys.*kind alpha after alpha\/k2 and of kinds beta were not walked.*fire when mail reaches the instance or at the next assignment/,
  );
  assert.deepEqual(pages, ['alpha#0', 'alpha#1', 'alpha#2', 'alpha#3'], 'no page of beta read');
});

test('in a cluster the start does not wait for the walk of the timer table', async (t) => {
  const g = gate();
  let walked = 0;
  async function* ofKind(kind: string) {
    await g.opened;
    walked += 1;
    yield [{ name: `${kind}/a`, dueAt: later() }];
  }
  const { k } = kinds(ofKind);
  t.after(() => k.close());
  await k.adopt(record('counter'));
  await k.startTimerWakes(); // resolves with the walk held
  assert.equal(walked, 0);
  g.open();
  await k.arrived(() => false); // folded behind the start's walk: resolves after it
  assert.equal(walked, 2);
  assert.equal(k.timerWakes, 1);
});

test('a kind stopped during a walk of the wake index is left, and the walk goes on to the next kind on every partition', async (t) => {
  const g = gate();
  async function* ofPartition(partition: number, kind: string) {
    yield [{ name: `${kind}/a${partition}`, dueAt: later() }];
    if (kind === 'alpha') await g.opened; // alpha is stopped while its walk waits for a page
  }
  const { k } = kinds(async function* () {}, {
    timers: { nextDue: () => undefined, ofKind: async function* () {}, ofPartition, indexed: () => true, deleteKind: async () => {} },
    placed: { isHere: () => true, partitionsHere: () => [0, 1], prepare: async () => {} },
  } as unknown as Partial<AgentKindsOptions>);
  t.after(() => k.close());
  await k.adopt(record('alpha'));
  await k.adopt(record('beta'));
  const walk = k.arrived(() => true, undefined, [0, 1]);
  await new Promise((r) => setTimeout(r, 10));
  await k.removed('alpha');
  g.open();
  await walk;
  assert.equal(k.timerWakes, 2, 'beta/a0 and beta/a1 wake; alpha none');
});
