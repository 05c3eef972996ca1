/**
 * The logs' dedup windows (decision 2002): an index of 32-bit hashes into a ring of ids. It must
 * answer exactly "is this id among the last N distinct ids added", whatever is added and evicted,
 * and two ids whose hashes collide must stay two ids (a collision never drops a message as a
 * duplicate). Checked against a plain list as the model, in the window itself and through both logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdWindow } from '../../src/log/id-window.js';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';

/** The model: the last `capacity` distinct ids, oldest first (a repeat does not refresh). */
function modelAdd(order: string[], id: string, capacity: number): boolean {
  if (order.includes(id)) return false;
  order.push(id);
  if (order.length > capacity) order.shift();
  return true;
}

test('id window and the memory log: membership agrees with a model of the last N completed ids', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(40), { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), async (ids, capacity) => {
      const window = new IdWindow(capacity);
      const log = new MemoryMessageLog(capacity);
      const order: string[] = [];
      for (const n of ids) {
        const id = `d-${n}>echo`;
        assert.equal(window.add(id), modelAdd(order, id, capacity), `add ${id}`);
        await log.complete([{ id, receiver: 'echo' }]);
        assert.equal(window.size, order.length);
        for (let k = 0; k <= 40; k++) {
          const probe = `d-${k}>echo`;
          assert.equal(window.has(probe), order.includes(probe), `window: ${probe}`);
          assert.equal(log.hasCompleted(probe), order.includes(probe), `memory log: ${probe}`);
        }
      }
    }),
  );
});

test('id window: exact under heavy probing — full windows, wrap-around and backward-shift deletion', () => {
  // Small tables (16 slots for up to 8 ids) make long probe runs that wrap around the table end,
  // so every eviction shifts entries back across the wrap.
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 4 }), { maxLength: 400 }), fc.integer({ min: 1, max: 8 }), (ids, capacity) => {
      const window = new IdWindow(capacity);
      const order: string[] = [];
      for (const id of ids) {
        assert.equal(window.add(id), modelAdd(order, id, capacity));
        for (const present of order) assert.equal(window.has(present), true, `${present} is in the window`);
        for (const other of ids) if (!order.includes(other)) assert.equal(window.has(other), false, `${other} is not`);
      }
    }),
  );
});

test('id window: ids whose hashes collide stay distinct (the full id decides)', () => {
  // Every id hashes to one of two values: every lookup walks a long run and compares strings.
  fc.assert(
    fc.property(fc.array(fc.nat(60), { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (ns, capacity) => {
      const window = new IdWindow(capacity, (id) => id.length & 1);
      const order: string[] = [];
      for (const n of ns) {
        const id = `d-${n}`;
        assert.equal(window.add(id), modelAdd(order, id, capacity));
        for (let k = 0; k <= 60; k++) assert.equal(window.has(`d-${k}`), order.includes(`d-${k}`), `d-${k}`);
      }
    }),
  );
});

test('id window: a full window of 100,000 answers hits and misses exactly', () => {
  const window = new IdWindow(100_000);
  for (let i = 0; i < 150_000; i++) assert.equal(window.add(`m-${i.toString(36)}>echo`), true);
  assert.equal(window.size, 100_000);
  for (let i = 0; i < 150_000; i++) assert.equal(window.has(`m-${i.toString(36)}>echo`), i >= 50_000, `m-${i}`);
  for (let i = 0; i < 10_000; i++) assert.equal(window.has(`n-${i.toString(36)}>echo`), false);
});

test('id window: capacity 0 keeps nothing', () => {
  const window = new IdWindow(0);
  assert.equal(window.add('a'), false);
  assert.equal(window.has('a'), false);
  assert.equal(window.size, 0);
});

/** Occupied index slots: must always equal the ids held (a leaked slot would fill the table and hang). */
function occupied(window: IdWindow): number {
  const slots = (window as unknown as { slots: Int32Array }).slots;
  let n = 0;
  for (const s of slots) if (s !== 0) n += 1;
  return n;
}

test('id window: runs that wrap past the table end stay exact (hashes forced onto the last slots)', () => {
  // 16 slots for capacities up to 8; every id's home is slot 14 or 15, so each run wraps to slot 0
  // and every eviction shifts entries back across the end of the table.
  fc.assert(
    fc.property(fc.array(fc.nat(30), { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ns, capacity) => {
      const window = new IdWindow(capacity, (id) => (id.length & 1 ? 15 : 14));
      const order: string[] = [];
      for (const n of ns) {
        const id = `w-${n}`;
        assert.equal(window.add(id), modelAdd(order, id, capacity));
        assert.equal(occupied(window), window.size, 'one index slot per id held');
        for (let k = 0; k <= 30; k++) assert.equal(window.has(`w-${k}`), order.includes(`w-${k}`), `w-${k}`);
      }
    }),
    { seed: 2002, numRuns: 200 },
  );
});

test('id window: 100,000 distinct adds at small capacities leak no index slot', { timeout: 30_000 }, () => {
  for (const capacity of [1, 2, 3, 7, 8, 9]) {
    const window = new IdWindow(capacity);
    for (let i = 0; i < 100_000; i++) assert.equal(window.add(`x-${i}`), true);
    assert.equal(window.size, capacity);
    assert.equal(occupied(window), capacity, `capacity ${capacity}`);
  }
});
