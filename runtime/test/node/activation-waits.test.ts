/**
 * The cap on deliveries waiting for activations per partition (decision 2060): pure policy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KIND_LIMITS, activationWaitCap } from '@caxton/core';
import { ActivationWaits } from '../../src/node/activation-waits.js';

test('the cap is a quarter of the partition\'s window, at least 1, at most its ceiling', () => {
  assert.equal(activationWaitCap(256), 64);
  assert.equal(activationWaitCap(2), 1);
  assert.equal(activationWaitCap(7), 1);
  assert.equal(activationWaitCap(1_000_000), KIND_LIMITS.maxActivationWaitsPerPartition);
});

test('without a partition index every wait is admitted (one node: sends past the bound are refused at routing)', () => {
  const w = new ActivationWaits();
  w.add('k/a');
  assert.equal(w.admits('k/a', () => 1_000, 1), true);
});

test('waits are counted per partition, in deliveries, each name once with its current depth', () => {
  const depth = new Map<string, number>([['k/a', 2], ['k/b', 1], ['k/c', 1], ['k/x', 3]]);
  const partition = (n: string): number => (n === 'k/x' ? 1 : 0);
  const w = new ActivationWaits();
  w.indexBy(partition);
  const d = (n: string): number => depth.get(n) ?? 0;
  w.add('k/a');
  assert.equal(w.admits('k/a', d, 3), true);
  w.add('k/b');
  assert.equal(w.admits('k/b', d, 3), true, 'a 2 + b 1 = 3, at the cap');
  w.add('k/c');
  assert.equal(w.admits('k/c', d, 3), false, 'a 2 + b 1 + c 1 = 4, past it');
  w.delete('k/c');
  w.add('k/x');
  assert.equal(w.admits('k/x', d, 3), true, 'another partition counts on its own');
  depth.set('k/a', 3);
  assert.equal(w.admits('k/a', d, 3), false, 'more mail for a waiting name is counted too');
  assert.deepEqual([...w.on(0)].sort(), ['k/a', 'k/b']);
  w.delete('k/a');
  w.delete('k/b');
  assert.equal(w.on(0).size, 0);
  assert.deepEqual([...w], ['k/x'], 'the set itself, in order');
});

test('names waiting before the index was given are indexed by it', () => {
  const w = new ActivationWaits();
  w.add('k/a');
  w.add('k/b');
  w.indexBy(() => 5);
  assert.deepEqual([...w.on(5)].sort(), ['k/a', 'k/b']);
  w.clear();
  assert.equal(w.on(5).size, 0);
});
