/**
 * Rollouts of a keyed kind, split by key (decision 2175), on a real node: embedded log, real
 * AssemblyScript agents, real gRPC. The kind is the state counter; the new version counts by 100,
 * so every answer names the version that gave it. A key runs one version at a time and the new one
 * reads what the old one wrote; a rollback returns every key to the old version with its count as
 * it is then; the promotion moves every key; a new version crashing on its first messages is rolled
 * back by itself and the messages are handled by the old one — every request counted once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CaxtonClient } from '@caxton/client';
import { keyToCandidate } from '@caxton/core';
import { artifact, startRolloutNode, type RolloutNode } from './support/rollout-node.js';
import { eventually } from './support/harness.js';
import { intents } from './support/audit-intents.js';
import { startServedNode } from './support/served-node.js';

const KEYS = Array.from({ length: 12 }, (_, i) => `k${i}`);
/** The keys a canary of `percent` gives the candidate `version` of `kind` (the node's own split). */
const canaryKeys = (kind: string, version: number, percent: number): Set<string> =>
  new Set(KEYS.filter((k) => keyToCandidate(kind, k, version, { kind: 'canary', percent })));

describe('rollouts of a keyed kind, by key', () => {
  let node: RolloutNode;
  let client: CaxtonClient;
  let counter: Uint8Array;

  before(async () => {
    node = await startRolloutNode('caxton-kind-rollout-');
    client = node.client;
    counter = await artifact('as-state-counter', 'as-state-counter');
  });
  after(async () => {
    await node?.stop();
  });

  /** One request to each key, each in its own conversation: the answers by key. */
  const askAll = async (kind: string, tag: string, keys: readonly string[] = KEYS): Promise<Map<string, string>> => {
    const answers = new Map<string, string>();
    for (const k of keys) answers.set(k, await node.ask(`${kind}/${k}`, `${kind}-${tag}-${k}`, 'increment'));
    return answers;
  };
  /** Dead letters of the kind's instances (a letter's id is `<message id>><receiver>`). */
  const lettersOf = async (kind: string): Promise<string[]> =>
    (await client.listDeadLetters({})).map((d) => d.id).filter((id) => id.includes(`>${kind}/`));
  /** What each key should answer: `onNew` for the keys in `split`, `onOld` for the others. */
  const expected = (split: Set<string>, onNew: string, onOld: string, keys: readonly string[] = KEYS): Map<string, string> =>
    new Map(keys.map((k) => [k, split.has(k) ? onNew : onOld]));

  it("a canary gives its share of keys the new version, on each key's own state; a rollback gives them back as they are", async () => {
    const split = canaryKeys('kc', 2, 50);
    assert.ok(split.size > 0 && split.size < KEYS.length, `both versions get keys: ${[...split].join(',')}`);
    await client.deploy({ name: 'kc', kind: { idleMs: 60_000 } }, counter);
    assert.deepEqual(await askAll('kc', 'a'), expected(split, '1', '1'));
    const started = await client.upgrade(
      { name: 'kc', config: { step: '100' }, rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 600_000 } } },
      counter,
    );
    assert.equal(started.agent.version, 1, 'the kind keeps its version while the rollout bakes');
    assert.equal(started.agent.rollout?.phase, 'baking');
    assert.equal(started.agent.rollout?.candidateVersion, 2);
    // Keys active on the old version move at their next message, after the one in hand.
    assert.deepEqual(await askAll('kc', 'b'), expected(split, '101', '2'), 'each key on one version, from its own count');
    assert.deepEqual(await askAll('kc', 'c'), expected(split, '201', '3'), 'and it stays there');
    // In memory it stays too: the idle sweep (every second here) moves no key whose version is its key's.
    await new Promise((r) => setTimeout(r, 2_500));
    const kind = (await client.getAgent('kc')).kind;
    assert.equal(kind?.passivated, split.size, `only the keys moved at the start were passivated: ${JSON.stringify(kind)}`);
    assert.equal(kind?.active, KEYS.length);
    const onNew = [...split][0]!;
    const onOld = KEYS.find((k) => !split.has(k))!;
    assert.equal((await client.getAgent(`kc/${onNew}`)).version, 2);
    assert.equal((await client.getAgent(`kc/${onOld}`)).version, 1);
    const counts = (await client.getAgent('kc')).rollout?.counts;
    assert.equal(counts?.handled, split.size * 2, `every handling of the new version counted once: ${JSON.stringify(counts)}`);

    const aborted = await client.rollback('kc');
    assert.equal(aborted.agent.version, 1, 'a rollback during a rollout changes no version');
    assert.equal(aborted.agent.rollout?.phase, 'aborted');
    assert.deepEqual(await askAll('kc', 'd'), expected(split, '202', '4'), 'the old version reads what the new one wrote');
    assert.equal((await client.getAgent(`kc/${onNew}`)).version, 1);
    assert.equal((await intents(client, 'AbortRollout', 'kc')).length, 1, 'the abort is audited');
    assert.deepEqual(await lettersOf('kc'), [], 'nothing dead-lettered');
  });

  it('promoted after the bake, every key runs the new version on from its count', async () => {
    const split = canaryKeys('kp', 2, 50);
    await client.deploy({ name: 'kp', kind: { idleMs: 60_000 } }, counter);
    await askAll('kp', 'a');
    await client.upgrade(
      // A bake of 15 s: the few requests below take well under it on a loaded machine.
      { name: 'kp', config: { step: '100' }, rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 15_000 } } },
      counter,
    );
    // At least five handlings (ROLLOUT_BOUNDS.minSamples) on the new version before the bake ends.
    const onNew = [...split];
    const rounds = Math.ceil(5 / onNew.length);
    for (let i = 0; i < rounds; i++) await askAll('kp', `b${i}`, onNew);
    await eventually(async () => (await client.getAgent('kp')).rollout?.phase === 'promoted', 'promotion after the bake', 60_000);
    const kind = await client.getAgent('kp');
    assert.equal(kind.version, 2);
    assert.equal(kind.config.step, '100');
    assert.deepEqual(await askAll('kp', 'c'), expected(split, String(1 + rounds * 100 + 100), '101'), 'every key on the new version');
    assert.equal((await intents(client, 'PromoteRollout', 'kp')).length, 1, 'the promotion is audited');
  });

  it('a new version crashing on its messages is rolled back by itself; the old one handles them, each once', async () => {
    const aborter = await artifact('hostile/as-abort', 'hostile-as-abort');
    await client.deploy({ name: 'kx', kind: { idleMs: 60_000 } }, counter);
    assert.deepEqual(await askAll('kx', 'a', ['x']), new Map([['x', '1']]));
    await client.upgrade({ name: 'kx', rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 600_000 } } }, aborter);
    // Its first crash is counted and the message waits; its second on the same message ends the bake.
    assert.deepEqual(await askAll('kx', 'b', ['x']), new Map([['x', '2']]));
    await eventually(async () => (await client.getAgent('kx')).rollout?.phase === 'rolled-back', 'the rollback to settle', 15_000);
    const kind = await client.getAgent('kx');
    assert.match(kind.rollout?.reason ?? '', /crashed twice on one message/);
    assert.equal(kind.rollout?.counts.crashes, 1, 'a redelivered message counts once');
    assert.equal(kind.version, 1);
    assert.deepEqual(await askAll('kx', 'c', ['x']), new Map([['x', '3']]));
    assert.deepEqual(await lettersOf('kx'), [], 'no message was dead-lettered');
    assert.equal((await intents(client, 'RollBackRollout', 'kx')).length, 1, 'the rollback is audited');
  });

  it('a new version that cannot start is rolled back; the message waits and the old version handles it', async () => {
    const spinner = await artifact('hostile/as-infinite-loop', 'hostile-as-infinite-loop');
    await client.deploy({ name: 'ki', kind: { idleMs: 60_000 } }, counter);
    assert.deepEqual(await askAll('ki', 'a', ['x']), new Map([['x', '1']]));
    // Its init spins until its fuel runs out: the instance never starts on it.
    await client.upgrade(
      { name: 'ki', config: { 'spin-in': 'init' }, rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 600_000 } } },
      spinner,
    );
    assert.deepEqual(await askAll('ki', 'b', ['x']), new Map([['x', '2']]), 'answered by the version before it, once');
    await eventually(async () => (await client.getAgent('ki')).rollout?.phase === 'rolled-back', 'the rollback to settle', 15_000);
    assert.match((await client.getAgent('ki')).rollout?.reason ?? '', /could not be activated/);
    assert.deepEqual(await lettersOf('ki'), [], 'nothing dead-lettered for the new version');
  });

  it('refuses a plain upgrade while a rollout of the kind is recorded', async () => {
    await client.deploy({ name: 'kb', kind: { idleMs: 60_000 } }, counter);
    await client.upgrade({ name: 'kb', rollout: { strategy: { kind: 'canary', percent: 10 }, thresholds: { bakeMs: 600_000 } } }, counter);
    const err = await client.upgrade({ name: 'kb' }, counter).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    assert.equal(err?.code, 'rollout.in-progress');
    await client.rollback('kb');
    assert.equal((await client.getAgent('kb')).rollout?.phase, 'aborted');
    await client.upgrade({ name: 'kb' }, counter);
    assert.equal((await client.getAgent('kb')).version, 2, 'upgraded once the rollout ended');
  });
});

