/** Cluster settings: defaults, the names they derive, and refusals that name what to fix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClusterOptions } from '../../../src/topology/cluster/options.js';
import { KAFKA_REQUEST_LIMIT_TABLE, LimitOutOfRangeError } from '@caxton/core';

test('defaults: 5 s lease, 6 s Kafka session (the broker default minimum), names scoped by the cluster', () => {
  const o = resolveClusterOptions();
  assert.deepEqual(o, {
    name: 'default',
    etcdPrefix: '/caxton/default/',
    topicPrefix: 'caxton.default',
    groupId: 'caxton.default.bus',
    leaseTtlSeconds: 5,
    sessionTimeoutMs: 6000,
    partitions: undefined,
    drainTimeoutMs: 5000,
    kafkaOpenTimeoutMs: 10_000,
    completionWithinMs: 1000,
    maxPendingPerPartition: 256,
    absentPerPartition: 128,
    kafkaRequests: {},
  });
  const prod = resolveClusterOptions({ name: 'prod-eu', partitions: 24, leaseTtlSeconds: 10 });
  assert.equal(prod.etcdPrefix, '/caxton/prod-eu/');
  assert.equal(prod.topicPrefix, 'caxton.prod-eu');
  assert.equal(prod.partitions, 24);
});

test('refused: names unusable in an etcd key, a topic or a group; fractional or tiny timings', () => {
  for (const name of ['', 'Prod', 'a/b', 'a.b', '-x', 'x'.repeat(49)]) {
    assert.throws(
      () => resolveClusterOptions({ name }),
      (e: Error & { code?: string; hint?: string }) => e.code === 'node.cluster-config' && /lower-case/.test(e.hint ?? ''),
      name,
    );
  }
  // The lease and the partitions are rows of core's CLUSTER_LIMIT_TABLE (decision 2149): refused by the tables' one check, either end.
  const outOfRow =
    (limit: string, min: number, ceiling: number) =>
    (e: unknown): boolean =>
      e instanceof LimitOutOfRangeError &&
      e.limit === limit &&
      e.min === min &&
      e.ceiling === ceiling &&
      e.message.startsWith(`cluster.${limit}: `);
  for (const leaseTtlSeconds of [2.5, 0, 86_401])
    assert.throws(() => resolveClusterOptions({ leaseTtlSeconds }), outOfRow('leaseTtlSeconds', 1, 86_400), String(leaseTtlSeconds));
  assert.equal(resolveClusterOptions({ leaseTtlSeconds: 86_400 }).leaseTtlSeconds, 86_400, 'the ceiling itself');
  // The session and the flagless timings are rows too since the Kafka flags joined the table.
  for (const sessionTimeoutMs of [500, 6000.5, 1_800_001])
    assert.throws(
      () => resolveClusterOptions({ sessionTimeoutMs }),
      outOfRow('sessionTimeoutMs', 1_000, 1_800_000),
      String(sessionTimeoutMs),
    );
  for (const drainTimeoutMs of [-1, 600_001])
    assert.throws(() => resolveClusterOptions({ drainTimeoutMs }), outOfRow('drainTimeoutMs', 0, 600_000), String(drainTimeoutMs));
  assert.throws(() => resolveClusterOptions({ kafkaOpenTimeoutMs: 499 }), outOfRow('kafkaOpenTimeoutMs', 500, 600_000));
  assert.throws(() => resolveClusterOptions({ completionWithinMs: Number.NaN }), outOfRow('completionWithinMs', 0, 600_000));
  const zero = resolveClusterOptions({ drainTimeoutMs: 0, completionWithinMs: 0 });
  assert.deepEqual([zero.drainTimeoutMs, zero.completionWithinMs], [0, 0], 'a floor of 0 is taken');
  assert.throws(
    () => resolveClusterOptions({ drainTimeoutMs: null as never }),
    outOfRow('drainTimeoutMs', 0, 600_000),
    'null is not "the default": leave it out for that',
  );
  for (const partitions of [0, 4_097])
    assert.throws(() => resolveClusterOptions({ partitions }), outOfRow('partitions', 1, 4_096), String(partitions));
  assert.equal(resolveClusterOptions({ partitions: 4_096 }).partitions, 4_096, 'the ceiling itself');
  for (const maxPendingPerPartition of [1, 65_537])
    assert.throws(
      () => resolveClusterOptions({ maxPendingPerPartition }),
      outOfRow('maxPendingPerPartition', 2, 65_536),
      String(maxPendingPerPartition),
    );
  // Decision 1990 (*Cluster*): absent queues of one partition hold at most half its window.
  assert.equal(resolveClusterOptions({ maxPendingPerPartition: 17 }).absentPerPartition, 8);
  // Decision 2157: at most ABSENT_PER_PARTITION_MAX, so a partition's shared count stays one etcd value.
  assert.equal(resolveClusterOptions({ maxPendingPerPartition: 65_536 }).absentPerPartition, 1_024);
});

test('the Kafka request shape: values given are checked against KAFKA_REQUEST_LIMIT_TABLE and passed on, the rest left to the log', () => {
  assert.deepEqual(resolveClusterOptions({ kafkaRequests: { lingerMs: 2, fetchMinBytes: undefined } }).kafkaRequests, { lingerMs: 2 });
  assert.deepEqual(resolveClusterOptions({ kafkaRequests: { fetchMinBytes: 16_384, fetchMaxWaitMs: 5 } }).kafkaRequests, {
    fetchMinBytes: 16_384,
    fetchMaxWaitMs: 5,
  });
  for (const kafkaRequests of [
    { lingerMs: KAFKA_REQUEST_LIMIT_TABLE.lingerMs.ceiling + 1 },
    { lingerMs: 1.5 },
    { fetchMinBytes: 0 },
    { fetchMaxWaitMs: -1 },
  ]) {
    const name = Object.keys(kafkaRequests)[0]!;
    assert.throws(
      () => resolveClusterOptions({ kafkaRequests }),
      (e: unknown) => e instanceof LimitOutOfRangeError && e.limit === name && e.message.startsWith(`cluster.kafkaRequests.${name}: `),
      JSON.stringify(kafkaRequests),
    );
  }
  assert.throws(
    () => resolveClusterOptions({ kafkaRequests: { lingerMS: 1 } as never }),
    (e: Error & { code?: string; hint?: string }) => e.code === 'limits.unknown' && /lingerMs/.test(e.hint ?? ''),
  );
});
