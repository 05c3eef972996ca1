/**
 * A rollout does not survive a restart (decision 1871): the restarted node finds it open in its
 * audit trail, writes its closing `AbortRollout` record and shows it aborted, once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { decodeRecord, type AuditRecord } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { startNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { artifact } from './support/rollout-node.js';

type Fields = Record<string, string>;

/** The fields of every intent record of `method` for `agent` in the node's audit trail, in order. */
async function intents(client: CaxtonClient, method: string, agent: string): Promise<Fields[]> {
  const records: AuditRecord[] = [];
  await client.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
  return records
    .filter((r) => r.kind === 'intent' && r.method === method && (r as { args: { fields: Fields } }).args.fields.agent === agent)
    .map((r) => (r as { args: { fields: Fields } }).args.fields);
}

describe('a rollout the node restarted during', () => {
  it('is closed at start (AbortRollout, the restart as reason) and shown aborted in the list', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-rollout-restart-'));
    const echo = await artifact('as-echo', 'as-echo');
    const counter = await artifact('as-counter', 'as-counter');
    const open = async () => {
      const running = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'token' }, shards: 1 });
      const client = await CaxtonClient.connect({ address: `127.0.0.1:${running.apiPort}`, token: await readTokenFile(tokenFilePath(dir)) });
      return { running, client };
    };
    try {
      let n = await open();
      await n.client.deploy({ name: 'restarted' }, echo);
      await n.client.upgrade({ name: 'restarted', rollout: { strategy: { kind: 'canary', percent: 25 }, thresholds: { bakeMs: 90_000, maxP99Ms: 700 } } }, counter);
      n.client.close();
      await n.running.stop();

      n = await open();
      try {
        const listed = (await n.client.listAgents()).find((a) => a.name === 'restarted');
        assert.equal(listed?.version, 1, 'back on the running version');
        assert.equal(listed?.rollout?.phase, 'aborted');
        assert.equal(listed?.rollout?.candidateVersion, 2);
        assert.deepEqual(listed?.rollout?.strategy, { kind: 'canary', percent: 25 });
        assert.deepEqual({ bakeMs: listed?.rollout?.thresholds.bakeMs, maxP99Ms: listed?.rollout?.thresholds.maxP99Ms }, { bakeMs: 90_000, maxP99Ms: 700 }, 'the thresholds asked');
        assert.match(listed?.rollout?.reason ?? '', /started with this rollout open/);
        const closing = await intents(n.client, 'AbortRollout', 'restarted');
        assert.equal(closing.length, 1);
        assert.deepEqual({ outcome: closing[0]?.outcome, version: closing[0]?.version }, { outcome: 'aborted', version: '2' });
      } finally {
        n.client.close();
        await n.running.stop();
      }
      // A second restart finds it closed: no second record.
      n = await open();
      try {
        assert.equal((await intents(n.client, 'AbortRollout', 'restarted')).length, 1, 'closed once');
      } finally {
        n.client.close();
        await n.running.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
