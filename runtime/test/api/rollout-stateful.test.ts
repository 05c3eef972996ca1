/**
 * Blue-green rollouts of agents that keep durable state, by handover (decision 2170), on a real
 * node: embedded log, real AssemblyScript agents, real gRPC. The new version (the same counter
 * counting by 100 or 10, so each answer names the version that gave it) reads the count the old
 * one wrote and handles every message while it bakes; the promotion keeps what it wrote; an
 * operator's rollback and an automatic one (a new version crashing on every message) hand the
 * count back to the old version as it is then — every request counted exactly once, nothing
 * dead-lettered. A canary of such an agent is refused, typed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiCallError, type CaxtonClient } from '@caxton/client';
import { artifact, sha, startRolloutNode, type RolloutNode } from './support/rollout-node.js';
import { eventually } from './support/harness.js';
import { intents } from './support/audit-intents.js';

describe('blue-green rollouts of stateful agents, by handover', () => {
  let node: RolloutNode;
  let client: CaxtonClient;
  let counter: Uint8Array;

  before(async () => {
    node = await startRolloutNode('caxton-rollout-stateful-');
    client = node.client;
    counter = await artifact('as-state-counter', 'as-state-counter');
  });
  after(async () => {
    await node?.stop();
  });

  /** `n` requests, each in its own conversation, in turn: the answers. */
  const ask = async (agent: string, tag: string, n: number): Promise<string[]> => {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) answers.push(await node.ask(agent, `${tag}-${i}`, 'increment'));
    return answers;
  };
  const count = async (agent: string): Promise<string> => (await client.getState(agent, 'count')).value;

  it('the new version takes the count over and handles every message; promoted, it keeps what it wrote', async () => {
    await client.deploy({ name: 'handover' }, counter);
    assert.deepEqual(await ask('handover', 'before', 3), ['1', '2', '3']);
    const started = await client.upgrade(
      { name: 'handover', config: { step: '100' }, rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 6_000 } } },
      counter,
    );
    assert.equal(started.agent.version, 1, 'the running version is unchanged while the rollout bakes');
    assert.equal(started.agent.rollout?.phase, 'baking');
    // Five handlings (ROLLOUT_BOUNDS.minSamples) before the bake ends: every one on the new version, from the old one's count.
    assert.deepEqual(await ask('handover', 'during', 5), ['103', '203', '303', '403', '503']);
    assert.equal(await node.ask('handover', 'before-0', 'increment', 'again'), '603', 'an older conversation goes to the new version too');
    await eventually(async () => (await client.getAgent('handover')).rollout?.phase === 'promoted', 'promotion after the bake', 15_000);
    const agent = await client.getAgent('handover');
    assert.equal(agent.version, 2);
    assert.equal(agent.artifactDigest, sha(counter));
    assert.equal(agent.config.step, '100');
    assert.deepEqual(await ask('handover', 'after', 2), ['703', '803'], 'the promoted version goes on from the state it wrote');
    assert.equal(await count('handover'), '803');
    // Six asked; on a slow machine the last may come after the bake ended (then the promoted version answered it).
    assert.ok((agent.rollout?.counts.handled ?? 0) >= 5, `the new version's handlings counted: ${agent.rollout?.counts.handled}`);
  });

  it("an operator's rollback hands the count back to the old version as it is then", async () => {
    await client.deploy({ name: 'handback' }, counter);
    assert.deepEqual(await ask('handback', 'before', 2), ['1', '2']);
    await client.upgrade(
      { name: 'handback', config: { step: '10' }, rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 120_000 } } },
      counter,
    );
    assert.deepEqual(await ask('handback', 'during', 2), ['12', '22'], 'the new version counts on from the old one');
    const aborted = await client.rollback('handback');
    assert.equal(aborted.agent.version, 1, 'a rollback during a rollout changes no version');
    assert.equal(aborted.agent.rollout?.phase, 'aborted');
    assert.deepEqual(await ask('handback', 'after', 2), ['23', '24'], 'the old version reads what the new one wrote');
    assert.equal(await count('handback'), '24');
    assert.equal((await intents(client, 'AbortRollout', 'handback')).length, 1, 'the abort is audited');
  });

  it('a new version crashing on every message is rolled back by itself; the message waits and is counted once', async () => {
    const aborter = await artifact('hostile/as-abort', 'hostile-as-abort');
    await client.deploy({ name: 'crashy' }, counter);
    assert.deepEqual(await ask('crashy', 'before', 1), ['1']);
    await client.upgrade({ name: 'crashy', rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 120_000 } } }, aborter);
    // The new version crashes on it twice (not an attempt of the agent's), the bake ends, the old version answers.
    assert.equal(await node.ask('crashy', 'during', 'increment'), '2');
    // The phase settles once the rollback's record is written, just after the old version took the work back.
    await eventually(async () => (await client.getAgent('crashy')).rollout?.phase === 'rolled-back', 'the rollback to settle', 10_000);
    const agent = await client.getAgent('crashy');
    assert.match(agent.rollout?.reason ?? '', /crashed twice on one message/);
    assert.equal(agent.rollout?.counts.crashes, 1, 'a redelivered message counts once');
    assert.equal(agent.version, 1);
    assert.deepEqual(await ask('crashy', 'after', 2), ['3', '4']);
    assert.deepEqual(await client.listDeadLetters({ agent: 'crashy' }), [], 'no message was dead-lettered');
    assert.equal((await intents(client, 'RollBackRollout', 'crashy')).length, 1, 'the rollback is audited');
  });

  it('refuses a canary of an agent that keeps durable state, with the way that works', async () => {
    await client.deploy({ name: 'split-state' }, counter);
    await node.ask('split-state', 'one', 'increment');
    const err = await client.upgrade({ name: 'split-state', rollout: { strategy: { kind: 'canary', percent: 10 } } }, counter).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(
      err instanceof ApiCallError && err.code === 'rollout.stateful-agent' && err.statusName === 'FAILED_PRECONDITION',
      String(err),
    );
    assert.match(err.hint ?? '', /--strategy blue-green/);
    assert.equal((await client.getAgent('split-state')).rollout, undefined, 'nothing started');
  });
});
