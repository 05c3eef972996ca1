/** Crash-loop protection, pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartTracker } from '../src/restart-policy.js';

describe('restart policy', () => {
  it('grants K restarts within the window and fails the agent on the next crash', () => {
    const t = new RestartTracker({ maxRestarts: 3, windowMs: 1000 });
    assert.deepEqual(
      [0, 10, 20].map((at) => t.recordCrash(at)),
      ['restart', 'restart', 'restart'],
    );
    assert.equal(t.recordCrash(30), 'fail');
    assert.equal(t.restarts, 3);
  });

  it('forgets crashes older than the window', () => {
    const t = new RestartTracker({ maxRestarts: 2, windowMs: 1000 });
    assert.equal(t.recordCrash(0), 'restart');
    assert.equal(t.recordCrash(500), 'restart');
    assert.equal(t.recordCrash(1200), 'restart', 'the crash at 0 left the window');
    assert.equal(t.recordCrash(1300), 'fail');
    assert.deepEqual(t.history(), [500, 1200, 1300]);
  });

  it('carries its history to a new shard', () => {
    const t = new RestartTracker({ maxRestarts: 2, windowMs: 1000 }, [100, 200], 7);
    assert.equal(t.restarts, 7);
    assert.equal(t.recordCrash(300), 'fail');
  });

  it('with maxRestarts 0 the first crash fails the agent', () => {
    assert.equal(new RestartTracker({ maxRestarts: 0, windowMs: 1 }).recordCrash(0), 'fail');
    assert.throws(() => new RestartTracker({ maxRestarts: -1, windowMs: 1 }), RangeError);
  });
});
