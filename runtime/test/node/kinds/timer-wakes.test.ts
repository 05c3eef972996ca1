/**
 * The bounded index of passivated instances' timer wakes (decision 1980): soonest first, one entry
 * per instance, stale entries skipped, and a full index never loses a wake — what it leaves out is
 * at or after its spill floor, and a refill from the registry at that floor takes it back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimerWakes, type DueEntry } from '../../../src/node/kinds/timer-wakes.js';

const names = (due: DueEntry[]): string[] => due.map((e) => e.name);

test('wakes come out soonest first, each instance once, with its latest due time', () => {
  const w = new TimerWakes(10);
  w.add('k/a', 300);
  w.add('k/b', 100);
  w.add('k/c', 200);
  w.add('k/a', 150); // rescheduled: the 300 entry is stale
  assert.equal(w.size, 3);
  assert.equal(w.nextAt(), 100);
  assert.deepEqual(names(w.takeDue(99)), []);
  assert.deepEqual(names(w.takeDue(160)), ['k/b', 'k/a']);
  assert.equal(w.nextAt(), 200);
  w.remove('k/c'); // activated by mail: no wake
  assert.equal(w.nextAt(), Infinity);
  assert.deepEqual(names(w.takeDue(1_000)), [], 'the stale 300 entry of k/a is not a wake');
  assert.equal(w.size, 0);
});

test("removeWhere forgets a stopped kind's instances only", () => {
  const w = new TimerWakes(10);
  w.add('a/1', 10);
  w.add('b/1', 20);
  w.add('a/2', 30);
  w.removeWhere((n) => n.startsWith('a/'));
  assert.deepEqual(names(w.takeDue(100)), ['b/1']);
});

test('a full index spills: nothing is lost, the floor says when to refill, and a refill keeps the soonest', () => {
  const w = new TimerWakes(2);
  w.add('k/a', 500);
  w.add('k/b', 400);
  w.add('k/c', 100); // does not fit, though sooner than both
  assert.equal(w.size, 2);
  assert.ok(w.spilled);
  assert.equal(w.nextAt(), 100, 'the floor is the next thing due');
  assert.ok(!w.needsRefill(99));
  assert.ok(w.needsRefill(100));
  // The registry's view (every passivated instance with a timer): the soonest two are kept.
  w.refill([
    { name: 'k/a', dueAt: 500 },
    { name: 'k/b', dueAt: 400 },
    { name: 'k/c', dueAt: 100 },
  ]);
  assert.equal(w.size, 2);
  assert.equal(w.nextAt(), 100);
  assert.deepEqual(names(w.takeDue(450)), ['k/c', 'k/b']);
  assert.ok(w.spilled, 'k/a is still left out');
  assert.ok(w.needsRefill(500));
  w.refill([{ name: 'k/a', dueAt: 500 }]);
  assert.ok(!w.spilled);
  assert.deepEqual(names(w.takeDue(500)), ['k/a']);
});

test('stale entries are bounded: rescheduling one instance many times keeps the heap small', () => {
  const w = new TimerWakes(10);
  for (let i = 0; i < 10_000; i++) w.add('k/a', 1_000_000 - i);
  assert.equal(w.size, 1);
  assert.ok((w as unknown as { heap: unknown[] }).heap.length <= 2 + 64 + 1);
  assert.deepEqual(names(w.takeDue(2_000_000)), ['k/a']);
});

test('takeDue takes at most `max` due wakes; the rest stay, soonest first', () => {
  const w = new TimerWakes(10);
  for (let i = 0; i < 5; i++) w.add(`k/${i}`, 100 + i);
  assert.deepEqual(names(w.takeDue(1_000, 2)), ['k/0', 'k/1']);
  assert.equal(w.size, 3);
  assert.deepEqual(names(w.takeDue(1_000, 10)), ['k/2', 'k/3', 'k/4']);
});

test('a refill from a paged read keeps the floor of what the reader left out already (decision 2060)', () => {
  const w = new TimerWakes(2);
  w.refill(
    [
      { name: 'k/a', dueAt: 10 },
      { name: 'k/b', dueAt: 20 },
    ],
    15,
  );
  assert.equal(w.spilled, true, 'k/c (due 15) was left out by the reader: the index must be rebuilt by then');
  assert.equal(w.nextAt(), 10);
  assert.deepEqual(names(w.takeDue(12)), ['k/a']);
  assert.equal(w.needsRefill(14), false);
  assert.equal(w.needsRefill(15), true);
  w.refill([{ name: 'k/c', dueAt: 15 }]);
  assert.equal(w.spilled, false);
});
