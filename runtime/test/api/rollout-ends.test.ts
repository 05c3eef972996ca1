/**
 * Every end of a rollout is closed (decision 1871, issue 28 review) on a real node with real
 * AssemblyScript agents: a rollout ended by StopAgent (forced or not), an operator's rollback or a
 * node restart writes its closing `AbortRollout` record (outcome `aborted`, with the reason) and
 * shows so in the agent's status; and work the new version lost to a shard reset another agent caused is not
 * counted against it (decision 0900: "not this agent's fault").
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeRecord, type AuditRecord } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { startNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { artifact, startRolloutNode, type RolloutNode } from './support/rollout-node.js';
import { eventually } from './support/harness.js';

type Fields = Record<string, string>;

/** The fields of every intent record of `method` for `agent` in the node's audit trail, in order. */
async function intents(client: CaxtonClient, method: string, agent: string): Promise<Fields[]> {
  const records: AuditRecord[] = [];
  await client.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
  return records
    .filter((r) => r.kind === 'intent' && r.method === method && (r as { args: { fields: Fields } }).args.fields.agent === agent)
    .map((r) => (r as { args: { fields: Fields } }).args.fields);
}

const LONG_BAKE = { bakeMs: 120_000 };

describe('a rollout ended by a stop, a deploy or a restart is closed in the trail and the status', () => {
  let node: RolloutNode;
  let client: CaxtonClient;
  let echo: Uint8Array;
  let counter: Uint8Array;

  before(async () => {
    node = await startRolloutNode('caxton-rollout-ends-');
    client = node.client;
    echo = await artifact('as-echo', 'as-echo');
    counter = await artifact('as-counter', 'as-counter');
  });
  after(async () => {
    await node?.stop();
  });

  it('a stop during a rollout writes AbortRollout (aborted, the reason) and answers it aborted', async () => {
    await client.deploy({ name: 'stopped' }, echo);
    await client.upgrade({ name: 'stopped', rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: LONG_BAKE } }, counter);
    const stopped = await client.stop('stopped');
    assert.equal(stopped.rollout?.phase, 'aborted');
    assert.match(stopped.rollout?.reason ?? '', /stopped/);
    const [closing, ...more] = await intents(client, 'AbortRollout', 'stopped');
    assert.equal(more.length, 0, 'one closing record');
    assert.deepEqual({ version: closing?.version, strategy: closing?.strategy, outcome: closing?.outcome, reason: closing?.reason },
      { version: '2', strategy: 'canary:50', outcome: 'aborted', reason: 'the agent was stopped' });
  });

  it('a forced stop closes it too, and a deployment anew shows no rollout of the one before', async () => {
    await client.deploy({ name: 'redeployed' }, echo);
    await client.upgrade({ name: 'redeployed', rollout: { strategy: { kind: 'blue-green' }, thresholds: LONG_BAKE } }, counter);
    assert.equal((await client.stop('redeployed', true)).rollout?.phase, 'aborted');
    const closing = await intents(client, 'AbortRollout', 'redeployed');
    assert.deepEqual(closing.map((f) => [f.outcome, f.reason]), [['aborted', 'the agent was stopped']]);
    await client.deploy({ name: 'redeployed' }, echo);
    assert.equal((await client.getAgent('redeployed')).rollout, undefined);
    assert.equal((await intents(client, 'AbortRollout', 'redeployed')).length, 1, 'an ended rollout is not closed twice');
  });

  it('an operator rollback during a rollout writes AbortRollout; the ended rollout keeps its counts and p99', async () => {
    await client.deploy({ name: 'undone' }, echo);
    await client.upgrade({ name: 'undone', rollout: { strategy: { kind: 'blue-green' }, thresholds: LONG_BAKE } }, counter);
    for (let i = 0; i < 3; i++) await node.ask('undone', `undone-${i}`, `m${i}`);
    const baking = (await client.getAgent('undone')).rollout!;
    assert.equal(baking.counts.handled, 3);
    await client.rollback('undone');
    const ended = (await client.getAgent('undone')).rollout!;
    assert.equal(ended.phase, 'aborted');
    assert.deepEqual(ended.counts, baking.counts, 'the numbers stay shown once the samples are let go');
    assert.equal((await intents(client, 'AbortRollout', 'undone'))[0]?.reason, 'rolled back by the operator');
  });
});

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
        assert.match(listed?.rollout?.reason ?? '', /restarted/);
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

describe('a shard reset another agent caused during a bake', () => {
  let node: RolloutNode;
  let client: CaxtonClient;

  before(async () => {
    node = await startRolloutNode('caxton-rollout-reset-');
    client = node.client;
  });
  after(async () => {
    await node?.stop();
  });

  it('is not counted against the new version: the canary is not rolled back for it', async () => {
    const echo = await artifact('as-echo', 'as-echo');
    const counter = await artifact('as-counter', 'as-counter');
    const spinner = await artifact('hostile/as-infinite-loop', 'hostile-as-infinite-loop');
    await client.deploy({ name: 'calm' }, echo);
    await client.upgrade({ name: 'calm', rollout: { strategy: { kind: 'blue-green' }, thresholds: LONG_BAKE } }, counter);
    // One shard: the runaway's wall clock resets the shard the new version runs on.
    await client.deploy({ name: 'runaway', limits: { fuelPerMessage: 100_000_000_000 } }, spinner);
    let handedBack = 0;
    for (let round = 0; handedBack === 0; round++) {
      assert.ok(round < 5, 'work of the new version interrupted by a reset within 5 rounds');
      await client.send({ structured: { performative: 'inform', receivers: [{ name: 'runaway' }], content: 'spin', conversationId: `spin-${round}` } });
      // Openers go to the new version (blue-green); one answered as sent was handed to the running echo.
      const answers = await Promise.all([0, 1, 2, 3].map((k) => node.ask('calm', `calm-${round}-${k}`, `r${round}k${k}`).then((a) => a === `r${round}k${k}`)));
      handedBack += answers.filter(Boolean).length;
    }
    await client.stop('runaway', true);
    for (let i = 0; i < 6; i++) await node.ask('calm', `after-${i}`, `a${i}`);
    const rollout = (await client.getAgent('calm')).rollout!;
    assert.equal(rollout.phase, 'baking', `not rolled back (${rollout.reason ?? ''})`);
    assert.equal(rollout.counts.crashes, 0, 'the reset is not the new version\'s crash');
    assert.ok(rollout.counts.handled >= 6);
  });
});
