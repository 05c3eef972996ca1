/** The token bucket behind the per-agent rate quotas: pure, time passed in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../src/host/token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, refuses past its burst, and takes nothing when it refuses', () => {
    const b = new TokenBucket(10);
    for (let i = 0; i < 10; i++) assert.equal(b.take(1, 0), true);
    assert.equal(b.take(1, 0), false);
    assert.equal(b.available(0), 0);
    assert.equal(b.take(5, 0), false);
    assert.equal(b.available(0), 0, 'a refused take leaves the bucket as it was');
  });

  it('refills at its rate, never beyond the burst', () => {
    const b = new TokenBucket(10, 20);
    assert.equal(b.take(20, 1000), true);
    assert.equal(b.take(1, 1050), false, '50 ms at 10/s is half a token');
    assert.equal(b.take(1, 1100), true, '100 ms is one token');
    assert.equal(b.available(1_000_000), 20, 'capped at the burst');
  });

  it('takes bytes in one go: a request larger than what is left waits for the refill', () => {
    const b = new TokenBucket(1000);
    assert.equal(b.take(600, 0), true);
    assert.equal(b.has(600, 0), false);
    assert.equal(b.take(600, 0), false);
    assert.equal(b.take(600, 200), true, '400 left + 200 refilled');
  });

  it('a clock going backwards neither refills nor drains', () => {
    const b = new TokenBucket(10);
    b.take(10, 5000);
    assert.equal(b.take(1, 4000), false);
    assert.equal(b.available(4000), 0);
    assert.equal(b.take(1, 5100), true, 'refill resumes from the latest time seen');
  });
});
