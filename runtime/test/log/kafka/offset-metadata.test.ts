import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCommit, encodeCommit } from '../../../src/log/kafka/offset-metadata.js';

/** A random partition state: base offset, sorted distinct pending offsets, end above them. */
const progressArb = fc
  .record({
    base: fc.integer({ min: 0, max: 2 ** 40 }),
    gaps: fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }),
    tail: fc.integer({ min: 0, max: 5000 }),
  })
  .map(({ base, gaps, tail }) => {
    const pending: number[] = [];
    let o = base;
    for (const g of gaps) {
      pending.push(o);
      o += g;
    }
    return { pending, end: (pending.length ? pending[pending.length - 1]! + 1 : base) + tail };
  });

describe('commit metadata (pending offsets above the committed offset)', () => {
  it('round-trips when it fits', () => {
    fc.assert(
      fc.property(progressArb, (p) => {
        const enc = encodeCommit(p, 1_000_000);
        assert.equal(enc.offset, p.pending[0] ?? p.end);
        assert.equal(enc.end, p.end);
        const back = decodeCommit(enc.offset, enc.metadata);
        if (p.pending.length === 0) {
          // Nothing pending: the offset itself says everything (end == offset).
          assert.deepEqual(back, { end: enc.offset, pending: [] });
        } else {
          assert.deepEqual(back, { end: p.end, pending: p.pending });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('when truncated to a budget, never claims an offset done that is pending', () => {
    fc.assert(
      fc.property(progressArb, fc.integer({ min: 8, max: 200 }), (p, budget) => {
        const enc = encodeCommit(p, budget);
        assert.ok(enc.metadata.length <= Math.max(budget, enc.metadata.length === 0 ? 0 : budget + 20));
        const back = decodeCommit(enc.offset, enc.metadata);
        assert.ok(back.end <= p.end);
        // Every truly pending offset below the decoded end is still pending after decoding.
        assert.deepEqual(
          back.pending,
          p.pending.filter((o) => o < back.end),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('stays within the broker default of 4096 characters for 256 far-apart pending offsets', () => {
    const pending = Array.from({ length: 256 }, (_, i) => 10_000_000 + i * 1_000_000);
    const enc = encodeCommit({ pending, end: pending[255]! + 1 }, 4096);
    assert.ok(enc.metadata.length <= 4096, `metadata is ${enc.metadata.length} characters`);
    assert.deepEqual(decodeCommit(enc.offset, enc.metadata).pending, pending);
  });

  it('treats foreign or damaged metadata as "nothing known above the offset"', () => {
    for (const junk of [null, undefined, '', 'hello', 'c1;', 'c1;zz', 'c1;5;0', 'c1;5;9', 'c1;5;1.-2', 'c1;5;1x', 'c1;-1;']) {
      assert.deepEqual(decodeCommit(42, junk), { end: 42, pending: [] }, String(junk));
    }
  });
});
