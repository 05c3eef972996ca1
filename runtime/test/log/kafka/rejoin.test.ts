/**
 * MembershipWatch (review of decision 2060, must fix 1): a join under a new member id, or any join
 * after a crash or restart, is a new membership: everything held before counts as revoked, even
 * partitions got back, so their claims, loads and tenures start afresh. A rebalance of a live
 * member (same id, no interruption) keeps what it keeps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MembershipWatch } from '../../../src/log/kafka/rejoin.js';

test('the first join revokes nothing; later joins of the same member keep their partitions', () => {
  const w = new MembershipWatch();
  assert.equal(w.joined('m-1'), false);
  assert.equal(w.joined('m-1'), false);
  assert.equal(w.joined('m-1'), false);
});

test('a join under a new member id (removed after the session timeout, then joined afresh) revokes everything', () => {
  const w = new MembershipWatch();
  w.joined('m-1');
  assert.equal(w.joined('m-2'), true);
  assert.equal(w.joined('m-2'), false, 'once: the next rebalance of the new member is ordinary');
});

test('a join after a crash or restart revokes everything, even under the same member id', () => {
  const w = new MembershipWatch();
  w.joined('m-1');
  w.interrupted();
  assert.equal(w.joined('m-1'), true);
  w.interrupted();
  w.interrupted();
  assert.equal(w.joined('m-2'), true);
  assert.equal(w.joined('m-2'), false);
});
