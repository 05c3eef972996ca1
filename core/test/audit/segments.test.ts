/**
 * The verifier over a trail kept in segments (decision 1790): the chain runs across segment
 * boundaries; positions absent from storage are `segment-missing` (a segment deleted in the middle,
 * or the oldest without a signed retention record); records pruned as the anchor's `retained` says
 * verify clean; the retention record cannot be used to hide a rewrite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuditChainVerifier,
  checkAuditSegmentSettings,
  AUDIT_SEGMENT_LIMIT_TABLE,
  LimitOutOfRangeError,
  decodeSignedCheckpoint,
  encodeSignedCheckpoint,
  verifyAuditChain,
} from '../../src/index.js';
import { chain, sha256, stored } from './records.js';

const methods = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'DeployAgent' : 'StopAgent'));
const good = chain(methods);
const all = stored(good);
/** Three segments of four records: 0..3, 4..7, 8..11. */
const segment = (k: number): typeof all => all.slice(4 * k, 4 * k + 4);
const anchorHead = { index: 11, hash: good[11]!.hash, trail: good[0]!.hash, source: 'anchor' as const };

describe('verifying a trail kept in segments', () => {
  it('follows the chain across segment boundaries', () => {
    const result = verifyAuditChain([...segment(0), ...segment(1), ...segment(2)], sha256, undefined, [anchorHead]);
    assert.equal(result.fault, undefined);
    assert.deepEqual([result.verified, result.head?.index], [12, 11]);
  });

  it('names a segment deleted from the middle: segment-missing at the first position after the hole', () => {
    const { fault, verified } = verifyAuditChain([...segment(0), ...segment(2)], sha256, undefined, [anchorHead]);
    assert.deepEqual([fault?.reason, fault?.position, verified], ['segment-missing', 8, 4]);
    assert.match(fault!.detail, /records 4\.\.7 are missing from storage.*middle/);
  });

  it('names the oldest segment deleted when the anchor records no retention', () => {
    const { fault } = verifyAuditChain([...segment(1), ...segment(2)], sha256, undefined, [anchorHead]);
    assert.deepEqual([fault?.reason, fault?.position], ['segment-missing', 4]);
    assert.match(fault!.detail, /records 0\.\.3 .*no retention/);
  });

  it('verifies clean a trail pruned as the signed retention says, with or without the pruned segment still there', () => {
    const retained = { from: 4, prev: good[3]!.hash };
    const pruned = verifyAuditChain([...segment(1), ...segment(2)], sha256, undefined, [anchorHead], retained);
    assert.equal(pruned.fault, undefined);
    assert.deepEqual([pruned.verified, pruned.head?.index], [8, 11]);
    // A crash between the anchor and the deletion leaves segment 0: passed over, not checked.
    const verifier = new AuditChainVerifier(sha256, undefined, [anchorHead], retained);
    for (const r of all) assert.equal(verifier.push(r), undefined);
    assert.equal(verifier.finish(), undefined);
    assert.deepEqual([verifier.verified, verifier.outsideRetention], [8, 4]);
  });

  it('names the oldest kept segment deleted outside retention: segment-missing', () => {
    const { fault } = verifyAuditChain(segment(2), sha256, undefined, [anchorHead], { from: 4, prev: good[3]!.hash });
    assert.deepEqual([fault?.reason, fault?.position], ['segment-missing', 8]);
    assert.match(fault!.detail, /retention kept the trail from record 4/);
  });

  it('does not let a retention record vouch for a first kept record that links elsewhere: rewritten', () => {
    const { fault } = verifyAuditChain([...segment(1), ...segment(2)], sha256, undefined, [anchorHead], { from: 4, prev: good[2]!.hash });
    assert.deepEqual([fault?.reason, fault?.position], ['rewritten', 4]);
  });

  it('a trail pruned to nothing still has to reach the anchor: truncated', () => {
    const { fault } = verifyAuditChain([], sha256, undefined, [anchorHead], { from: 8, prev: good[7]!.hash });
    assert.equal(fault?.reason, 'truncated');
  });
});

describe('the retention record in the signed anchor', () => {
  const base = { trail: 'a'.repeat(64), index: 11, hash: 'b'.repeat(64), time: '2026-01-01T00:00:00.000Z', node: 'n1' };
  it('round-trips, and an anchor without it encodes as before', () => {
    const signed = { checkpoint: { ...base, retained: { from: 4, prev: 'c'.repeat(64) } }, key: 'AAAA', sig: 'BBBB' };
    assert.deepEqual(decodeSignedCheckpoint(encodeSignedCheckpoint(signed)), signed);
    assert.doesNotMatch(encodeSignedCheckpoint({ checkpoint: base, key: 'AAAA', sig: 'BBBB' }), /retained/);
  });

  it('refuses a malformed one: from 0, from past the anchored record, prev not a sha256', () => {
    for (const retained of [
      { from: 0, prev: 'c'.repeat(64) },
      { from: 12, prev: 'c'.repeat(64) },
      { from: 4, prev: 'xyz' },
    ]) {
      assert.throws(
        () => decodeSignedCheckpoint(JSON.stringify({ checkpoint: { ...base, retained }, key: 'AAAA', sig: 'BBBB' })),
        /retained/,
      );
    }
  });
});

describe('segment settings', () => {
  it('fills the default size and checks each bound, naming the flag', () => {
    assert.deepEqual(checkAuditSegmentSettings({}), { segmentBytes: AUDIT_SEGMENT_LIMIT_TABLE.segmentBytes.default });
    assert.deepEqual(checkAuditSegmentSettings({ segmentBytes: 65536, retainSegments: 3 }), { segmentBytes: 65536, retainSegments: 3 });
    assert.deepEqual(
      checkAuditSegmentSettings({ segmentBytes: 2 ** 30, retainSegments: 1_000_000 }),
      { segmentBytes: 2 ** 30, retainSegments: 1_000_000 },
      'each ceiling itself',
    );
    // Rows of core's AUDIT_SEGMENT_LIMIT_TABLE (decision 2153): the tables' one refusal, its hint naming the flag.
    for (const bad of [
      { segmentBytes: 65535 },
      { segmentBytes: 2 ** 30 + 1 },
      { segmentBytes: 65536.5 },
      { retainSegments: 0 },
      { retainSegments: 1_000_001 },
      { retainSegments: '3' },
    ]) {
      assert.throws(
        () => checkAuditSegmentSettings(bad),
        (err: unknown) =>
          err instanceof LimitOutOfRangeError &&
          err.code === 'limits.out-of-range' &&
          /caxton serve --audit-(segment-bytes|retain-segments)/.test(err.hint ?? ''),
        JSON.stringify(bad),
      );
    }
  });
});
