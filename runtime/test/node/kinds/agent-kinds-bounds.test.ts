/**
 * The bounds of agent kinds under hostile interleavings (decision 1980, review of the kinds2 merge):
 * AgentKinds' own logic driven through its ports, with mailboxes and activations the test controls.
 * A capped kind at its cap with one of its instances waiting must not hang the node when another
 * kind's instance drops; a sender pinging instances being evicted must not pass the cap; a burst of
 * due timer wakes must neither leave the index's bound nor take every slot nor re-read the
 * registry back to back; a kind's stop deletes its passivated instances' timers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KIND_LIMITS } from '@caxton/core';
import type { DueEntry } from '../../../src/node/kinds/timer-wakes.js';
import { inFlight, kinds, record, until } from './support/kinds-harness.js';

test('a capped kind at its cap with an instance waiting does not hang a drop of another kind; the waiter is taken when its own kind frees a slot', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 10, now: () => t });
  k.add(record('capped', { idleMs: 60_000, maxActive: 1 }));
  k.add(record('other', { idleMs: 1_000 }));
  assert.equal(k.route('capped/a'), 'agent');
  k.noticeMail('capped/a');
  mail.set('capped/a', 1); // busy: not idle, so nothing can be evicted for b
  assert.equal(k.route('other/x'), 'agent');
  k.noticeMail('other/x');
  await until('both running', () => k.activeCount() === 2);
  k.noticeMail('capped/b'); // replayed mail for b: the kind is at its cap, none idle: b waits
  assert.equal(k.counts('capped')!.active, 1);
  t = 5_000;
  k.passivateIdleNow(); // other/x is idle: its drop walks the waiting instances (this hung before)
  await until('other/x passivated', () => k.counts('other')!.active === 0);
  assert.equal(k.isActive('capped/b'), false, 'still at its cap');
  mail.set('capped/a', 0);
  t = 70_000;
  k.passivateIdleNow(); // capped/a idle past its period: its slot of the kind goes to b
  await until("capped/b activated in a's place", () => k.isActive('capped/b'));
  assert.equal(k.counts('capped')!.active, 1);
  k.close();
});

test('the cap holds while a sender alternates new keys with mail for the instances being evicted', async () => {
  let t = 0;
  const { k, mail } = kinds({ maxActivePerShard: 1_000, now: () => ++t });
  k.add(record('c', { idleMs: 3_600_000, maxActive: 2 }));
  const tick = () => new Promise((r) => setTimeout(r, 1));
  for (const n of ['c/0', 'c/1']) {
    k.route(n);
    k.noticeMail(n);
  }
  await tick();
  let most = 0;
  for (let i = 2; i < 30; i++) {
    assert.equal(k.route(`c/${i}`), 'agent', 'an idle instance is evicted for the new key');
    mail.set(`c/${i}`, 1);
    k.noticeMail(`c/${i}`);
    most = Math.max(most, k.counts('c')!.active);
    for (let j = 0; j < i; j++) {
      if (k.isActive(`c/${j}`)) {
        k.route(`c/${j}`); // mail for an instance being evicted: it does not cancel the eviction
        mail.set(`c/${j}`, 1);
        k.noticeMail(`c/${j}`);
      }
      most = Math.max(most, k.counts('c')!.active);
    }
    await new Promise((r) => setTimeout(r, 8));
    // On a loaded machine 8 ms may not see an eviction or activation through: wait until none is
    // in flight (an instance waiting for a slot, `reserved`, is a settled state), so the next step
    // starts from what the test means, not from a half-done transition.
    await until('no activation or passivation in flight', () => {
      most = Math.max(most, k.counts('c')!.active);
      return inFlight(k, 'c') === 0;
    });
    for (const key of mail.keys()) mail.set(key, 0);
  }
  assert.ok(most <= 2, `at most the cap in memory at every step (saw ${most})`);
  assert.equal(k.counts('c')!.active, 2);
  k.close();
});

test('a burst of due timer wakes keeps to the index bound, leaves mail its headroom, and re-reads the registry at a bounded rate', async () => {
  const N = 20_000;
  let walks = 0;
  const due: DueEntry[] = Array.from({ length: N }, (_, i) => ({ name: `k/${i}`, dueAt: 1 }));
  const { k } = kinds({
    maxActivePerShard: 16,
    maxTimerWakes: 100,
    startInstance: () => new Promise<void>(() => {}), // activations never finish: the slots stay taken
    timers: {
      nextDue: () => undefined,
      pending: async (m) => {
        walks += 1;
        return due.filter((e) => m(e.name));
      },
    },
  });
  k.add(record('k', { idleMs: 60_000 }));
  k.add(record('mail', { idleMs: 60_000 }));
  await k.startTimerWakes();
  await new Promise((r) => setTimeout(r, 1_500));
  const headroom = Math.floor(16 * KIND_LIMITS.wakeHeadroom);
  assert.equal(k.activeCount(), 16 - headroom, 'wakes take the shard only up to its headroom');
  assert.ok(k.timerWakes <= 100, `the index keeps its bound (${k.timerWakes})`);
  assert.ok(walks <= 1 + Math.ceil(1_500 / KIND_LIMITS.minWakeRefillIntervalMs), `registry walks are spaced (${walks} in 1.5 s)`);
  assert.equal(k.route('mail/new'), 'agent', 'a new key of another kind still gets a slot');
  k.close();
});

test("stopping a kind deletes its passivated instances' timers and forgets their wakes", async () => {
  const deleted: string[] = [];
  const registry = new Map<string, number>([
    ['gone/a', 10_000_000_000_000],
    ['gone/b', 10_000_000_000_000],
    ['kept/a', 10_000_000_000_000],
  ]);
  const { k } = kinds({
    timers: {
      nextDue: () => undefined,
      pending: async (m) => [...registry].filter(([n]) => m(n)).map(([name, dueAt]) => ({ name, dueAt })),
      deleteWhere: async (m) => {
        for (const n of [...registry.keys()])
          if (m(n)) {
            registry.delete(n);
            deleted.push(n);
          }
      },
    },
  });
  k.add(record('gone', { idleMs: 60_000 }));
  k.add(record('kept', { idleMs: 60_000 }));
  await k.startTimerWakes();
  assert.equal(k.timerWakes, 3);
  await k.stop('gone', false);
  assert.deepEqual(deleted.sort(), ['gone/a', 'gone/b']);
  assert.equal(k.timerWakes, 1, "only the other kind's wake is left");
  k.close();
});

test('at the cap the least recently used idle instance is the one passivated early; one with mail is passed over', async () => {
  const { k, mail } = kinds({ maxActivePerShard: 100 });
  k.add(record('c', { idleMs: 60_000, maxActive: 3 }));
  for (const n of ['c/a', 'c/b', 'c/x']) {
    k.route(n);
    k.noticeMail(n);
  }
  await until('three running', () => k.activeCount() === 3);
  mail.set('c/b', 1); // b has mail: not idle
  assert.equal(k.isRunnable('c/a'), true); // a takes work: now the most recently used
  assert.equal(k.route('c/new'), 'agent');
  k.noticeMail('c/new');
  await until('x passivated for the new key', () => !k.isActive('c/x'));
  await until('the new key activated', () => k.isActive('c/new'));
  assert.ok(k.isActive('c/a') && k.isActive('c/b'));
  assert.equal(k.counts('c')!.evicted, 1);
  k.close();
});
