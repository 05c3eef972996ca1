/**
 * startNode's check of the options core's limit tables bound (decision 2149): the traffic, prepare
 * and artifact rows (`maxArtifactBytes`, `prepare.deadlineMs`, `prepare.maxHeapMb`,
 * `prepare.cacheMaxBytes`), the edge rows (`edgeAdmission`'s `maxLimit`, `targetDelayMs`,
 * `servingMinLimit`, the last at most the floor `minLimit`), `shards` and the cluster's
 * `leaseTtlSeconds` and `partitions`, each refused outside its row with the LimitOutOfRangeError
 * `caxton serve` gets, named by the option's path, before the node makes anything; edge limits out
 * of order refused there too.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError, LimitOutOfRangeError } from '@caxton/core';
import { checkNodeLimits } from '../../src/start/node-limits.js';
import { startNode } from '../../src/start/start-node.js';
import type { StartNodeOptions } from '../../src/start/options.js';

const MIB = 1024 ** 2;
const base = { apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' as const }, api: false, dataDir: 'unused' };

/** Each row's least and most, as an embedder passes them. */
const accepted: [string, Partial<StartNodeOptions>][] = [
  ['maxArtifactBytes least', { maxArtifactBytes: MIB }],
  ['maxArtifactBytes most', { maxArtifactBytes: 1024 * MIB }],
  ['prepare.deadlineMs least', { prepare: { deadlineMs: 1_000 } }],
  ['prepare.deadlineMs most', { prepare: { deadlineMs: 3_600_000 } }],
  ['prepare.maxHeapMb least', { prepare: { maxHeapMb: 64 } }],
  ['prepare.maxHeapMb most', { prepare: { maxHeapMb: 16_384 } }],
  ['edgeAdmission least', { edgeAdmission: { maxLimit: 4, targetDelayMs: 1, servingMinLimit: 1 } }],
  ['edgeAdmission most', { edgeAdmission: { maxLimit: 1_000_000, targetDelayMs: 60_000, servingMinLimit: 1_000 } }],
  // An embedder's own floor bounds its serving floor: equal to it, the serving floor is off (bench/bus.ts's --overload-edge off).
  ['edgeAdmission serving floor at a floor above 1,000', { edgeAdmission: { minLimit: 5_000, maxLimit: 10_000, servingMinLimit: 5_000 } }],
  ['edgeAdmission wholly off', { edgeAdmission: { minLimit: 1_000_000, maxLimit: 1_000_000, servingMinLimit: 1_000_000 } }],
  ['shards least', { shards: 1 }],
  ['shards most', { shards: 256 }],
  ['cluster least', { cluster: { leaseTtlSeconds: 1, partitions: 1 } }],
  ['cluster most', { cluster: { leaseTtlSeconds: 86_400, partitions: 4_096 } }],
  // Decision 2153: the Kafka session, the flagless cluster options, the request shape and the audit segments.
  [
    'cluster rows of 2153 least',
    {
      cluster: {
        sessionTimeoutMs: 1_000,
        drainTimeoutMs: 0,
        kafkaOpenTimeoutMs: 500,
        completionWithinMs: 0,
        maxPendingPerPartition: 2,
        kafkaRequests: { lingerMs: 0, fetchMinBytes: 1, fetchMaxWaitMs: 0, fetchMaxBytesPerPartition: 1 },
      },
    },
  ],
  [
    'cluster rows of 2153 most',
    {
      cluster: {
        sessionTimeoutMs: 1_800_000,
        drainTimeoutMs: 600_000,
        kafkaOpenTimeoutMs: 600_000,
        completionWithinMs: 600_000,
        maxPendingPerPartition: 65_536,
        kafkaRequests: { lingerMs: 100, fetchMinBytes: 16 * MIB, fetchMaxWaitMs: 30_000, fetchMaxBytesPerPartition: 64 * MIB },
      },
    },
  ],
  ['auditSegments least', { auditSegments: { segmentBytes: 64 * 1024, retainSegments: 1 } }],
  ['auditSegments most', { auditSegments: { segmentBytes: 1024 * MIB, retainSegments: 1_000_000 } }],
  ['kinds.defaultIdleMs least', { kinds: { defaultIdleMs: 100 } }],
  ['kinds.defaultIdleMs most', { kinds: { defaultIdleMs: 86_400_000 } }],
  ['replayHistory least', { replayHistory: { seconds: 0, bytes: 64 * MIB } }],
  ['replayHistory most', { replayHistory: { seconds: 30 * 86_400, bytes: 64 * 1024 * MIB } }],
];

