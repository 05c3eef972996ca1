/**
 * The shard's fuel-fair scheduling decisions (decision 2136): who is a debtor, when a debtor yields,
 * contenders over a window, and when it is forgotten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TRAFFIC_LIMITS, resolveTrafficLimits } from '@caxton/core';
import { fairnessIgnoredWarning, fairnessLimits, nodeFairness, ShardFairness } from '../../src/bus/shard-fairness.js';

const Q = 10_000_000;
const W = 1000;

test('cheap runs never make a debtor, however many; a run past the quantum does', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  for (let i = 0; i < 10_000; i++) f.charge(`a${i % 50}`, 5_000, 1, true, i % 500);
  assert.equal(f.hasDebtors(), false);
  f.charge('a0', Q, 1, true, 600);
  assert.equal(f.hasDebtors(), false, 'at the quantum: not a debtor');
  f.charge('heavy', Q + 1, 1, true, 700);
  assert.equal(f.isDebtor('heavy'), true);
  assert.equal(f.isDebtor('a0'), false);
});

test('a debtor yields while others contend and its share of the window fuel is above 1 / contenders; alone it never does', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.noteContenders(1);
  f.charge('heavy', 100_000_000, 1, true, 0);
  assert.equal(f.yields('heavy', 10), false, 'alone on the shard: full speed');
  f.noteContenders(3);
  assert.equal(f.yields('heavy', 20), true, 'three contenders, it spent all the fuel');
  assert.equal(f.yields('light', 20), false, 'not a debtor: never yields');
  // The others spend: once the heavy agent's share is at most a third, it runs again.
  f.charge('light', 150_000_000, 1, true, 30);
  assert.equal(f.yields('heavy', 40), true, '100 of 250 is still above a third');
  f.charge('light2', 50_000_000, 1, true, 50);
  assert.equal(f.yields('heavy', 60), false, '100 of 300 is its share');
});

test('contenders are the most seen over the window, not those of the last instant', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.charge('heavy', 100_000_000, 1, true, 0);
  f.noteContenders(40);
  f.noteContenders(1);
  assert.equal(f.contenders(), 40);
  f.charge('x', 1, 1, true, W + 10); // next bucket: the previous one's 40 still counts
  assert.equal(f.contenders(), 40);
  f.charge('x', 1, 1, true, 3 * W); // two buckets later: gone
  assert.equal(f.contenders(), 1);
});

test('a debtor drops out once its fuel has left the window; a forget drops it at once, a crash neither charges nor clears it', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.noteContenders(5);
  f.charge('heavy', 100_000_000, 1, true, 0);
  f.charge('x', 1, 1, true, W + 1);
  assert.equal(f.isDebtor('heavy'), true, 'its fuel is in the previous bucket');
  assert.equal(f.yields('heavy', W + 2), true);
  f.charge('x', 1, 1, true, 2 * W + 1);
  assert.equal(f.isDebtor('heavy'), false, 'a whole window without spending: forgotten');

  f.charge('heavy', 100_000_000, 1, false, 2 * W + 2);
  assert.equal(f.isDebtor('heavy'), false, 'a run that crashed is never charged as a debt');
  f.charge('heavy', 100_000_000, 1, true, 2 * W + 3);
  assert.equal(f.isDebtor('heavy'), true);
  f.charge('heavy', 3_000, 1, false, 2 * W + 4);
  assert.equal(f.isDebtor('heavy'), true, 'an occasional cheap trap does not wipe the debt');
  assert.equal(f.runsSingly('heavy'), true);
  f.forget('heavy');
  assert.equal(f.hasDebtors(), false);
  assert.equal(f.runsSingly('heavy'), false);
});

test('fuel is compared with the quantum per delivery: a busy agent at an ordinary cost a message is no debtor', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.charge('busy', 16 * 3_000_000, 16, true, 0);
  assert.equal(f.hasDebtors(), false, '16 deliveries of 3 M in one run');
  f.charge('heavy', 16 * 11_000_000, 16, true, 1);
  assert.equal(f.isDebtor('heavy'), true, '16 deliveries of 11 M');
});

test('a debtor whose bucket stayed within one quantum drops out, however many cheap runs it had', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.charge('heavy', 100_000_000, 1, true, 0);
  for (let i = 0; i < 9; i++) f.charge('heavy', 1_000_000, 1, true, W + 10 + i); // the next bucket: 9 M
  assert.equal(f.isDebtor('heavy'), true, 'its 100 M is still in the previous bucket');
  f.charge('heavy', 1_000_000, 1, true, 2 * W + 10); // the bucket of 9 M rolls out
  assert.equal(f.isDebtor('heavy'), false);
});

test('a forgiven debtor still runs one delivery at a time until a completed run under the quantum', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.charge('heavy', 100_000_000, 1, true, 0);
  f.charge('x', 1, 1, true, 3 * W); // a whole window without its spending: forgiven
  assert.equal(f.isDebtor('heavy'), false);
  assert.equal(f.runsSingly('heavy'), true, 'its next run is one delivery, not a burst');
  f.charge('heavy', 5_000, 1, false, 3 * W + 1);
  assert.equal(f.runsSingly('heavy'), true, 'a crash does not clear the mark');
  f.charge('heavy', 5_000, 1, true, 3 * W + 2);
  assert.equal(f.runsSingly('heavy'), false, 'a cheap completed run does');
  assert.equal(f.hasDebtors(), false);
});

test('the others are quiet once no run of a non-debtor completed for idleMs', () => {
  const f = new ShardFairness({ fairQuantumFuel: Q, fairWindowMs: W, fairIdleMs: 50 });
  f.charge('heavy', 100_000_000, 1, true, 0);
  f.charge('light', 5_000, 1, true, 100);
  assert.equal(f.othersQuietSince(120), false);
  f.charge('heavy', 100_000_000, 1, true, 140); // a debtor's run is not the others'
  assert.equal(f.othersQuietSince(149), false);
  assert.equal(f.othersQuietSince(150), true);
});

test('the previous bucket weighs what is left of it inside the window', () => {
  const f = new ShardFairness(fairnessLimits({ fairQuantumFuel: Q, fairWindowMs: W }));
  f.noteContenders(2);
  f.charge('heavy', 100_000_000, 1, true, 0);
  f.charge('light', 1, 1, true, W); // new bucket at W
  f.noteContenders(2);
  // At W + 900 only a tenth of heavy's 100 M counts, against others' 60 M: 10 / 70 < 1/2.
  f.charge('light', 60_000_000, 1, true, W + 500);
  assert.equal(f.yields('heavy', W + 100), true, '90 of 150: above a half');
  assert.equal(f.yields('heavy', W + 900), false, '10 of 70: below a half');
});

test("its limits are the node's traffic limits (decision 2140): defaults from the table, a node's own values kept, off with several shards", () => {
  assert.deepEqual(fairnessLimits(), {
    fairQuantumFuel: DEFAULT_TRAFFIC_LIMITS.fairQuantumFuel,
    fairWindowMs: DEFAULT_TRAFFIC_LIMITS.fairWindowMs,
    fairIdleMs: DEFAULT_TRAFFIC_LIMITS.fairIdleMs,
  });
  const traffic = resolveTrafficLimits({ fairQuantumFuel: 5_000_000, fairWindowMs: 2_000, fairIdleMs: 7 });
  assert.deepEqual(
    nodeFairness(traffic, 1),
    { fairQuantumFuel: 5_000_000, fairWindowMs: 2_000, fairIdleMs: 7 },
    "only the three rows, the node's values",
  );
  assert.equal(nodeFairness(traffic, 2), false, 'accounting per loop: off on a node of several shards');
  // The quantum the node gives is the one applied: 6 M per delivery is past a 5 M quantum.
  const f = new ShardFairness(nodeFairness(traffic, 1) as ReturnType<typeof fairnessLimits>);
  f.charge('a', 6_000_000, 1, true, 0);
  assert.equal(f.isDebtor('a'), true);
  assert.equal(f.idleMs, 7);
});

test('fairness limits set on a node of several shards are said to have no effect, naming each row and its serve flag; nothing said otherwise (decision 2140)', () => {
  const warning = fairnessIgnoredWarning({ fairIdleMs: 100, fairQuantumFuel: 20_000_000, breakerFailures: 3 }, 2);
  assert.ok(warning !== undefined);
  assert.match(warning, /traffic\.fairQuantumFuel \(serve --fair-quantum-fuel\), traffic\.fairIdleMs \(serve --fair-idle\) set/);
  assert.match(warning, /off on a node of 2 shards/);
  assert.doesNotMatch(warning, /fairWindowMs|breaker/, 'only the rows given, only fairness rows');
  assert.equal(fairnessIgnoredWarning({ fairIdleMs: 100 }, 1), undefined, 'one shard: they apply');
  assert.equal(fairnessIgnoredWarning({ breakerFailures: 3 }, 4), undefined, 'no fairness row set');
  assert.equal(fairnessIgnoredWarning(undefined, 4), undefined);
});
