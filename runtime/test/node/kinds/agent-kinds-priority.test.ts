/**
 * Priority classes of kinds' activations (decision 2187), driven through AgentKinds' ports: at the
 * node's bound of activation slots, a newcomer of a higher class takes the slot of an idle instance
 * of a lower class (the lowest first, then the least recently used), on one node and in a cluster;
 * a busy instance is never taken; a newcomer at its own kind's cap takes nothing; an equal or lower
 * class is refused (one node) or waits (cluster) as before; freed slots go to the highest class
 * waiting first; nothing is dead-lettered, and the bound holds at every step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentKinds } from '../../../src/node/kinds/index.js';
import { kinds, record, until } from './support/kinds-harness.js';

const HERE = { isHere: () => true, prepare: async () => {} };

/** Mail for `name` (`depth` deliveries) consumed here: it is activated, or waits. */
function arrive(k: AgentKinds, mail: Map<string, number>, name: string, depth = 1): void {
  mail.set(name, depth);
  k.noticeMail(name);
}

test('one node at its bound: a high newcomer takes the idle low instance; with no lower class idle, newcomers are refused as before', async () => {
  let t = 0;
  const { k, mail, deadLettered } = kinds({ maxActivePerShard: 2, now: () => ++t });
  k.add(record('batch', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('plain', { idleMs: 60_000 }));
  k.add(record('urgent', { idleMs: 60_000, priorityClass: 'high' }));
  for (const n of ['batch/a', 'plain/a']) {
    assert.equal(k.route(n), 'agent');
    arrive(k, mail, n);
  }
  await until('both running', () => k.isRunnable('batch/a') && k.isRunnable('plain/a'));
  mail.set('batch/a', 0);
  mail.set('plain/a', 0); // both idle now
  assert.equal(k.route('batch/b'), 'activation-limit', 'a low newcomer takes nothing: refused, as without classes');
  assert.equal(k.route('urgent/x'), 'agent', 'a high newcomer is accepted at the bound');
  arrive(k, mail, 'urgent/x');
  assert.ok(k.activeCount() <= 2);
  await until('urgent/x activated in batch/a slot', () => k.isActive('urgent/x') && !k.isActive('batch/a'));
  assert.equal(k.isActive('plain/a'), true, 'the normal instance keeps its slot');
  assert.equal(k.route('plain/b'), 'activation-limit', 'an idle instance of its own class gives no slot on one node');
  assert.equal(k.counts('batch')!.preempted, 1);
  assert.equal(k.counts('batch')!.priorityClass, 'low');
  assert.equal(k.counts('urgent')!.priorityClass, 'high');
  assert.equal(k.counts('plain')!.priorityClass, undefined, 'the default class with nothing preempted shows nothing');
  assert.equal(k.activeCount(), 2, 'the bound holds');
  assert.deepEqual(deadLettered, []);
  k.close();
});

test('the instance taken is idle, of the lowest class, least recently used; a busy one is never taken', async () => {
  let t = 0;
  const { k, mail, deadLettered } = kinds({ maxActivePerShard: 3, now: () => ++t });
  k.add(record('low', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('mid', { idleMs: 60_000 }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high' }));
  for (const n of ['low/busy', 'low/idle', 'mid/idle']) {
    k.route(n);
    arrive(k, mail, n);
  }
  await until('three running', () => ['low/busy', 'low/idle', 'mid/idle'].every((n) => k.isRunnable(n)));
  mail.set('low/idle', 0);
  mail.set('mid/idle', 0);
  assert.equal(k.route('top/1'), 'agent');
  arrive(k, mail, 'top/1');
  await until('low/idle taken, top/1 in', () => k.isActive('top/1') && !k.isActive('low/idle'));
  assert.equal(k.isActive('low/busy'), true, 'the busy low instance is not taken');
  assert.equal(k.isActive('mid/idle'), true, 'a normal instance is not taken while a low one is idle');
  // Next: the busy low instance is passed over for the idle normal one.
  assert.equal(k.route('top/2'), 'agent');
  arrive(k, mail, 'top/2');
  await until('mid/idle taken, top/2 in', () => k.isActive('top/2') && !k.isActive('mid/idle'));
  assert.equal(k.isActive('low/busy'), true);
  // Only high and busy low instances left: a third high newcomer is refused.
  assert.equal(k.route('top/3'), 'activation-limit');
  assert.equal(k.counts('low')!.preempted, 1);
  assert.equal(k.counts('mid')!.preempted, 1);
  assert.ok(k.activeCount() <= 3);
  assert.deepEqual(deadLettered, []);
  k.close();
});

test("a newcomer at its own kind's cap takes no other kind's slot", async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 2, now: () => ++t });
  k.add(record('low', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high', maxActive: 1 }));
  k.route('low/a');
  arrive(k, mail, 'low/a');
  k.route('top/a');
  arrive(k, mail, 'top/a'); // busy: its own cap has no idle instance to give
  await until('both running', () => k.isRunnable('low/a') && k.isRunnable('top/a'));
  mail.set('low/a', 0);
  assert.equal(k.route('top/b'), 'activation-limit', 'at its cap: refused, as without classes');
  assert.equal(k.isActive('low/a'), true, 'the low instance was not passivated for nothing');
  assert.equal(k.counts('low')!.preempted ?? 0, 0);
  k.close();
});

test('a cluster at its bound: an idle higher class is never evicted for lower mail; a higher newcomer takes an idle lower one, not a busy one', async () => {
  let t = 0;
  const { k, mail, deadLettered } = kinds({ maxActivePerShard: 1, now: () => ++t, placed: HERE });
  k.add(record('low', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high' }));
  arrive(k, mail, 'top/a');
  await until('top/a running', () => k.isRunnable('top/a'));
  mail.set('top/a', 0); // idle now
  arrive(k, mail, 'low/b'); // the shard is full: low/b waits, top/a stays
  assert.equal(k.isActive('top/a'), true, 'an idle high instance is not evicted for a low one');
  assert.equal(k.isActive('low/b'), false);
  t = 120_000;
  k.passivateIdleNow(); // top/a idles out: the waiting low/b takes its slot
  await until('low/b running', () => k.isRunnable('low/b'));
  arrive(k, mail, 'top/c'); // low/b is busy: top/c waits
  assert.equal(k.isActive('low/b'), true, 'a busy low instance is not taken');
  assert.equal(k.isActive('top/c'), false);
  mail.set('low/b', 0);
  arrive(k, mail, 'top/d'); // low/b idle now: the next high mail takes its slot
  await until('low/b passivated for a high instance', () => !k.isActive('low/b') && k.activeCount() === 1);
  assert.equal(k.counts('low')!.preempted, 1);
  assert.deepEqual(deadLettered, []);
  k.close();
});

test('freed slots go to the highest class waiting first', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 1, now: () => t, placed: HERE });
  k.add(record('low', { idleMs: 1_000, priorityClass: 'low' }));
  k.add(record('mid', { idleMs: 1_000 }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high' }));
  arrive(k, mail, 'top/holder'); // busy: nothing takes its slot
  await until('holder running', () => k.isRunnable('top/holder'));
  // Waiting in arrival order: low first, then normal.
  arrive(k, mail, 'low/w');
  arrive(k, mail, 'mid/w');
  assert.equal(k.activeCount(), 1);
  mail.set('top/holder', 0);
  t = 120_000;
  k.passivateIdleNow();
  await until('one of the waiting activated', () => k.isActive('mid/w') || k.isActive('low/w'));
  assert.equal(k.isActive('mid/w'), true, 'the normal one, though it came second');
  assert.equal(k.isActive('low/w'), false);
  k.close();
});
