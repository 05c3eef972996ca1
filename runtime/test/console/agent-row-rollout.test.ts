/** The console's agent row carries a rollout as one line (decision 1871), and nothing when none ran. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStatus } from '@caxton/core';
import { agentRow } from '../../src/console/views.js';

const base: AgentStatus = {
  name: 'echo',
  state: 'running',
  nodeId: 'n1',
  version: 1,
  artifactDigest: 'ab'.repeat(32),
  artifactSize: 1,
  limits: { fuelPerMessage: 1, memoryPages: 1 },
  config: {},
  restarts: 0,
  fuelUsed: 0,
  memoryPages: 1,
  mailboxDepth: 0,
  messagesHandled: 0,
  createdAt: 1,
  updatedAt: 2,
};
const rollout: NonNullable<AgentStatus['rollout']> = {
  strategy: { kind: 'canary', percent: 10 },
  phase: 'baking',
  candidateVersion: 2,
  candidateDigest: 'cd'.repeat(32),
  startedAt: 1,
  bakeUntil: 2,
  thresholds: { maxCrashRatePercent: 1, maxFailureRatePercent: 5, maxP99Ms: 1000, bakeMs: 1 },
  counts: { handled: 12, crashes: 0, failures: 1 },
};

test('a rollout is one line in the row; none, no field', () => {
  assert.equal(agentRow({ ...base, rollout }).rollout, 'canary:10 baking v2: 12 handled, 0 crashed, 1 failed');
  assert.equal(
    agentRow({ ...base, rollout: { ...rollout, phase: 'rolled-back', reason: 'crash rate 2/5 above 1%' } }).rollout,
    'canary:10 rolled-back v2: 12 handled, 0 crashed, 1 failed (crash rate 2/5 above 1%)',
  );
  assert.ok(!('rollout' in agentRow(base)));
});
