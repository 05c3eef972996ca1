/**
 * The wake index's key layout and its paging policy (decision 2060, *Wake index*), pure: keys sort
 * by partition, kind and due time; a key reads back to its instance; the window a walk reads
 * next holds about a page whatever the density, and a walk ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyLayout, kindWakesPrefix, parseWakeKey, wakeDueBound, wakeKey, MAX_WAKE_DUE } from '../../src/registry/etcd/keys.js';
import { firstWindow, isLastWindow, nextWindow, type WakeWindow } from '../../src/registry/etcd/wake-window.js';
import { RegistryError } from '../../src/registry/errors.js';

const keys = new KeyLayout('/caxton/c1/');

test('a wake key names partition, kind, zero-padded due time and the timer; it reads back', () => {
  const key = wakeKey(keys, 7, 'counter/alice', 't1', 1_700_000_000_123);
  assert.equal(key, '/caxton/c1/store/wakes/7/counter/0001700000000123/counter%2Falice/t1');
  assert.deepEqual(parseWakeKey(keys, key), { partition: 7, kind: 'counter', name: 'counter/alice', id: 't1', dueAt: 1_700_000_000_123 });
  assert.ok(key.startsWith(kindWakesPrefix(keys, 7, 'counter')));
  assert.ok(key < wakeDueBound(keys, 7, 'counter', 1_700_000_000_124) && key > wakeDueBound(keys, 7, 'counter', 1_700_000_000_123));
  assert.deepEqual(parseWakeKey(keys, wakeKey(keys, 0, 'k/a%b', 'x', MAX_WAKE_DUE))?.name, 'k/a%b');
});

test('wake keys sort by due time within a partition\'s kind, and partitions and kinds do not mix', () => {
  const dues = [5, 1_000, 99, 1_700_000_000_000, 0, 42];
  const sorted = dues.map((d) => wakeKey(keys, 3, 'counter/z', 't', d)).sort();
  assert.deepEqual(sorted.map((k) => parseWakeKey(keys, k)!.dueAt), [...dues].sort((a, b) => a - b));
  assert.ok(!wakeKey(keys, 31, 'counter/a', 't', 1).startsWith(kindWakesPrefix(keys, 3, 'counter')), 'partition 31 is not under 3');
  assert.ok(!wakeKey(keys, 3, 'counterx/a', 't', 1).startsWith(kindWakesPrefix(keys, 3, 'counter')), 'kind counterx is not under counter');
});

test('a named agent, a bad id, a negative or fractional due time or partition is refused typed; a foreign key does not parse', () => {
  assert.throws(() => wakeKey(keys, 0, 'echo', 't', 1), RegistryError);
  assert.throws(() => wakeKey(keys, 0, 'counter/a', 'x/y', 1), RegistryError);
  assert.throws(() => wakeKey(keys, 0, 'counter/a', 't', -1), RegistryError);
  assert.throws(() => wakeKey(keys, 0, 'counter/a', 't', 1.5), RegistryError);
  assert.throws(() => wakeKey(keys, -1, 'counter/a', 't', 1), RegistryError);
  for (const k of ['/caxton/c1/store/wakes/1/counter/12/counter%2Fa/t', '/caxton/c1/store/wakes/1/counter/0000000000000012/other%2Fa/t', '/caxton/c1/store/timers/counter%2Fa/t', '/caxton/c1/store/wakes/x/counter/0000000000000012/counter%2Fa/t']) {
    assert.equal(parseWakeKey(keys, k), undefined, k);
  }
});

test('the next window: a full page narrows it to about a page at the last due time read; a sparse one widens it', () => {
  const w: WakeWindow = { from: 1_000, span: 10_000 };
  // 500 read of 5,000 in the window: continue at the last due read, a tenth as wide.
  assert.deepEqual(nextWindow(w, { read: 500, counted: 5_000, lastDue: 1_900, pageSize: 500 }), { from: 1_900, span: 1_000 });
  // All of a dense window's keys at one due time: the span never goes below 1 ms.
  assert.deepEqual(nextWindow({ from: 5, span: 1 }, { read: 500, counted: 100_000, lastDue: 5, pageSize: 500 }), { from: 5, span: 1 });
  // The window read to its end: on to the next, twice as wide when under half a page, as wide otherwise.
  assert.deepEqual(nextWindow(w, { read: 10, counted: 10, lastDue: undefined, pageSize: 500 }), { from: 11_000, span: 20_000 });
  assert.deepEqual(nextWindow(w, { read: 400, counted: 400, lastDue: undefined, pageSize: 500 }), { from: 11_000, span: 10_000 });
});

test('a simulated walk reads every key once, in order, each read counting about a page, and ends', () => {
  // 20,000 due times: a dense burst (5,000 in one ms), a uniform stretch, and a far-future tail.
  const dues: number[] = [];
  for (let i = 0; i < 5_000; i++) dues.push(1_700_000_000_000);
  for (let i = 0; i < 14_000; i++) dues.push(1_700_000_000_001 + i * 37);
  for (let i = 0; i < 1_000; i++) dues.push(4_000_000_000_000 + i * 86_400_000);
  dues.sort((a, b) => a - b);
  const pageSize = 500;
  let w = firstWindow(60_000);
  let cursor = 0; // index of the next key not read
  const read: number[] = [];
  let reads = 0;
  let counted = 0;
  for (;;) {
    reads += 1;
    assert.ok(reads < 2_000, 'the walk ends');
    const last = isLastWindow(w, MAX_WAKE_DUE);
    let end = cursor;
    while (end < dues.length && (last || dues[end]! < w.from + w.span)) end++;
    const inWindow = end - cursor;
    const page = dues.slice(cursor, cursor + Math.min(pageSize, inWindow));
    read.push(...page);
    counted += inWindow;
    cursor += page.length;
    if (page.length < inWindow) w = nextWindow(w, { read: page.length, counted: inWindow, lastDue: page[page.length - 1], pageSize });
    else if (last) break;
    else w = nextWindow(w, { read: page.length, counted: inWindow, lastDue: undefined, pageSize });
  }
  assert.deepEqual(read, dues);
  // The burst in one ms is counted page by page (quadratic in the burst alone); the rest about a page a read.
  const burst = (5_000 / pageSize) * (5_000 / 2);
  assert.ok(counted - burst < 20 * dues.length, `keys counted ${counted} (the burst's ${burst})`);
});
