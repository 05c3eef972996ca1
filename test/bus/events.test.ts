/** BusEvents: typed subscriptions, `wants`, and a throwing listener being dropped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusEvents, type BusEvent } from '@caxton/runtime';

const completed: BusEvent = { type: 'completed', deliveryIds: ['a'] };
const dropped: BusEvent = { type: 'dropped', message: { performative: 'inform', receivers: [] }, reason: 'x' };

test('a listener gets only the types it asked for; wants() says whether anyone listens', () => {
  const events = new BusEvents();
  assert.equal(events.wants('completed'), false);
  const seen: string[] = [];
  const off = events.on((e) => seen.push(e.type), ['completed']);
  assert.equal(events.wants('completed'), true);
  assert.equal(events.wants('accepted'), false);
  events.emit(completed);
  events.emit(dropped);
  assert.deepEqual(seen, ['completed']);
  off();
  assert.equal(events.wants('completed'), false);
  assert.equal(events.active, false);

  const all: string[] = [];
  const offAll = events.on((e) => all.push(e.type));
  assert.equal(events.wants('accepted'), true);
  events.emit(dropped);
  offAll();
  offAll(); // idempotent
  assert.deepEqual(all, ['dropped']);
  assert.equal(events.wants('dropped'), false);
});

test('a listener that throws is removed and the others still get the event', () => {
  const events = new BusEvents();
  const seen: string[] = [];
  events.on(() => {
    throw new Error('boom');
  }, ['completed']);
  events.on((e) => seen.push(e.type));
  events.emit(completed);
  events.emit(completed);
  assert.deepEqual(seen, ['completed', 'completed']);
  assert.equal(events.wants('dropped'), true);
});
