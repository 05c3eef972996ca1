/**
 * startNode's check of the options core's limit tables bound (decision 2149): the artifact rows
 * (`maxArtifactBytes`, `prepare.deadlineMs`, `prepare.maxHeapMb`), the edge rows (`edgeAdmission`'s
 * `maxLimit`, `targetDelayMs`, `servingMinLimit`), `shards` and the cluster's `leaseTtlSeconds` and
 * `partitions`, each refused outside its row with the
 * LimitOutOfRangeError `caxton serve` gets, before the node makes anything.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LimitOutOfRangeError } from '@caxton/core';
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
  ['shards least', { shards: 1 }],
  ['shards most', { shards: 256 }],
  ['cluster least', { cluster: { leaseTtlSeconds: 1, partitions: 1 } }],
  ['cluster most', { cluster: { leaseTtlSeconds: 86_400, partitions: 4_096 } }],
];

/** One past either end of each row, and what the refusal names: the row, and the range that applied. */
const refused: [string, Partial<StartNodeOptions>, { limit: string; min: number; ceiling: number }][] = [
  ['maxArtifactBytes under', { maxArtifactBytes: MIB - 1 }, { limit: 'maxArtifactBytes', min: MIB, ceiling: 1024 * MIB }],
  ['maxArtifactBytes over', { maxArtifactBytes: 1024 * MIB + 1 }, { limit: 'maxArtifactBytes', min: MIB, ceiling: 1024 * MIB }],
  ['prepare.deadlineMs under', { prepare: { deadlineMs: 999 } }, { limit: 'prepareDeadlineMs', min: 1_000, ceiling: 3_600_000 }],
  ['prepare.deadlineMs over', { prepare: { deadlineMs: 3_600_001 } }, { limit: 'prepareDeadlineMs', min: 1_000, ceiling: 3_600_000 }],
  ['prepare.maxHeapMb under', { prepare: { maxHeapMb: 63 } }, { limit: 'prepareHeapBytes', min: 64 * MIB, ceiling: 16_384 * MIB }],
  ['prepare.maxHeapMb over', { prepare: { maxHeapMb: 16_385 } }, { limit: 'prepareHeapBytes', min: 64 * MIB, ceiling: 16_384 * MIB }],
  ['prepare.maxHeapMb a fraction', { prepare: { maxHeapMb: 100.5 } }, { limit: 'prepareHeapBytes', min: 64 * MIB, ceiling: 16_384 * MIB }],
  ['edgeAdmission.maxLimit under', { edgeAdmission: { maxLimit: 3 } }, { limit: 'maxLimit', min: 4, ceiling: 1_000_000 }],
  ['edgeAdmission.maxLimit over', { edgeAdmission: { maxLimit: 1_000_001 } }, { limit: 'maxLimit', min: 4, ceiling: 1_000_000 }],
  ['edgeAdmission.targetDelayMs under', { edgeAdmission: { targetDelayMs: 0 } }, { limit: 'targetDelayMs', min: 1, ceiling: 60_000 }],
  ['edgeAdmission.targetDelayMs over', { edgeAdmission: { targetDelayMs: 60_001 } }, { limit: 'targetDelayMs', min: 1, ceiling: 60_000 }],
  ['edgeAdmission.servingMinLimit over', { edgeAdmission: { servingMinLimit: 1_001 } }, { limit: 'servingMinLimit', min: 1, ceiling: 1_000 }],
  ['edgeAdmission.servingMinLimit over maxLimit', { edgeAdmission: { maxLimit: 8, servingMinLimit: 9 } }, { limit: 'servingMinLimit', min: 1, ceiling: 8 }],
  ['shards under', { shards: 0 }, { limit: 'shards', min: 1, ceiling: 256 }],
  ['shards over', { shards: 257 }, { limit: 'shards', min: 1, ceiling: 256 }],
  ['cluster.leaseTtlSeconds under', { cluster: { leaseTtlSeconds: 0 } }, { limit: 'leaseTtlSeconds', min: 1, ceiling: 86_400 }],
  ['cluster.leaseTtlSeconds over', { cluster: { leaseTtlSeconds: 86_401 } }, { limit: 'leaseTtlSeconds', min: 1, ceiling: 86_400 }],
  ['cluster.partitions under', { cluster: { partitions: 0 } }, { limit: 'partitions', min: 1, ceiling: 4_096 }],
  ['cluster.partitions over', { cluster: { partitions: 4_097 } }, { limit: 'partitions', min: 1, ceiling: 4_096 }],
];

const isRefusal = (want: { limit: string; min: number; ceiling: number }) => (err: unknown): boolean => {
  assert.ok(err instanceof LimitOutOfRangeError, String(err));
  assert.equal(err.code, 'limits.out-of-range');
  assert.deepEqual({ limit: err.limit, min: err.min, ceiling: err.ceiling }, want);
  // The cluster's rows are named as in resolveClusterOptions, which checks them again where the topology opens.
  const field = want.limit === 'leaseTtlSeconds' || want.limit === 'partitions' ? 'cluster' : 'startNode';
  assert.match(err.message, new RegExp(`^${field}\\.${want.limit}: `));
  return true;
};

test('startNode\'s options at each artifact, edge, node and cluster row\'s least and most pass the check', () => {
  for (const [what, options] of accepted) assert.doesNotThrow(() => checkNodeLimits({ ...base, ...options }), what);
});

test('startNode\'s options one past an artifact, edge, node or cluster row are refused with the row\'s LimitOutOfRangeError', () => {
  for (const [what, options, want] of refused) assert.throws(() => checkNodeLimits({ ...base, ...options }), isRefusal(want), what);
});

test('startNode refuses an artifact, edge, node or cluster option outside its row before it makes the data directory', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'caxton-node-limits-'));
  try {
    for (const [i, [what, options, want]] of refused.entries()) {
      const dataDir = path.join(root, `data-${i}`);
      await assert.rejects(startNode({ ...base, shards: 1, ...options, dataDir }), isRefusal(want), what);
      assert.equal(existsSync(dataDir), false, `${what}: nothing made`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
