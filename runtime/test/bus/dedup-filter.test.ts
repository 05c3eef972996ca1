/**
 * The counting filter in front of the logs' dedup windows (decision 2000): it may only ever say
 * "certainly absent" for an id that is absent, whatever is added and evicted, including ids steered
 * onto one slot until its counter saturates. Checked against a plain Set as the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdFilter } from '../../src/bus/id-filter.js';
import { DedupWindow } from '../../src/bus/embedded/dedup-window.js';
import { MemoryMessageLog } from '../../src/bus/memory/memory-message-log.js';

test('id filter: never "certainly absent" for an id in the set; absent ids mostly answered by the filter alone', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 6 })), { maxLength: 300 }), (ops) => {
    const filter = new IdFilter(16);
    const model = new Set<string>();
    for (const [add, id] of ops) {
      if (add && !model.has(id)) {
        model.add(id);
        filter.added(id);
      } else if (!add && model.delete(id)) {
        filter.removed(id);
      }
      for (const present of model) assert.equal(filter.mayHave(present), true, `${present} is in the set`);
    }
  }));
  const filter = new IdFilter(1000);
  for (let i = 0; i < 1000; i++) filter.added(`m-${i}>echo`);
  let maybe = 0;
  for (let i = 0; i < 10_000; i++) if (filter.mayHave(`n-${i}>echo`)) maybe += 1;
  assert.ok(maybe < 2_000, `${maybe} of 10,000 absent ids needed the set`);
});

test('id filter: a saturated slot stays "maybe" for good (never falsely absent)', () => {
  const filter = new IdFilter(1);
  for (let i = 0; i < 300; i++) filter.added('same');
  for (let i = 0; i < 299; i++) filter.removed('same');
  assert.equal(filter.mayHave('same'), true);
});

test('dedup window and the memory log: hasCompleted agrees with a model of the last N completed ids', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.nat(40), { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), async (ids, capacity) => {
    const window = new DedupWindow(capacity);
    const log = new MemoryMessageLog(capacity);
    const order: string[] = [];
    for (const n of ids) {
      const id = `d-${n}>echo`;
      window.add(id);
      await log.complete([{ id, receiver: 'echo' }]);
      if (!order.includes(id)) {
        order.push(id);
        if (order.length > capacity) order.shift();
      }
      for (let k = 0; k <= 40; k++) {
        const probe = `d-${k}>echo`;
        assert.equal(window.has(probe), order.includes(probe), `window: ${probe}`);
        assert.equal(log.hasCompleted(probe), order.includes(probe), `memory log: ${probe}`);
      }
    }
  }));
});
