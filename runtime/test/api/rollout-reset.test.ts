/**
 * Work of a rollout's new version lost to a shard reset another agent caused (decision 0900: "not
 * this agent's fault") is handed to the running version and not counted as the new version's
 * crash (decision 1871), on a real node with one shard and a real runaway agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CaxtonClient } from '@caxton/client';
import { artifact, startRolloutNode, type RolloutNode } from './support/rollout-node.js';

const LONG_BAKE = { bakeMs: 120_000 };

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
      await client.send({
        structured: { performative: 'inform', receivers: [{ name: 'runaway' }], content: 'spin', conversationId: `spin-${round}` },
      });
      // Openers go to the new version (blue-green); one answered as sent was handed to the running echo.
      const answers = await Promise.all(
        [0, 1, 2, 3].map((k) => node.ask('calm', `calm-${round}-${k}`, `r${round}k${k}`).then((a) => a === `r${round}k${k}`)),
      );
      handedBack += answers.filter(Boolean).length;
    }
    await client.stop('runaway', true);
    for (let i = 0; i < 6; i++) await node.ask('calm', `after-${i}`, `a${i}`);
    const rollout = (await client.getAgent('calm')).rollout!;
    assert.equal(rollout.phase, 'baking', `not rolled back (${rollout.reason ?? ''})`);
    assert.equal(rollout.counts.crashes, 0, "the reset is not the new version's crash");
    assert.ok(rollout.counts.handled >= 6);
    // The hand-over is in calm's log, without the other agent's name or limit (an agent-scoped reader sees calm's log).
    const lines: string[] = [];
    await client.logs({ agent: 'calm', follow: false }, (l) => lines.push(l.message)).done;
    assert.ok(
      lines.some((l) => /not completed \(its shard was reset/.test(l)),
      'the hand-over is logged',
    );
    assert.ok(
      !lines.some((l) => /runaway/.test(l)),
      `no other agent named in calm's log: ${lines.filter((l) => /runaway/.test(l)).join(' | ')}`,
    );
  });
});
