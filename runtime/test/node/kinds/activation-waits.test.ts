/**
 * The cap on deliveries waiting for activations per partition (decision 2060): pure policy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KIND_LIMITS, activationWaitCap, activationWaitsPerKey } from '@caxton/core';
import { ActivationWaits } from '../../../src/node/kinds/activation-waits.js';

test("the cap is a quarter of the partition's window, at least 1, at most its ceiling", () => {
  assert.equal(activationWaitCap(256), 64);
  assert.equal(activationWaitCap(2), 1);
  assert.equal(activationWaitCap(7), 1);
  assert.equal(activationWaitCap(1_000_000), KIND_LIMITS.maxActivationWaitsPerPartition);
});

test('one key may hold an eighth of the cap, at least 1', () => {
  assert.equal(activationWaitsPerKey(64), 8);
  assert.equal(activationWaitsPerKey(3), 1);
});

test('without a partition index there is no bound (one node: sends past the bound are refused at routing)', () => {
  const w = new ActivationWaits();
  w.add('k/a');
  assert.equal(
    w.room('k/a', () => 1_000, 1, 1),
    undefined,
  );
});

test("a name's room is what the others on its partition leave of the cap, at most its per-key share; each name counted once", () => {
  const depth = new Map<string, number>([
    ['k/a', 2],
    ['k/b', 1],
    ['k/c', 1],
    ['k/x', 3],
  ]);
  const partition = (n: string): number => (n === 'k/x' ? 1 : 0);
  const w = new ActivationWaits();
  w.indexBy(partition);
  const d = (n: string): number => depth.get(n) ?? 0;
  w.add('k/a');
  assert.equal(w.room('k/a', d, 3, 3), 3);
  w.add('k/b');
  assert.equal(w.room('k/b', d, 3, 3), 1, 'a 2 of 3: b may have 1');
  w.add('k/c');
  assert.equal(w.room('k/c', d, 3, 3), 0, 'a 2 + b 1: nothing left for c');
  w.delete('k/c');
  w.add('k/x');
  assert.equal(w.room('k/x', d, 3, 3), 3, 'another partition counts on its own');
  assert.equal(w.room('k/x', d, 3, 2), 2, 'at most the per-key share');
  depth.set('k/a', 3);
  assert.equal(w.room('k/a', d, 3, 3), 2, 'a waiting name: its own mail is not counted among the others');
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

test('a name leaves the partition it was indexed under, whatever the partition function says later (the count grew, or it throws after a close)', () => {
  let partitions = 2;
  let closed = false;
  const w = new ActivationWaits();
  w.indexBy((n) => {
    if (closed) throw new Error('closed');
    return n.length % partitions;
  });
  w.add('k/ab'); // 4 % 2 = 0
  partitions = 3; // now 4 % 3 = 1
  w.delete('k/ab');
  assert.equal(w.on(0).size, 0, 'not left in its first partition for ever');
  w.add('k/abc');
  closed = true;
  assert.doesNotThrow(() => w.delete('k/abc'));
  assert.equal(w.size, 0);
});
