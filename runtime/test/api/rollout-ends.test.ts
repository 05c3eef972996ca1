/**
 * Every end of a rollout is closed (decision 1871, issue 28 review) on a real node with real
 * AssemblyScript agents: a rollout ended by StopAgent (forced or not), an operator's rollback or a
 * node restart writes its closing `AbortRollout` record (outcome `aborted`, with the reason) and
 * shows so in the agent's status (restart: rollout-restart.test.ts; shard resets: rollout-reset.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CaxtonClient } from '@caxton/client';
import { artifact, startRolloutNode, type RolloutNode } from './support/rollout-node.js';
import { intents } from './support/audit-intents.js';

const LONG_BAKE = { bakeMs: 120_000 };

describe('a rollout ended by a stop or a restart is closed in the trail and the status', () => {
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
    assert.deepEqual(
      { version: closing?.version, strategy: closing?.strategy, outcome: closing?.outcome, reason: closing?.reason },
      { version: '2', strategy: 'canary:50', outcome: 'aborted', reason: 'the agent was stopped' },
    );
  });

  it('a forced stop closes it too, and a deployment anew shows no rollout of the one before', async () => {
    await client.deploy({ name: 'redeployed' }, echo);
    await client.upgrade({ name: 'redeployed', rollout: { strategy: { kind: 'blue-green' }, thresholds: LONG_BAKE } }, counter);
    assert.equal((await client.stop('redeployed', true)).rollout?.phase, 'aborted');
    const closing = await intents(client, 'AbortRollout', 'redeployed');
    assert.deepEqual(
      closing.map((f) => [f.outcome, f.reason]),
      [['aborted', 'the agent was stopped']],
    );
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
