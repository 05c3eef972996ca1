/**
 * Replicas restored at start-up (decision 2010, review finding 11) on a real node: embedded log,
 * three sandbox shards, the real AssemblyScript replica echo over gRPC. The restore goes through the
 * same preconditions and budget as a scale; an agent it cannot restore runs as one and its record is
 * rewritten to one as an audited change (peer `replicas`); an agent held by the kill switch at start
 * runs as one, and its status shows the count its record keeps (`recorded`) until the next start
 * restores it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeRecord, type AuditRecord } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { artifact } from './support/rollout-node.js';
import { eventually } from './support/harness.js';

type Fields = Record<string, string>;

describe('replicas restored when the node starts', () => {
  let dir: string;
  let node: RunningNode | undefined;
  let client: CaxtonClient | undefined;

  const start = async (maxReplicaInstances?: number): Promise<CaxtonClient> => {
    client?.close();
    await node?.stop();
    node = await startNode({
      dataDir: dir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 3,
      ...(maxReplicaInstances !== undefined ? { maxReplicaInstances } : {}),
    });
    client = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: await readTokenFile(tokenFilePath(dir)) });
    return client;
  };
  /** The `ScaleAgent` intents about `agent`, each with the code of the outcome that closed it ('' while none has). */
  const scaleAudits = async (c: CaxtonClient, agent: string): Promise<{ peer: string; fields: Fields; outcome: string }[]> => {
    const records: AuditRecord[] = [];
    await c.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
    const outcomes = new Map(records.flatMap((r) => (r.kind === 'outcome' ? [[r.intent.index, r.result.code] as const] : [])));
    return records.flatMap((r) =>
      r.kind === 'intent' && r.method === 'ScaleAgent' && r.args.fields.agent === agent
        ? [{ peer: r.peer, fields: r.args.fields, outcome: outcomes.get(r.index) ?? '' }]
        : [],
    );
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-replicas-restore-'));
  });
  after(async () => {
    client?.close();
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a held agent shows its recorded count; one past the budget is downgraded, audited; the next start restores the held one', async () => {
    let c = await start();
    const probe = await artifact('as-replica-echo', 'as-replica-echo');
    await c.deploy({ name: 'held' }, probe);
    await c.scale('held', 2);
    await c.suspend('held');
    await c.deploy({ name: 'over' }, probe);
    await c.scale('over', 3);
    // Stopped with its queue kept while scaled: nothing runs, so no count stays in its record.
    await c.deploy({ name: 'gone' }, probe);
    await c.scale('gone', 2);
    assert.equal((await c.stop('gone', false, true)).replicas, undefined, 'the stop answers no replicas');
    assert.equal((await c.getAgent('gone')).replicas, undefined, 'stopped, queue kept: no replicas shown');

    // Restarted with room for one replica beyond the agents' own: `over` (2 more) cannot be restored.
    c = await start(1);
    // Suspended when the node started: runs as one, and says its record keeps 2 (before: nothing shown).
    assert.deepEqual((await c.getAgent('held')).replicas, { replicas: 1, draining: 0, recorded: 2 });
    // The restore met the budget a scale meets: runs as one, and the record is rewritten to one as an
    // audited change of the node's (before: rewritten without an audit record).
    assert.equal((await c.getAgent('over')).replicas, undefined, 'over runs as one');
    await eventually(
      async () => (await scaleAudits(c, 'over')).some((r) => r.peer === 'replicas' && r.outcome !== ''),
      'the start-up downgrade audited',
      10_000,
    );
    const downgrades = (await scaleAudits(c, 'over')).filter((r) => r.peer === 'replicas');
    assert.equal(downgrades.length, 1, 'audited once');
    const downgrade = downgrades[0]!;
    assert.equal(downgrade.outcome, 'OK');
    assert.equal(downgrade.fields.replicas, '1');
    assert.equal(downgrade.fields.recorded, '3');
    // The budget's refusal, as a scale meets it (before: a regex that matched almost any reason).
    assert.match(
      downgrade.fields.reason ?? '',
      /^not restored at start-up: cannot scale over: 2 more replica instances would pass the node's 1 \(0 run now\)$/,
    );
    // Its downgrade was queued with over's (in name order, before it) and nothing was: before, one
    // "agent gone is stopped" downgrade per agent stopped with its queue kept while scaled.
    assert.equal((await c.getAgent('gone')).replicas, undefined);
    assert.deepEqual(
      (await scaleAudits(c, 'gone')).filter((r) => r.peer === 'replicas'),
      [],
      'no downgrade of a stopped agent',
    );

    // Resumed, still one until the next start (no agent code ran for it at resume); that start restores it.
    await c.resume('held');
    assert.deepEqual((await c.getAgent('held')).replicas, { replicas: 1, draining: 0, recorded: 2 });
    c = await start();
    assert.deepEqual((await c.getAgent('held')).replicas, { replicas: 2, draining: 0 }, 'restored from the record');
    assert.equal((await c.getAgent('over')).replicas, undefined, 'the record of over says one now');
    assert.equal((await scaleAudits(c, 'held')).filter((r) => r.peer === 'replicas').length, 0, 'nothing downgraded held');
  });
});
