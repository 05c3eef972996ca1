/** A buffered body's whole deadline (decision 2207): its idle allowance plus its size at the slowest rate allowed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BODY_MIN_BYTES_PER_SECOND, bodyDeadlineMs } from '../../src/index.js';

describe('bodyDeadlineMs', () => {
  it('is the idle allowance plus the size at the slowest rate, rounded up to a whole millisecond', () => {
    assert.equal(bodyDeadlineMs(0, 60_000), 60_000);
    assert.equal(bodyDeadlineMs(BODY_MIN_BYTES_PER_SECOND, 0), 1_000);
    assert.equal(bodyDeadlineMs(1, 0), 1);
    // The largest default artifact (64 MiB) may take its minute of silence plus ~34 minutes.
    assert.equal(bodyDeadlineMs(64 * 1024 ** 2, 60_000), 60_000 + 2_048_000);
  });
});