/**
 * One past either end of each row, and what the refusal names: the option as the embedder passed it
 * (its path from startNode), and the range that applied in that option's unit (the heap's in MiB).
 */
const refused: [string, Partial<StartNodeOptions>, { field: string; min: number; ceiling: number; unit: string }][] = [
  [
    'replayHistory.seconds over',
    { replayHistory: { seconds: 30 * 86_400 + 1 } },
    { field: 'startNode.replayHistory.seconds', min: 0, ceiling: 30 * 86_400, unit: 'seconds' },
  ],
  [
    'replayHistory.bytes under one segment',
    { replayHistory: { bytes: 64 * MIB - 1 } },
    { field: 'startNode.replayHistory.bytes', min: 64 * MIB, ceiling: 64 * 1024 * MIB, unit: 'bytes' },
  ],
  [
    'traffic.fairWindowMs over',
    { traffic: { fairWindowMs: 60_001 } },
    { field: 'startNode.traffic.fairWindowMs', min: 1, ceiling: 60_000, unit: 'ms' },
  ],
  [
    'prepare.cacheMaxBytes under',
    { prepare: { cacheMaxBytes: 64 * MIB - 1 } },
    { field: 'startNode.prepare.cacheMaxBytes', min: 64 * MIB, ceiling: 1024 ** 4, unit: 'bytes' },
  ],
  [
    'maxArtifactBytes under',
    { maxArtifactBytes: MIB - 1 },
    { field: 'startNode.maxArtifactBytes', min: MIB, ceiling: 1024 * MIB, unit: 'bytes' },
  ],
  [
    'maxArtifactBytes over',
    { maxArtifactBytes: 1024 * MIB + 1 },
    { field: 'startNode.maxArtifactBytes', min: MIB, ceiling: 1024 * MIB, unit: 'bytes' },
  ],
  [
    'prepare.deadlineMs under',
    { prepare: { deadlineMs: 999 } },
    { field: 'startNode.prepare.deadlineMs', min: 1_000, ceiling: 3_600_000, unit: 'ms' },
  ],
  [
    'prepare.deadlineMs over',
    { prepare: { deadlineMs: 3_600_001 } },
    { field: 'startNode.prepare.deadlineMs', min: 1_000, ceiling: 3_600_000, unit: 'ms' },
  ],
  [
    'prepare.maxHeapMb under',
    { prepare: { maxHeapMb: 63 } },
    { field: 'startNode.prepare.maxHeapMb', min: 64, ceiling: 16_384, unit: 'MiB' },
  ],
  [
    'prepare.maxHeapMb over',
    { prepare: { maxHeapMb: 16_385 } },
    { field: 'startNode.prepare.maxHeapMb', min: 64, ceiling: 16_384, unit: 'MiB' },
  ],
  [
    'prepare.maxHeapMb a fraction',
    { prepare: { maxHeapMb: 100.5 } },
    { field: 'startNode.prepare.maxHeapMb', min: 64, ceiling: 16_384, unit: 'MiB' },
  ],
  [
    'edgeAdmission.maxLimit under',
    { edgeAdmission: { maxLimit: 3 } },
    { field: 'startNode.edgeAdmission.maxLimit', min: 4, ceiling: 1_000_000, unit: 'messages' },
  ],
  [
    'edgeAdmission.maxLimit over',
    { edgeAdmission: { maxLimit: 1_000_001 } },
    { field: 'startNode.edgeAdmission.maxLimit', min: 4, ceiling: 1_000_000, unit: 'messages' },
  ],
  [
    'edgeAdmission.targetDelayMs under',
    { edgeAdmission: { targetDelayMs: 0 } },
    { field: 'startNode.edgeAdmission.targetDelayMs', min: 1, ceiling: 60_000, unit: 'ms' },
  ],
  [
    'edgeAdmission.targetDelayMs over',
    { edgeAdmission: { targetDelayMs: 60_001 } },
    { field: 'startNode.edgeAdmission.targetDelayMs', min: 1, ceiling: 60_000, unit: 'ms' },
  ],
  [
    'edgeAdmission.servingMinLimit over the default floor',
    { edgeAdmission: { servingMinLimit: 1_001 } },
    { field: 'startNode.edgeAdmission.servingMinLimit', min: 1, ceiling: 1_000, unit: 'messages' },
  ],
  [
    'edgeAdmission.servingMinLimit over maxLimit',
    { edgeAdmission: { maxLimit: 8, servingMinLimit: 9 } },
    { field: 'startNode.edgeAdmission.servingMinLimit', min: 1, ceiling: 8, unit: 'messages' },
  ],
  [
    'edgeAdmission.servingMinLimit over the minLimit given',
    { edgeAdmission: { minLimit: 5_000, maxLimit: 10_000, servingMinLimit: 5_001 } },
    { field: 'startNode.edgeAdmission.servingMinLimit', min: 1, ceiling: 5_000, unit: 'messages' },
  ],
  ['shards under', { shards: 0 }, { field: 'startNode.shards', min: 1, ceiling: 256, unit: 'shards' }],
  ['shards over', { shards: 257 }, { field: 'startNode.shards', min: 1, ceiling: 256, unit: 'shards' }],
  [
    'cluster.leaseTtlSeconds under',
    { cluster: { leaseTtlSeconds: 0 } },
    { field: 'startNode.cluster.leaseTtlSeconds', min: 1, ceiling: 86_400, unit: 'seconds' },
  ],
  [
    'cluster.leaseTtlSeconds over',
    { cluster: { leaseTtlSeconds: 86_401 } },
    { field: 'startNode.cluster.leaseTtlSeconds', min: 1, ceiling: 86_400, unit: 'seconds' },
  ],
  [
    'cluster.partitions under',
    { cluster: { partitions: 0 } },
    { field: 'startNode.cluster.partitions', min: 1, ceiling: 4_096, unit: 'partitions' },
  ],
  [
    'cluster.partitions over',
    { cluster: { partitions: 4_097 } },
    { field: 'startNode.cluster.partitions', min: 1, ceiling: 4_096, unit: 'partitions' },
  ],
  [
    'cluster.sessionTimeoutMs under',
    { cluster: { sessionTimeoutMs: 999 } },
    { field: 'startNode.cluster.sessionTimeoutMs', min: 1_000, ceiling: 1_800_000, unit: 'ms' },
  ],
  [
    'cluster.maxPendingPerPartition over',
    { cluster: { maxPendingPerPartition: 65_537 } },
    { field: 'startNode.cluster.maxPendingPerPartition', min: 2, ceiling: 65_536, unit: 'count' },
  ],
  [
    'cluster.kafkaRequests.lingerMs over',
    { cluster: { kafkaRequests: { lingerMs: 101 } } },
    { field: 'startNode.cluster.kafkaRequests.lingerMs', min: 0, ceiling: 100, unit: 'ms' },
  ],
  [
    'auditSegments.segmentBytes under',
    { auditSegments: { segmentBytes: 64 * 1024 - 1 } },
    { field: 'startNode.auditSegments.segmentBytes', min: 64 * 1024, ceiling: 1024 * MIB, unit: 'bytes' },
  ],
  [
    'auditSegments.segmentBytes over',
    { auditSegments: { segmentBytes: 1024 * MIB + 1 } },
    { field: 'startNode.auditSegments.segmentBytes', min: 64 * 1024, ceiling: 1024 * MIB, unit: 'bytes' },
  ],
  [
    'auditSegments.retainSegments under',
    { auditSegments: { retainSegments: 0 } },
    { field: 'startNode.auditSegments.retainSegments', min: 1, ceiling: 1_000_000, unit: 'closed segments' },
  ],
  [
    'auditSegments.retainSegments over',
    { auditSegments: { retainSegments: 1_000_001 } },
    { field: 'startNode.auditSegments.retainSegments', min: 1, ceiling: 1_000_000, unit: 'closed segments' },
  ],
  // What every kind deployed without --idle gets: 0 would passivate at once, NaN never.
  [
    'kinds.defaultIdleMs under',
    { kinds: { defaultIdleMs: 99 } },
    { field: 'startNode.kinds.defaultIdleMs', min: 100, ceiling: 86_400_000, unit: 'ms' },
  ],
  [
    'kinds.defaultIdleMs NaN',
    { kinds: { defaultIdleMs: Number.NaN } },
    { field: 'startNode.kinds.defaultIdleMs', min: 100, ceiling: 86_400_000, unit: 'ms' },
  ],
];

