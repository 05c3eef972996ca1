/** The console's agent row carries a circuit breaker that is not closed, and nothing while closed (decision 1921). */
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

test('an open or half-open breaker is in the row; a closed one is not', () => {
  assert.equal(agentRow({ ...base, breaker: { state: 'open', failures: 5, retryAfterMs: 10 } }).breaker, 'open');
  assert.equal(agentRow({ ...base, breaker: { state: 'half-open', failures: 5 } }).breaker, 'half-open');
  assert.ok(!('breaker' in agentRow(base)));
});