describe("a kind's rollout by key across a restart of its node", () => {
  it("goes on: it is in the kind's record, so its keys stay on their versions, and no closing record is written", async () => {
    const counter = await artifact('as-state-counter', 'as-state-counter');
    const served = await startServedNode('caxton-kind-rollout-restart-', { shards: 1 });
    const keys = KEYS.slice(0, 6);
    const split = new Set(keys.filter((k) => keyToCandidate('kr', k, 2, { kind: 'canary', percent: 50 })));
    /** One request to each key, then until each key's count reads what `want` gives it. */
    const round = async (want: (k: string) => string): Promise<void> => {
      for (const k of keys)
        await served.client.send({ structured: { performative: 'request', receivers: [{ name: `kr/${k}` }], content: 'increment' } });
      for (const k of keys)
        await eventually(
          async () => (await served.client.getState(`kr/${k}`, 'count').catch(() => undefined))?.value === want(k),
          `kr/${k} to count ${want(k)}`,
          15_000,
        );
    };
    try {
      await served.client.deploy({ name: 'kr', kind: { idleMs: 60_000 } }, counter);
      await round(() => '1');
      await served.client.upgrade(
        { name: 'kr', config: { step: '100' }, rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 600_000 } } },
        counter,
      );
      await round((k) => (split.has(k) ? '101' : '2'));
      await served.restart();
      assert.equal((await served.client.getAgent('kr')).rollout?.phase, 'baking', 'the rollout is followed again after the restart');
      await round((k) => (split.has(k) ? '201' : '3'));
      assert.deepEqual(await intents(served.client, 'AbortRollout', 'kr'), [], 'no closing record: it did not end');
      assert.equal((await served.client.rollback('kr')).agent.rollout?.phase, 'aborted');
      await round((k) => (split.has(k) ? '202' : '4'));
    } finally {
      await served.stop();
    }
  });
});