const grouped = (n: number): string => n.toLocaleString('en-US');

const isRefusal =
  (want: { field: string; min: number; ceiling: number; unit: string }) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof LimitOutOfRangeError, String(err));
    assert.equal(err.code, 'limits.out-of-range');
    const limit = want.field.split('.').at(-1)!;
    assert.deepEqual(
      { field: err.field, limit: err.limit, min: err.min, ceiling: err.ceiling },
      { field: want.field, limit, min: want.min, ceiling: want.ceiling },
    );
    assert.ok(err.message.startsWith(`${want.field}: `), err.message);
    assert.ok(
      err.message.endsWith(
        `is not a valid ${limit}; it must be a whole number in ${grouped(want.min)}..${grouped(want.ceiling)} (${want.unit})`,
      ),
      err.message,
    );
    return true;
  };

/** Edge limits each in its row but out of order: refused by edge admission's own check, named as the option. */
const outOfOrder: [string, Partial<StartNodeOptions>][] = [
  ['edgeAdmission.minLimit over maxLimit', { edgeAdmission: { minLimit: 10, maxLimit: 8 } }],
  ['edgeAdmission.minLimit 0', { edgeAdmission: { minLimit: 0 } }],
];

const isOutOfOrder = (err: unknown): boolean => {
  assert.ok(err instanceof InvalidArgumentError, String(err));
  assert.equal(err.code, 'api.invalid');
  assert.equal(err.field, 'startNode.edgeAdmission');
  return true;
};

