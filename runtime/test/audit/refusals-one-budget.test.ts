/**
 * A node's refused calls share one budget whichever way they come (decision 2207): an address
 * without a token that spends its budget on the gRPC API gets no more records on the console; the
 * rest are counted and, when the node stops, summed up in one RefusedCalls record.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CaxtonClient } from '@caxton/client';
import { decodeRecord } from '@caxton/core';
import { FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { DEFAULT_REFUSAL_BUDGET } from '../../src/audit/refusal-budget.js';
import { REFUSED_CALLS_METHOD } from '../../src/audit/refused-call-records.js';
import { startNode } from '../../src/start/start-node.js';

describe('refused calls, one budget per node', () => {
  it('counts an address on the API and the console together, and says what it suppressed when the node stops', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-refusals-'));
    const dataDir = path.join(dir, 'data');
    try {
      const node = await startNode({
        dataDir,
        apiHost: '127.0.0.1',
        apiPort: 0,
        auth: { mode: 'token' },
        shards: 1,
        console: { host: '127.0.0.1', port: 0 },
      });
      const perWindow = DEFAULT_REFUSAL_BUDGET.perWindow;
      const overApi = perWindow + 3;
      const overConsole = 4;
      try {
        const anonymous = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: 'cxt_made-up' });
        try {
          for (let i = 0; i < overApi; i++) await assert.rejects(anonymous.listAgents(), /unauthenticated|UNAUTHENTICATED|token/i);
        } finally {
          anonymous.close();
        }
        for (let i = 0; i < overConsole; i++) {
          const res = await fetch(`${node.consoleUrl}api/agents`);
          assert.equal(res.status, 401);
          await res.arrayBuffer();
        }
      } finally {
        await node.stop();
      }
      const trail = await FileAuditTrail.open({ dir: path.join(dataDir, 'audit') });
      try {
        const records = (await trail.read(0, 100_000)).map(
          (s) => decodeRecord(s.bytes) as unknown as { method: string; peer: string; args?: { fields?: Record<string, string> } },
        );
        const refusedOnes = records.filter((r) => r.method === 'ListAgents' || r.peer.startsWith('console '));
        assert.equal(
          refusedOnes.length,
          perWindow,
          `one address, ${perWindow} records a minute in all: ${JSON.stringify(refusedOnes.map((r) => r.peer))}`,
        );
        assert.equal(refusedOnes.filter((r) => r.peer.startsWith('console ')).length, 0, 'the console had none left for it');
        const summaries = records.filter((r) => r.method === REFUSED_CALLS_METHOD);
        assert.deepEqual(
          summaries.map((r) => [r.peer, r.args?.fields?.suppressed]),
          [['127.0.0.1', String(overApi + overConsole - perWindow)]],
          'the rest said in one summary, written as the node stopped',
        );
        // By kind: the node's own error code, one cause one kind whichever ingress (gRPC: not only its status).
        assert.deepEqual(
          summaries.map((r) => r.args?.fields?.suppressedKinds),
          [`api.unauthenticated ${overApi + overConsole - perWindow}`],
        );
      } finally {
        await trail.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
