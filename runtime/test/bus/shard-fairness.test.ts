/**
 * The shard's fuel-fair scheduling decisions (decision 2136): who is a debtor, when a debtor yields,
 * contenders over a window, and when it is forgotten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardFairness } from '../../src/bus/shard-fairness.js';

const Q = 10_000_000;
const W = 1000;

test('cheap runs never make a debtor, however many; a run past the quantum does', () => {
  const f = new ShardFairness({ quantumFuel: Q, windowMs: W });
  for (let i = 0; i < 10_000; i++) f.charge(`a${i % 50}`, 5_000, true, i % 500);
  assert.equal(f.hasDebtors(), false);
  f.charge('a0', Q, true, 600);
  assert.equal(f.hasDebtors(), false, 'at the quantum: not a debtor');
  f.charge('heavy', Q + 1, true, 700);
  assert.equal(f.isDebtor('heavy'), true);
  assert.equal(f.isDebtor('a0'), false);
});

test('a debtor yields while others contend and its share of the window fuel is above 1 / contenders; alone it never does', () => {
  const f = new ShardFairness({ quantumFuel: Q, windowMs: W });
  f.noteContenders(1);
  f.charge('heavy', 100_000_000, true, 0);
  assert.equal(f.yields('heavy', 10), false, 'alone on the shard: full speed');
  f.noteContenders(3);
  assert.equal(f.yields('heavy', 20), true, 'three contenders, it spent all the fuel');
  assert.equal(f.yields('light', 20), false, 'not a debtor: never yields');
  // The others spend: once the heavy agent's share is at most a third, it runs again.
  f.charge('light', 150_000_000, true, 30);
  assert.equal(f.yields('heavy', 40), true, '100 of 250 is still above a third');
  f.charge('light2', 50_000_000, true, 50);
  assert.equal(f.yields('heavy', 60), false, '100 of 300 is its share');
});

test('contenders are the most seen over the window, not those of the last instant', () => {
  const f = new ShardFairness({ quantumFuel: Q, windowMs: W });
  f.charge('heavy', 100_000_000, true, 0);
  f.noteContenders(40);
  f.noteContenders(1);
  assert.equal(f.contenders(), 40);
  f.charge('x', 1, true, W + 10); // next bucket: the previous one's 40 still counts
  assert.equal(f.contenders(), 40);
  f.charge('x', 1, true, 3 * W); // two buckets later: gone
  assert.equal(f.contenders(), 1);
});

test('a debtor drops out once its fuel has left the window; a crash or a forget drops it at once', () => {
  const f = new ShardFairness({ quantumFuel: Q, windowMs: W });
  f.noteContenders(5);
  f.charge('heavy', 100_000_000, true, 0);
  f.charge('x', 1, true, W + 1);
  assert.equal(f.isDebtor('heavy'), true, 'its fuel is in the previous bucket');
  assert.equal(f.yields('heavy', W + 2), true);
  f.charge('x', 1, true, 2 * W + 1);
  assert.equal(f.isDebtor('heavy'), false, 'a whole window without spending: forgotten');

  f.charge('heavy', 100_000_000, true, 2 * W + 2);
  assert.equal(f.isDebtor('heavy'), true);
  f.charge('heavy', 3_000, false, 2 * W + 3);
  assert.equal(f.isDebtor('heavy'), false, 'a crash leaves it to its restart policy');
  f.charge('heavy', 100_000_000, false, 2 * W + 4);
  assert.equal(f.isDebtor('heavy'), false, 'a run that crashed is never charged as a debt');
  f.charge('heavy', 100_000_000, true, 2 * W + 5);
  f.forget('heavy');
  assert.equal(f.hasDebtors(), false);
});

test("the previous bucket weighs what is left of it inside the window", () => {
  const f = new ShardFairness({ quantumFuel: Q, windowMs: W });
  f.noteContenders(2);
  f.charge('heavy', 100_000_000, true, 0);
  f.charge('light', 1, true, W); // new bucket at W
  f.noteContenders(2);
  // At W + 900 only a tenth of heavy's 100 M counts, against others' 60 M: 10 / 70 < 1/2.
  f.charge('light', 60_000_000, true, W + 500);
  assert.equal(f.yields('heavy', W + 100), true, '90 of 150: above a half');
  assert.equal(f.yields('heavy', W + 900), false, '10 of 70: below a half');
});
