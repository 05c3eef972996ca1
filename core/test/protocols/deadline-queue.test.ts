import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeadlineQueue } from '../../src/protocols/deadline-queue.js';

describe('DeadlineQueue', () => {
  it('hands out due keys earliest first and keeps later ones', () => {
    const queue = new DeadlineQueue<string>();
    queue.set('c', 30);
    queue.set('a', 10);
    queue.set('b', 20);
    assert.equal(queue.peekTime(), 10);
    assert.deepEqual(queue.takeDue(20), ['a', 'b']);
    assert.equal(queue.peekTime(), 30);
    assert.equal(queue.size, 1);
  });

  it('reschedules a key in place instead of adding a second entry', () => {
    const queue = new DeadlineQueue<string>();
    queue.set('a', 10);
    queue.set('b', 20);
    queue.set('a', 40);
    assert.equal(queue.size, 2);
    assert.deepEqual(queue.takeDue(39), ['b']);
    queue.set('a', undefined);
    assert.equal(queue.size, 0);
    assert.equal(queue.peekTime(), undefined);
  });

  it('treats a non-finite time as unscheduled', () => {
    const queue = new DeadlineQueue<string>();
    queue.set('a', Infinity);
    assert.equal(queue.size, 0);
  });

  it('behaves like a naive map of key → time under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 9 }),
        at: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('take' as const), now: fc.integer({ min: 0, max: 100 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const queue = new DeadlineQueue<number>();
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            queue.set(o.key, o.at);
            if (o.at === undefined) model.delete(o.key);
            else model.set(o.key, o.at);
          } else if (o.kind === 'delete') {
            queue.delete(o.key);
            model.delete(o.key);
          } else {
            const due = queue.takeDue(o.now);
            const times = due.map((k) => model.get(k)!);
            assert.deepEqual(
              times,
              [...times].sort((a, b) => a - b),
              'earliest first',
            );
            const expected = [...model]
              .filter(([, at]) => at <= o.now)
              .map(([k]) => k)
              .sort();
            assert.deepEqual([...due].sort(), expected);
            for (const k of due) model.delete(k);
          }
          assert.equal(queue.size, model.size);
          assert.equal(queue.peekTime(), model.size === 0 ? undefined : Math.min(...model.values()));
        }
      }),
    );
  });
});
