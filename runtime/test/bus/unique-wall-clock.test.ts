/**
 * The wall clock naming a hand-fired timer's sends never gives one value twice (decision 2140).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueWallClock } from '../../src/bus/plan/unique-wall-clock.js';

test('readings in one millisecond are one apart; once the clock moves past them they are wall time again; a clock stepped back does not repeat one', () => {
  let wall = 1_000;
  const now = uniqueWallClock(() => wall);
  assert.deepEqual([now(), now(), now()], [1_000, 1_001, 1_002]);
  wall = 1_010;
  assert.equal(now(), 1_010);
  wall = 900;
  assert.equal(now(), 1_011);
});