test("startNode's options at each artifact, edge, node and cluster row's least and most pass the check", () => {
  for (const [what, options] of accepted) assert.doesNotThrow(() => checkNodeLimits({ ...base, ...options }), what);
});

test("startNode's options one past an artifact, edge, node or cluster row are refused with the row's LimitOutOfRangeError", () => {
  for (const [what, options, want] of refused) assert.throws(() => checkNodeLimits({ ...base, ...options }), isRefusal(want), what);
});

test("startNode's edge limits out of order (minLimit over maxLimit) are refused by the check edge admission makes", () => {
  for (const [what, options] of outOfOrder) assert.throws(() => checkNodeLimits({ ...base, ...options }), isOutOfOrder, what);
});

test('startNode refuses an artifact, edge, node or cluster option outside its row before it makes the data directory', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'caxton-node-limits-'));
  try {
    for (const [i, [what, options, want]] of refused.entries()) {
      const dataDir = path.join(root, `data-${i}`);
      await assert.rejects(startNode({ ...base, shards: 1, ...options, dataDir }), isRefusal(want), what);
      assert.equal(existsSync(dataDir), false, `${what}: nothing made`);
    }
    for (const [i, [what, options]] of outOfOrder.entries()) {
      const dataDir = path.join(root, `order-${i}`);
      await assert.rejects(startNode({ ...base, shards: 1, ...options, dataDir }), isOutOfOrder, what);
      assert.equal(existsSync(dataDir), false, `${what}: nothing made`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('startNode refuses a replayHistory key no row has, named by its path, before it makes anything (decision 2179)', () => {
  assert.throws(
    () => checkNodeLimits({ ...base, replayHistory: { secs: 3_600 } as unknown as StartNodeOptions['replayHistory'] }),
    (err: unknown) => (err as { code?: string }).code === 'limits.unknown' && /startNode\.replayHistory/.test((err as Error).message),
  );
});

test("an agent's own replay history (decision 2182): refused past its rows, in cluster mode, or no longer than the node's history, before anything is made", async () => {
  const refusals: [string, Partial<StartNodeOptions>, RegExp][] = [
    [
      'seconds past the ceiling',
      { agentReplayHistory: { billing: { seconds: 30 * 86_400 + 1 } } },
      /agentReplayHistory\.billing\.seconds: /,
    ],
    ['no seconds', { agentReplayHistory: { billing: {} as { seconds: number } } }, /agentReplayHistory\.billing: needs seconds/],
    ['a name that is not a deployment', { agentReplayHistory: { '../x': { seconds: 60 } } }, /is not a deployment name/],
    [
      'in cluster mode',
      { agentReplayHistory: { billing: { seconds: 60 } }, kafka: { brokers: ['k:9092'] } } as Partial<StartNodeOptions>,
      /a cluster keeps its history in Kafka/,
    ],
    [
      "no longer than the node's",
      { replayHistory: { seconds: 3600 }, agentReplayHistory: { billing: { seconds: 3600 } } },
      /keeps no more than the node's history \(3600 s\)/,
    ],
  ];
  const root = await mkdtemp(path.join(os.tmpdir(), 'caxton-agent-history-limits-'));
  try {
    for (const [i, [what, options, message]] of refusals.entries()) {
      const dataDir = path.join(root, `data-${i}`);
      await assert.rejects(
        startNode({ ...base, shards: 1, ...options, dataDir }),
        (err: unknown) =>
          (err as { code?: string }).code !== undefined && message.test((err as Error).message) && Boolean((err as { hint?: string }).hint),
        what,
      );
      assert.equal(existsSync(dataDir), false, `${what}: nothing made`);
    }
    assert.doesNotThrow(() =>
      checkNodeLimits({ ...base, replayHistory: { seconds: 3600 }, agentReplayHistory: { billing: { seconds: 3601, bytes: 1 << 20 } } }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
