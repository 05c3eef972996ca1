/**
 * Rollouts (decision 1871) against the kill switch and the running version, on a real node: a bake
 * that ends while the agent is suspended is not a promotion, and `caxton rollback` aborts it while
 * suspended; a stop while the node is frozen and the bake has ended does not hang; a canary beside
 * a version that writes durable state is refused at its start (decision 2170: the two versions
 * cannot share one state; blue-green hands it over).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiCallError, type CaxtonClient } from '@caxton/client';
import { artifact, sha, startRolloutNode, type RolloutNode } from './support/rollout-node.js';
import { eventually } from './support/harness.js';

describe('rollouts, the kill switch and the running version', () => {
  let node: RolloutNode;
  let client: CaxtonClient;
  let echo: Uint8Array;
  let counter: Uint8Array;

  before(async () => {
    node = await startRolloutNode('caxton-rollout-review-');
    client = node.client;
    echo = await artifact('as-echo', 'as-echo');
    counter = await artifact('as-counter', 'as-counter');
  });
  after(async () => {
    await node?.stop();
  });

  /** Resolves once the node's clock is past `at` (the bake's end is the thing under test). */
  const pastTime = (at: number): Promise<void> => eventually(() => Date.now() > at, 'the bake to end', 10_000);

  it('a bake that ends while the agent is suspended does not promote; rollback aborts it while suspended', async () => {
    await client.deploy({ name: 'braked' }, echo);
    const started = await client.upgrade(
      { name: 'braked', rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 800 } } },
      counter,
    );
    await client.suspend('braked');
    await pastTime(started.agent.rollout!.bakeUntil + 700); // the timer fired, and looked again 500 ms later, while held
    const held = await client.getAgent('braked');
    assert.equal(held.rollout?.phase, 'baking', 'no promotion while the emergency brake is on');
    assert.equal(held.version, 1);

    const aborted = await client.rollback('braked');
    assert.equal(aborted.agent.rollout?.phase, 'aborted', 'aborting runs no agent code: allowed while suspended');
    assert.equal(aborted.agent.version, 1);
    assert.equal(aborted.agent.artifactDigest, sha(echo));
    await client.resume('braked');
    assert.equal(await node.ask('braked', 'braked-1', 'increment'), 'increment', 'the old version answers after the resume');
    assert.equal((await client.getAgent('braked')).version, 1, 'and nothing was promoted on the resume');
  });

  it('a stop while the node is frozen after the bake ended returns, the rollout aborted', async () => {
    await client.deploy({ name: 'frozen' }, echo);
    const started = await client.upgrade(
      { name: 'frozen', rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 800 } } },
      counter,
    );
    await client.freeze();
    try {
      await pastTime(started.agent.rollout!.bakeUntil + 600);
      const stopped = await client.stop('frozen');
      assert.equal(stopped.rollout?.phase, 'aborted');
      assert.match(stopped.rollout?.reason ?? '', /stopped/);
      assert.equal(stopped.version, 1);
    } finally {
      await client.thaw();
    }
  });

  it('a canary beside a version that writes durable state is refused at its start, none yet written', async () => {
    await client.deploy({ name: 'writer' }, await artifact('as-state-counter', 'as-state-counter'));
    const err = await client
      .upgrade({ name: 'writer', rollout: { strategy: { kind: 'canary', percent: 1 }, thresholds: { bakeMs: 120_000 } } }, counter)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // Before decision 2170 it started and ended at the running version's first write.
    assert.ok(err instanceof ApiCallError && err.code === 'rollout.stateful-agent', String(err));
    assert.match(err.message, /a version of it writes durable state/);
    const agent = await client.getAgent('writer');
    assert.equal(agent.rollout, undefined);
    assert.equal(agent.version, 1);
  });
});
