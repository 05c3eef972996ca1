/**
 * Replica sandbox keys (decision 2010): the key a node gives replica n of an agent parses back to
 * the agent and n, for every number a node can give out (2..REPLICA_LIMITS.maxReplicaInstances + 1:
 * a scale-up numbers above the replicas still draining), and nothing else parses, so the metrics'
 * `replica` label has one bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReplicaUnit, REPLICA_LIMITS, replicaUnitName } from '@caxton/core';
import { MAX_REPLICA_NUMBER, parseReplicaKey, replicaKey } from '../../src/node/replicas/index.js';

describe('replica keys', () => {
  it('parse back every number a node gives out, 2..maxReplicaInstances + 1', () => {
    assert.equal(MAX_REPLICA_NUMBER, REPLICA_LIMITS.maxReplicaInstances + 1);
    for (let n = 2; n <= MAX_REPLICA_NUMBER; n++) assert.deepEqual(parseReplicaKey(replicaKey('svc', n)), { agent: 'svc', replica: n });
    assert.equal(replicaKey('svc', 1), 'svc', "replica 1 is the agent's own instance");
  });

  it('parse nothing outside that bound or shape', () => {
    // Before: `svc#r1` and anything up to `svc#r99` parsed as replicas.
    for (const key of [
      'svc',
      'svc#r1',
      `svc#r${MAX_REPLICA_NUMBER + 1}`,
      'svc#r99',
      'svc#r0',
      'svc#r02',
      'svc#4',
      'svc#r2#r3',
      '#r2',
      'svc#r',
    ]) {
      assert.equal(parseReplicaKey(key), undefined, key);
    }
  });

  it('parse as core parses a replica unit (one reading of the `X#r<k>` shape), only to a higher bound', () => {
    // A kind's instance is never scaled (refused), so `<kind>/<key>#r2` is no replica's key: core's
    // parse refuses it, and so does the node's now (its own pattern took any agent part before).
    assert.equal(parseReplicaKey('tally/alice#r2'), undefined);
    for (let n = 2; n <= REPLICA_LIMITS.maxReplicas; n++)
      assert.deepEqual(parseReplicaKey(replicaUnitName('svc', n)), parseReplicaUnit(replicaUnitName('svc', n)));
    assert.equal(parseReplicaUnit(`svc#r${MAX_REPLICA_NUMBER}`), undefined, 'a unit across nodes stops at maxReplicas');
    assert.deepEqual(parseReplicaUnit(`svc#r${MAX_REPLICA_NUMBER}`, MAX_REPLICA_NUMBER), { agent: 'svc', replica: MAX_REPLICA_NUMBER });
  });
});
