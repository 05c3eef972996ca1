/**
 * The bus's renewed tables (decision 2209): a Map and a Set copied into fresh ones now and then, so
 * their hash tables stay in V8's young generation. To their users they must be a Map and a Set:
 * checked against the built-ins as the model over runs long enough for many renewals, and while
 * being iterated (a renewal under an iteration would hide later changes from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RENEW_AFTER, RenewedMap, RenewedSet } from '../../src/collections/renewed-tables.js';

/** A small deterministic generator (xorshift32): long runs without a property-test library's shrinking cost. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

test('renewed map: agrees with a Map over many renewals (get, has, set, delete, size, order)', () => {
  for (const seed of [1, 7, 42]) {
    const next = random(seed);
    const map = new RenewedMap<string, number>();
    const model = new Map<string, number>();
    // Few keys and many changes, as on the bus: entries come and go, the size stays small.
    const keys = 1 + Math.floor(next() * 40);
    for (let i = 0; i < 12 * RENEW_AFTER; i++) {
      const key = `k${Math.floor(next() * keys)}`;
      if (next() < 0.55) {
        assert.equal(map.set(key, i), map);
        model.set(key, i);
      } else {
        assert.equal(map.delete(key), model.delete(key), `delete ${key} at ${i}`);
      }
      assert.equal(map.size, model.size);
      assert.equal(map.has(key), model.has(key));
      assert.equal(map.get(key), model.get(key));
      if (i % 997 === 0) assert.deepEqual([...map], [...model], `insertion order at ${i}`);
    }
    assert.deepEqual([...map], [...model]);
    assert.ok(map.renewals >= 5, `renewed ${map.renewals} times in ${12 * RENEW_AFTER} changes`);
  }
});

test('renewed set: agrees with a Set over many renewals (add, has, delete, size, order)', () => {
  for (const seed of [3, 11]) {
    const next = random(seed);
    const set = new RenewedSet<string>();
    const model = new Set<string>();
    for (let i = 0; i < 12 * RENEW_AFTER; i++) {
      const value = `a${Math.floor(next() * 30)}`;
      if (next() < 0.5) {
        assert.equal(set.add(value), set);
        model.add(value);
      } else {
        assert.equal(set.delete(value), model.delete(value));
      }
      assert.equal(set.size, model.size);
      assert.equal(set.has(value), model.has(value));
      if (i % 991 === 0) assert.deepEqual([...set], [...model], `insertion order at ${i}`);
    }
    assert.ok(set.renewals >= 5, `renewed ${set.renewals} times`);
  }
});

test('renewed set: an iteration sees what a Set iteration sees, with changes past a renewal made under it', () => {
  // The dispatch loop's pattern: walk the ready agents, take each one out (and others get added),
  // with enough changes during the walk that a renewal would be due in the middle of it.
  const set = new RenewedSet<string>();
  const model = new Set<string>();
  for (let i = 0; i < 50; i++) {
    set.add(`a${i}`);
    model.add(`a${i}`);
  }
  const walk = (s: Iterable<string> & { add(v: string): unknown; delete(v: string): boolean }): string[] => {
    const seen: string[] = [];
    let n = 0;
    for (const v of s) {
      seen.push(v);
      s.delete(v);
      // Churn on other values: more than a renewal's worth over the walk.
      for (let k = 0; k < 60; k++) {
        s.add(`t${n}`);
        s.delete(`t${n}`);
        n++;
      }
      if (seen.length < 80) s.add(`b${seen.length}`); // added while walking: visited later, as in a Set
      if (seen.length === 10) s.delete('a30'); // deleted before its turn: never visited
    }
    return seen;
  };
  const seen = walk(set);
  assert.deepEqual(seen, walk(model));
  assert.ok(!seen.includes('a30'));
  assert.ok(seen.includes('b79'));
  assert.equal(set.size, 0);
  // The renewal held back during the walk happens at the first change after it.
  const before = set.renewals;
  set.add('x');
  assert.equal(set.renewals, before + 1);
});

test('renewed map: a walk left early (break) lets renewals go on', () => {
  const map = new RenewedMap<string, number>();
  for (let i = 0; i < 10; i++) map.set(`k${i}`, i);
  for (const [key] of map) {
    if (key === 'k3') break;
  }
  const before = map.renewals;
  for (let i = 0; i < 3 * RENEW_AFTER; i++) {
    map.set('t', i);
    map.delete('t');
  }
  assert.ok(map.renewals > before, 'renewals resumed after the broken-off walk');
  assert.deepEqual(
    [...map].map(([k]) => k),
    Array.from({ length: 10 }, (_, i) => `k${i}`),
  );
});

test('renewed map: a large table is copied only after changes of twice its size (amortised)', () => {
  const map = new RenewedMap<number, number>();
  const n = 3 * RENEW_AFTER;
  for (let i = 0; i < n; i++) map.set(i, i); // n changes, n entries
  assert.equal(map.renewals, 0, 'no copy while the changes are fewer than twice the size');
  // After k deletes: n + k changes, n - k entries; due once n + k >= 2 (n - k), at k = n / 3.
  for (let k = 0; k < n / 3 - 1; k++) map.delete(k);
  assert.equal(map.renewals, 0);
  map.delete(n / 3 - 1);
  assert.equal(map.renewals, 1);
  assert.equal(map.size, n - n / 3);
  assert.equal(map.get(n - 1), n - 1);
});
