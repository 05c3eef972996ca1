/**
 * Blue-green and canary rollouts (decision 1871) on a real node: embedded log, real AssemblyScript
 * agents, real gRPC with token auth. A canary at 50% gives new conversations to both versions
 * (the echo answers with what it got, the counter with a number) and keeps each conversation on
 * the version it started on; `caxton rollback` during the rollout aborts it. A healthy blue-green
 * version is promoted after its bake, as an ordinary new version. A stateful agent, and an
 * upgrade during a rollout, are refused, typed (a canary of
 * the stateful one; blue-green is a handover, rollout-stateful.test.ts). The start and the promotion are audited.
 * (Automatic rollbacks: rollout-rollback.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiCallError, type CaxtonClient } from '@caxton/client';
import { artifact, sha, startRolloutNode, type RolloutNode } from './support/rollout-node.js';
import { eventually } from './support/harness.js';
import { intents } from './support/audit-intents.js';

describe('blue-green and canary rollouts on a real node', () => {
  let node: RolloutNode;
  let client: CaxtonClient;
  let echo: Uint8Array;
  let counter: Uint8Array;

  before(async () => {
    node = await startRolloutNode('caxton-rollout-');
    client = node.client;
    echo = await artifact('as-echo', 'as-echo');
    counter = await artifact('as-counter', 'as-counter');
  });
  after(async () => {
    await node?.stop();
  });

  it('canary 50%: new conversations go to both versions, each stays on one; a rollback aborts the rollout', async () => {
    await client.deploy({ name: 'split' }, echo);
    const started = await client.upgrade(
      { name: 'split', rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 120_000 } } },
      counter,
    );
    assert.equal(started.agent.version, 1, 'the running version is unchanged while the rollout bakes');
    assert.equal(started.agent.artifactDigest, sha(echo));
    assert.deepEqual(
      {
        strategy: started.agent.rollout?.strategy,
        phase: started.agent.rollout?.phase,
        version: started.agent.rollout?.candidateVersion,
        digest: started.agent.rollout?.candidateDigest,
      },
      { strategy: { kind: 'canary', percent: 50 }, phase: 'baking', version: 2, digest: sha(counter) },
      'the status shows both versions',
    );

    const versionOf = (content: string, sent: string): 'old' | 'new' => (content === sent ? 'old' : 'new');
    const first = new Map<string, 'old' | 'new'>();
    const ids = Array.from({ length: 16 }, (_, i) => i);
    // Conversations side by side (each answer is found by its conversation), each one's messages in turn.
    await Promise.all(
      ids.map(async (i) => first.set(`conv-${i}`, versionOf(await node.ask('split', `conv-${i}`, 'increment'), 'increment'))),
    );
    const toNew = [...first.values()].filter((v) => v === 'new').length;
    assert.ok(toNew > 2 && toNew < 14, `both versions get new conversations at 50% (new: ${toNew} of 16)`);
    await Promise.all(
      ids.map(async (i) => {
        const again = versionOf(await node.ask('split', `conv-${i}`, 'increment', `reply-${i}`), 'increment');
        assert.equal(again, first.get(`conv-${i}`), `conv-${i} stays on the version it started on`);
      }),
    );
    const during = await client.getAgent('split');
    assert.equal(during.rollout?.counts.handled, toNew * 2, 'the new version handled exactly its conversations');
    assert.equal(during.rollout?.counts.crashes, 0);
    assert.ok((during.rollout?.counts.p99Ms ?? 0) > 0, 'the p99 handle time of the new version is measured');

    const aborted = await client.rollback('split');
    assert.equal(aborted.agent.version, 1, 'a rollback during a rollout changes no version');
    assert.equal(aborted.agent.artifactDigest, sha(echo));
    assert.equal(aborted.agent.rollout?.phase, 'aborted');
    assert.match(aborted.agent.rollout?.reason ?? '', /rolled back by the operator/);
    for (let i = 0; i < 4; i++)
      assert.equal(await node.ask('split', `after-${i}`, 'increment'), 'increment', 'only the old version answers');
  });

  it('blue-green: a healthy new version is promoted after its bake, as a new version', async () => {
    await client.deploy({ name: 'bg' }, echo);
    await client.upgrade({ name: 'bg', rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 3_000 } } }, counter);
    // Five handlings (ROLLOUT_BOUNDS.minSamples): fewer at the bake's end would be a rollback, not a blind promotion.
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => node.ask('bg', `bg-1-${i}`, 'increment')));
    for (const answer of answers) assert.notEqual(answer, 'increment', 'blue-green: a new conversation goes to the new version at once');
    await eventually(async () => (await client.getAgent('bg')).rollout?.phase === 'promoted', 'promotion after the bake', 10_000);
    const agent = await client.getAgent('bg');
    assert.equal(agent.version, 2);
    assert.equal(agent.artifactDigest, sha(counter));
    assert.deepEqual(agent.previous, { version: 1, artifactDigest: sha(echo) }, 'caxton rollback would put the old one back');
    assert.notEqual(await node.ask('bg', 'bg-2', 'increment'), 'increment', 'the promoted version answers');
  });

  it('refuses a canary of an agent that keeps durable state, a second rollout and an upgrade while one runs', async () => {
    await client.deploy({ name: 'stateful' }, await artifact('as-state-counter', 'as-state-counter'));
    await node.ask('stateful', 's-1', 'increment');
    // A canary only: a blue-green rollout of it is a handover (rollout-stateful.test.ts).
    const err = await client.upgrade({ name: 'stateful', rollout: { strategy: { kind: 'canary', percent: 50 } } }, echo).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(
      err instanceof ApiCallError && err.code === 'rollout.stateful-agent' && err.statusName === 'FAILED_PRECONDITION',
      String(err),
    );
    assert.match(err.hint ?? '', /without --strategy/);

    await client.deploy({ name: 'busy' }, echo);
    const both = await Promise.allSettled(
      [1, 2].map(() =>
        client.upgrade({ name: 'busy', rollout: { strategy: { kind: 'canary', percent: 10 }, thresholds: { bakeMs: 120_000 } } }, counter),
      ),
    );
    assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1, 'of two rollouts asked at once, one starts');
    const second = both.find((r) => r.status === 'rejected')?.reason as unknown;
    assert.ok(second instanceof ApiCallError && second.code === 'rollout.in-progress', String(second));
    const twice = await client.upgrade({ name: 'busy' }, counter).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(twice instanceof ApiCallError && twice.code === 'rollout.in-progress', String(twice));
    await client.rollback('busy');
  });

  it("audits the operator's start and the automatic promotion", async () => {
    /** The fields of the first intent record of `method` for `agent`. */
    const intent = async (method: string, agent: string): Promise<Record<string, string> | undefined> =>
      (await intents(client, method, agent))[0];
    assert.equal((await intent('UpgradeAgent', 'split'))?.strategy, 'canary:50', 'the operator started it, with its strategy');
    assert.equal((await intent('PromoteRollout', 'bg'))?.strategy, 'blue-green');
    assert.equal((await intent('PromoteRollout', 'bg'))?.version, '2');
  });
});
