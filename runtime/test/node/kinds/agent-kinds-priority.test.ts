/**
 * Priority classes of kinds' activations (decision 2187), driven through AgentKinds' ports: at the
 * node's bound of activation slots, a newcomer of a higher class preempts a lower class's instance
 * (idle before busy), on one node and in a cluster; an equal or lower class is refused (one node)
 * or waits (cluster) as before; a preempted instance's mail waits for a slot of its own, none lost;
 * freed slots go to the highest class waiting first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kinds, record, until } from './support/kinds-harness.js';

const HERE = { isHere: () => true, prepare: async () => {} };

test('one node at its bound: a high-class newcomer preempts the low-class instance; with none lower left, a newcomer is refused as before', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 2, now: () => ++t });
  k.add(record('batch', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('plain', { idleMs: 60_000 }));
  k.add(record('urgent', { idleMs: 60_000, priorityClass: 'high' }));
  for (const n of ['batch/a', 'plain/a']) {
    assert.equal(k.route(n), 'agent');
    mail.set(n, 1);
    k.noticeMail(n);
  }
  await until('both running', () => k.activeCount() === 2);
  assert.equal(k.route('batch/b'), 'activation-limit', 'a low newcomer preempts nothing: refused, as without classes');
  assert.equal(k.route('urgent/x'), 'agent', 'a high newcomer is accepted at the bound');
  mail.set('urgent/x', 1);
  k.noticeMail('urgent/x');
  mail.set('batch/a', 0); // its handling in hand ends: the preemption completes
  await until('urgent/x activated in batch/a slot', () => k.isActive('urgent/x') && !k.isActive('batch/a'));
  assert.equal(k.isActive('plain/a'), true, 'the normal instance keeps its slot');
  assert.equal(k.route('plain/b'), 'activation-limit', 'no instance of a lower class is left: a normal newcomer is refused');
  assert.equal(k.counts('batch')!.preempted, 1);
  assert.equal(k.counts('batch')!.priorityClass, 'low');
  assert.equal(k.counts('urgent')!.priorityClass, 'high');
  assert.equal(k.counts('plain')!.priorityClass, undefined, 'the default class with nothing preempted shows nothing');
  assert.equal(k.activeCount(), 2, 'the bound holds');
  k.close();
});

test('the preempted instance is the lowest class, idle before busy, then least recently used', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 3, now: () => ++t });
  k.add(record('low', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('mid', { idleMs: 60_000 }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high' }));
  for (const n of ['low/busy', 'low/idle', 'mid/idle']) {
    k.route(n);
    mail.set(n, 1);
    k.noticeMail(n);
  }
  await until('three running', () => k.activeCount() === 3);
  mail.set('low/idle', 0);
  mail.set('mid/idle', 0);
  assert.equal(k.route('top/1'), 'agent');
  mail.set('top/1', 1);
  k.noticeMail('top/1');
  await until('low/idle preempted, top/1 in', () => k.isActive('top/1') && !k.isActive('low/idle'));
  assert.equal(k.isActive('low/busy'), true, 'the busy low instance is not taken while an idle one is');
  assert.equal(k.isActive('mid/idle'), true, 'a normal instance is not taken while a low one is');
  // Next: the busy low one (the lowest class left) before the idle normal one.
  assert.equal(k.route('top/2'), 'agent');
  mail.set('top/2', 1);
  k.noticeMail('top/2');
  mail.set('low/busy', 0);
  await until('low/busy preempted, top/2 in', () => k.isActive('top/2') && !k.isActive('low/busy'));
  assert.equal(k.isActive('mid/idle'), true);
  assert.equal(k.counts('low')!.preempted, 2);
  k.close();
});

test("a busy preempted instance's mail is kept and it comes back once a slot frees", async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 1, now: () => t });
  k.add(record('low', { idleMs: 1_000, priorityClass: 'low' }));
  k.add(record('top', { idleMs: 1_000, priorityClass: 'high' }));
  k.route('low/a');
  mail.set('low/a', 3); // a backlog: one handling in hand, more behind it
  k.noticeMail('low/a');
  await until('low/a running', () => k.isActive('low/a'));
  assert.equal(k.route('top/x'), 'agent');
  mail.set('top/x', 1);
  k.noticeMail('top/x');
  await until('top/x in low/a slot', () => k.isActive('top/x') && !k.isActive('low/a'));
  // low/a left memory with mail in its mailbox: it waits for a slot (its deliveries are durable).
  assert.equal(k.route('low/a'), 'agent', 'it is waiting for a slot: more mail joins it');
  mail.set('top/x', 0);
  t = 5_000;
  k.passivateIdleNow(); // top/x idle past its period: its slot goes to the waiting low/a
  await until('low/a activated again', () => k.isActive('low/a'));
  assert.equal(k.isActive('top/x'), false);
  k.close();
});

test('a cluster at its bound: idle instances of a higher class are not evicted for a lower one; a higher one preempts', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 1, now: () => ++t, placed: HERE });
  k.add(record('low', { idleMs: 60_000, priorityClass: 'low' }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high' }));
  mail.set('top/a', 1);
  k.noticeMail('top/a');
  await until('top/a running', () => k.isActive('top/a'));
  mail.set('top/a', 0); // idle now
  mail.set('low/b', 1);
  k.noticeMail('low/b'); // mail consumed here for a low instance: the shard is full
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(k.isActive('top/a'), true, 'an idle high instance is not evicted for a low one');
  assert.equal(k.isActive('low/b'), false, 'the low instance waits, its mail kept');
  // A slot frees (top/a stops idling out): the waiting low instance takes it.
  t = 120_000;
  k.passivateIdleNow();
  await until('low/b activated', () => k.isActive('low/b'));
  // Now a high one arrives while low/b works: it preempts low/b.
  mail.set('top/c', 1);
  k.noticeMail('top/c');
  mail.set('low/b', 0);
  await until('top/c in low/b slot', () => k.isActive('top/c') && !k.isActive('low/b'));
  assert.equal(k.counts('low')!.preempted, 1);
  k.close();
});

test('freed slots go to the highest class waiting first', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 1, now: () => t, placed: HERE });
  k.add(record('low', { idleMs: 1_000, priorityClass: 'low' }));
  k.add(record('mid', { idleMs: 1_000 }));
  k.add(record('top', { idleMs: 60_000, priorityClass: 'high' }));
  mail.set('top/holder', 1);
  k.noticeMail('top/holder');
  await until('holder running', () => k.isActive('top/holder'));
  // Waiting in arrival order: low first, then normal; neither can take the high holder's slot.
  for (const n of ['low/w', 'mid/w']) {
    mail.set(n, 1);
    k.noticeMail(n);
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(k.activeCount(), 1);
  mail.set('top/holder', 0);
  t = 120_000;
  k.passivateIdleNow();
  await until('one of the waiting activated', () => k.isActive('mid/w') || k.isActive('low/w'));
  assert.equal(k.isActive('mid/w'), true, 'the normal one, though it came second');
  assert.equal(k.isActive('low/w'), false);
  k.close();
});
