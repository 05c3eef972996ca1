/**
 * A rollout's new version as operators see it (decision 2101) on a real node: embedded log, the
 * real AssemblyScript echo and counter over gRPC, metrics scraped from the node's own Prometheus
 * endpoint. The candidate's samples are the agent's series with `candidate="true"` — not series of an
 * agent `cand#2`, which took an agent-label slot per rollout — and `messagesHandled` counts what
 * either version handled (one counter from the deploy).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLLOUT_LIMIT_TABLE, type MessageEvent } from '@caxton/core';
import type { CaxtonClient } from '@caxton/client';
import { artifact } from './support/rollout-node.js';
import { startServedNode, type ServedNode } from './support/served-node.js';
import { eventually } from './support/harness.js';

describe("a rollout candidate's metrics are its agent's", () => {
  let served: ServedNode;
  let client: CaxtonClient;
  let replies: MessageEvent[];

  /** Sends `content` to cand in `conversation` and returns the answer (its `handled` event precedes the answer's commit). */
  const ask = async (conversation: string, content: string): Promise<string> => {
    await client.send({ structured: { performative: 'request', receivers: [{ name: 'cand' }], content, conversationId: conversation } });
    const of = (): MessageEvent | undefined => replies.find((e) => e.message.conversationId === conversation);
    await eventually(() => of() !== undefined, `cand answering in ${conversation}`, 15_000);
    return of()!.message.content ?? '';
  };

  before(async () => {
    served = await startServedNode('caxton-rollout-metrics-', { shards: 1, metrics: true });
    ({ client, replies } = served);
  });
  after(async () => {
    await served?.stop();
  });

  it('the candidate is reported as agent="cand",candidate="true"; messagesHandled counts both versions\' handlings', async () => {
    await client.deploy({ name: 'cand' }, await artifact('as-echo', 'as-echo'));
    assert.equal(await ask('c0', 'hi'), 'hi', 'the echo (version 1) answers');
    // The rollout must still be in progress at the scrape, however slow the machine: the longest bake
    // (7 days) cannot end during the test, and the loosest thresholds roll nothing back (a slow
    // handling is no reason to end it here).
    const neverEnds = {
      bakeMs: ROLLOUT_LIMIT_TABLE.bakeMs.ceiling,
      maxP99Ms: ROLLOUT_LIMIT_TABLE.maxP99Ms.ceiling,
      maxCrashRatePercent: ROLLOUT_LIMIT_TABLE.maxCrashRatePercent.ceiling,
      maxFailureRatePercent: ROLLOUT_LIMIT_TABLE.maxFailureRatePercent.ceiling,
    };
    await client.upgrade(
      { name: 'cand', rollout: { strategy: { kind: 'blue-green' }, thresholds: neverEnds } },
      await artifact('as-counter', 'as-counter'),
    );
    // Blue-green: every new conversation goes to the new version (the counter answers a number).
    assert.notEqual(await ask('c1', 'increment'), 'increment', 'the counter (version 2) answers c1');
    assert.notEqual(await ask('c2', 'increment'), 'increment', 'and c2');
    const during = await client.getAgent('cand');
    assert.equal(during.rollout?.counts.handled, 2, 'the new version handled c1 and c2');
    // Before: the running instance's own sandbox count (1): the candidate's handlings were not in it.
    assert.equal(during.messagesHandled, 3, 'c0 on version 1, c1 and c2 on version 2');

    const baking = await client.getAgent('cand');
    assert.equal(
      baking.rollout?.phase,
      'baking',
      'the rollout ended before the scrape (promoted or rolled back): the candidate assertions below would test nothing about a candidate',
    );
    const text = await served.scrape();
    const memory = text.split('\n').filter((l) => l.startsWith('caxton_agent_memory_bytes{') && l.includes('agent="cand"'));
    assert.ok(
      memory.some((l) => l.includes('candidate="true"')),
      `the candidate under the agent's label with candidate="true":\n${memory.join('\n')}`,
    );
    assert.ok(
      memory.some((l) => !l.includes('candidate=')),
      'the running version without it',
    );
    assert.doesNotMatch(
      text,
      /agent="cand#\d+"/,
      "no series labelled with the candidate's sandbox key (it took an agent-label slot per rollout)",
    );
    assert.equal(
      text.split('\n').filter((l) => l.startsWith('caxton_agent_mailbox_depth{') && l.includes('agent="cand"')).length,
      1,
      "the mailbox is the agent's, reported once",
    );

    const aborted = await client.rollback('cand');
    assert.equal(aborted.agent.rollout?.phase, 'aborted');
    assert.equal(aborted.agent.messagesHandled, 3, "the aborted candidate's handlings stay counted");
  });
});
