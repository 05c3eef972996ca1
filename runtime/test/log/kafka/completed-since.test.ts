/**
 * The per-agent list of deliveries (their offsets) completed by their offset commit alone (completed-since.ts, decision
 * 2180): kept in completion order, handed whole to the agent's next state commit, written on its
 * own when full or when it waited long enough, bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletedSince } from '../../../src/log/kafka/completed-since.js';

describe('CompletedSince', () => {
  it("hands an agent's list to its next commit, in completion order, once", () => {
    const c = new CompletedSince();
    c.add('a', 2, 0);
    c.add('b', 9, 0);
    c.add('a', 1, 1);
    assert.deepEqual(c.take('a'), [2, 1]);
    assert.equal(c.take('a'), undefined);
    assert.equal(c.size, 1);
  });

  it('returns a full list at once (to be written now), and starts the next', () => {
    const c = new CompletedSince(3);
    assert.equal(c.add('a', 1, 0), undefined);
    assert.equal(c.add('a', 2, 0), undefined);
    assert.deepEqual(c.add('a', 3, 0), [1, 2, 3]);
    assert.equal(c.size, 0);
    assert.equal(c.add('a', 4, 0), undefined);
  });

  it('gives the lists of the agents quiet since a time, quietest first, and keeps the busy ones', () => {
    const c = new CompletedSince();
    c.add('a', 1, 10);
    c.add('b', 2, 20);
    c.add('c', 3, 30);
    c.add('a', 4, 40); // a is busy again: its list waits
    assert.deepEqual(c.due(35), [
      ['b', [2]],
      ['c', [3]],
    ]);
    assert.deepEqual(c.due(Number.POSITIVE_INFINITY), [['a', [1, 4]]]);
  });

  it('puts back a list whose commit failed, in front of what came since', () => {
    const c = new CompletedSince(4);
    c.add('a', 1, 0);
    const taken = c.take('a')!;
    c.add('a', 2, 1);
    c.restore('a', taken, 2);
    assert.deepEqual(c.take('a'), [1, 2]);
  });

  it('starts over past its bound of agents', () => {
    const c = new CompletedSince(32, 2);
    c.add('a', 1, 0);
    c.add('b', 2, 0);
    c.add('c', 3, 0);
    assert.equal(c.size, 1);
    assert.deepEqual(c.take('c'), [3]);
  });
});
