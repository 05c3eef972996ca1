/**
 * The wake index's key layout and its paging policy (decision 2060, *Wake index*), pure: keys sort
 * by partition, kind and due time; a key reads back to its instance; the window a walk reads
 * next holds about a page whatever the density, and a walk ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KeyLayout,
  kindWakesPrefix,
  parseWakeKey,
  wakeDueBound,
  wakeIndexMarker,
  wakeKey,
  wakesRoot,
  MAX_WAKE_DUE,
} from '../../src/registry/etcd/keys.js';
import { afterRead, startWalk, windowEnd } from '../../src/registry/etcd/wake-window.js';
import { RegistryError } from '../../src/registry/errors.js';

const keys = new KeyLayout('/caxton/c1/');

test('a wake key names partition, kind, zero-padded due time and the timer; it reads back', () => {
  const key = wakeKey(keys, 32, 7, 'counter/alice', 't1', 1_700_000_000_123);
  assert.equal(key, '/caxton/c1/store/wakes/p32/7/counter/0001700000000123/counter%2Falice/t1');
  assert.deepEqual(parseWakeKey(keys, 32, key), {
    partition: 7,
    kind: 'counter',
    name: 'counter/alice',
    id: 't1',
    dueAt: 1_700_000_000_123,
  });
  assert.ok(key.startsWith(kindWakesPrefix(keys, 32, 7, 'counter')));
  assert.ok(key < wakeDueBound(keys, 32, 7, 'counter', 1_700_000_000_124) && key > wakeDueBound(keys, 32, 7, 'counter', 1_700_000_000_123));
  assert.deepEqual(parseWakeKey(keys, 32, wakeKey(keys, 32, 0, 'k/a%b', 'x', MAX_WAKE_DUE))?.name, 'k/a%b');
});

test('each partition count has its own root and marker, so a count change deletes nothing another count reads', () => {
  assert.ok(wakeKey(keys, 4, 1, 'counter/a', 't', 1).startsWith(wakesRoot(keys, 4)));
  assert.ok(!wakeKey(keys, 4, 1, 'counter/a', 't', 1).startsWith(wakesRoot(keys, 8)));
  assert.ok(
    !wakesRoot(keys, 4).startsWith(wakesRoot(keys, 40)) && !wakesRoot(keys, 40).startsWith(wakesRoot(keys, 4)),
    'p4 is not under p40',
  );
  assert.notEqual(wakeIndexMarker(keys, 4), wakeIndexMarker(keys, 8));
  assert.equal(parseWakeKey(keys, 8, wakeKey(keys, 4, 1, 'counter/a', 't', 1)), undefined, 'a p4 key is not read as a p8 wake');
});

test("wake keys sort by due time within a partition's kind, and partitions and kinds do not mix", () => {
  const dues = [5, 1_000, 99, 1_700_000_000_000, 0, 42];
  const sorted = dues.map((d) => wakeKey(keys, 32, 3, 'counter/z', 't', d)).sort();
  assert.deepEqual(
    sorted.map((k) => parseWakeKey(keys, 32, k)!.dueAt),
    [...dues].sort((a, b) => a - b),
  );
  assert.ok(!wakeKey(keys, 32, 31, 'counter/a', 't', 1).startsWith(kindWakesPrefix(keys, 32, 3, 'counter')), 'partition 31 is not under 3');
  assert.ok(
    !wakeKey(keys, 32, 3, 'counterx/a', 't', 1).startsWith(kindWakesPrefix(keys, 32, 3, 'counter')),
    'kind counterx is not under counter',
  );
});

test('a named agent, a bad id, a negative or fractional due time or partition is refused typed; a foreign key does not parse', () => {
  assert.throws(() => wakeKey(keys, 32, 0, 'echo', 't', 1), RegistryError);
  assert.throws(() => wakeKey(keys, 32, 0, 'counter/a', 'x/y', 1), RegistryError);
  assert.throws(() => wakeKey(keys, 32, 0, 'counter/a', 't', -1), RegistryError);
  assert.throws(() => wakeKey(keys, 32, 0, 'counter/a', 't', 1.5), RegistryError);
  assert.throws(() => wakeKey(keys, 32, -1, 'counter/a', 't', 1), RegistryError);
  assert.throws(() => wakeKey(keys, 32, 32, 'counter/a', 't', 1), RegistryError, 'a partition past the count');
  assert.throws(() => wakeKey(keys, 0, 0, 'counter/a', 't', 1), RegistryError, 'a count of 0');
  for (const k of [
    '/caxton/c1/store/wakes/p32/1/counter/12/counter%2Fa/t',
    '/caxton/c1/store/wakes/p32/1/counter/0000000000000012/other%2Fa/t',
    '/caxton/c1/store/timers/counter%2Fa/t',
    '/caxton/c1/store/wakes/p32/x/counter/0000000000000012/counter%2Fa/t',
    '/caxton/c1/store/wakes/p32/32/counter/0000000000000012/counter%2Fa/t',
    '/caxton/c1/store/wakes/p8/1/counter/0000000000000012/counter%2Fa/t',
  ]) {
    assert.equal(parseWakeKey(keys, 32, k), undefined, k);
  }
});

test('the next read: an open read sizes the first window from its page; a full window narrows, a sparse one widens', () => {
  const page = 500;
  // The open read: 500 of 5,000 keys, due 1,000..1,999: windows of about a page are ~1,000 ms wide.
  const s1 = afterRead(startWalk(), { read: 500, counted: 5_000, firstDue: 1_000, lastDue: 1_999, pageSize: page }, MAX_WAKE_DUE);
  assert.deepEqual(s1, { window: { from: 1_999, span: 1_000 }, owed: 4_500 });
  // Everything in the open read's page: done.
  assert.equal(afterRead(startWalk(), { read: 3, counted: 3, firstDue: 1, lastDue: 2, pageSize: page }, MAX_WAKE_DUE), 'done');
  // A window holding 5,000: on at the last due read, a tenth as wide; never under 1 ms.
  const w = { window: { from: 1_000, span: 10_000 }, owed: 9_000 };
  assert.deepEqual(afterRead(w, { read: 500, counted: 5_000, firstDue: 1_000, lastDue: 1_900, pageSize: page }, MAX_WAKE_DUE), {
    window: { from: 1_900, span: 1_000 },
    owed: 8_500,
  });
  assert.deepEqual(
    afterRead(
      { window: { from: 5, span: 1 }, owed: 9_000 },
      { read: 500, counted: 9_000, firstDue: 5, lastDue: 5, pageSize: page },
      MAX_WAKE_DUE,
    ),
    { window: { from: 5, span: 1 }, owed: 8_500 },
  );
  // A window read to its end: the next one, twice as wide under half a page, as wide otherwise.
  assert.deepEqual(afterRead(w, { read: 10, counted: 10, firstDue: 1_000, lastDue: 1_001, pageSize: page }, MAX_WAKE_DUE), {
    window: { from: 11_000, span: 20_000 },
    owed: 8_990,
  });
  assert.deepEqual(afterRead(w, { read: 400, counted: 400, firstDue: 1_000, lastDue: 1_001, pageSize: page }, MAX_WAKE_DUE), {
    window: { from: 11_000, span: 10_000 },
    owed: 8_600,
  });
  // Every key the open read counted read: one more open read confirms the end.
  assert.deepEqual(
    afterRead({ window: { from: 0, span: 10 }, owed: 7 }, { read: 7, counted: 7, firstDue: 1, lastDue: 9, pageSize: page }, MAX_WAKE_DUE),
    { window: undefined, owed: 0 },
  );
  // A full page of keys that are not wakes: the same read goes on past them (the cursor), the walk does not end.
  assert.deepEqual(
    afterRead(startWalk(), { read: 500, counted: 900, firstDue: undefined, lastDue: undefined, pageSize: page }, MAX_WAKE_DUE),
    { window: undefined, owed: 0 },
  );
  assert.deepEqual(afterRead(w, { read: 500, counted: 900, firstDue: undefined, lastDue: undefined, pageSize: page }, MAX_WAKE_DUE), {
    window: w.window,
    owed: 8_500,
  });
  // A window past the last due time a key holds is an open read.
  assert.equal(windowEnd({ from: MAX_WAKE_DUE - 1, span: 10 }, MAX_WAKE_DUE), undefined);
});

test('a simulated walk reads every key once, in order, each read counting about a page, and ends', () => {
  // 20,000 due times: a dense burst (5,000 in one ms), a uniform stretch, a gap of years, a tail.
  const dues: number[] = [];
  for (let i = 0; i < 5_000; i++) dues.push(1_700_000_000_000);
  for (let i = 0; i < 14_000; i++) dues.push(1_700_000_000_001 + i * 37);
  for (let i = 0; i < 1_000; i++) dues.push(4_000_000_000_000 + i * 86_400_000);
  dues.sort((a, b) => a - b);
  const pageSize = 500;
  let s = startWalk();
  let cursor = 0; // index of the next key not read
  const read: number[] = [];
  let reads = 0;
  let counted = 0;
  for (;;) {
    reads += 1;
    assert.ok(reads < 2_000, 'the walk ends');
    const bound = windowEnd(s.window, MAX_WAKE_DUE);
    let end = cursor;
    while (end < dues.length && (bound === undefined || dues[end]! < bound)) end++;
    const inRange = end - cursor;
    const page = dues.slice(cursor, cursor + Math.min(pageSize, inRange));
    read.push(...page);
    counted += inRange;
    cursor += page.length;
    const next = afterRead(
      s,
      { read: page.length, counted: inRange, firstDue: page[0], lastDue: page[page.length - 1], pageSize },
      MAX_WAKE_DUE,
    );
    if (next === 'done') break;
    s = next;
  }
  assert.deepEqual(read, dues);
  // The open read counts all once; the burst in one ms is counted page by page (quadratic in it alone).
  const burst = (5_000 / pageSize) * (5_000 / 2);
  assert.ok(counted - dues.length - burst < 4 * dues.length, `keys counted ${counted} (the burst's ${burst})`);
  assert.ok(reads < 2 * (dues.length / pageSize) + 60, `${reads} reads`);
});
