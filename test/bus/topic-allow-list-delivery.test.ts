/**
 * The topic allow-list (decision 2050) holds at delivery, not only when a subscription is made: a
 * subscription outside the deployment's current list — here one written into the registry while
 * the node was down, as a restored snapshot or a prune that failed would leave it — reaches
 * nobody. And a rollout that promotes a narrower list removes the subscriptions outside it, as an
 * ordinary upgrade does.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CaxtonError, parseTopicPatterns } from '@caxton/core';
import { EmbeddedRegistry } from '@caxton/runtime';
import { TestNode } from './support/test-node.js';
import { agentArtifact } from './support/artifacts.js';

const FUEL = { fuelPerMessage: 50_000_000 };
const nodes: TestNode[] = [];

after(async () => {
  // The latest first: a restarted node shares the directory its first node owns and deletes.
  for (const n of nodes.reverse()) await n.dispose();
});

/** Polls an async `probe` until it is true, or fails after `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function topicsOf(t: TestNode, agent: string): Promise<string[]> {
  return (await t.node.topics.list())
    .filter((s) => s.agent === agent)
    .map((s) => s.topic)
    .sort();
}

test('a subscription outside the current list, found in the registry, is skipped when a publish is resolved', async () => {
  const first = await TestNode.start();
  nodes.push(first);
  const dataDir = first.dataDir;
  await first.control.deploy(
    { name: 'narrow', config: {}, limits: FUEL, topics: parseTopicPatterns(['jobs.*']) },
    await agentArtifact('conformance/topic-probe'),
  );
  await first.node.topics.subscribe('narrow', 'jobs.a');
  await first.stop();

  // Written past the node's checks, with the node stopped (one registry per directory).
  const registry = new EmbeddedRegistry({ dir: path.join(dataDir, 'registry') });
  await registry.open();
  try {
    await registry.putSubscription({ agent: 'narrow', topic: 'payments' });
  } finally {
    await registry.close();
  }

  const t = await TestNode.start({ dataDir });
  nodes.push(t);
  assert.deepEqual(await topicsOf(t, 'narrow'), ['jobs.a', 'payments'], 'the stale subscription is there');
  const outside = await t.send({ performative: 'inform', receivers: [{ name: 'topic:payments' }], content: 'secret' });
  assert.deepEqual(outside.accepted, [], 'its list does not allow payments: nothing is delivered to it');
  const inside = await t.send({ performative: 'inform', receivers: [{ name: 'topic:jobs.a' }], content: 'job' });
  assert.deepEqual(inside.accepted, ['narrow']);
  await t.waitFor('the allowed publish to be handled', () => t.logs('narrow').includes('got inform via topic:jobs.a content=job'));
  assert.ok(!t.logs('narrow').some((l) => l.includes('secret')));
});

test('a rollout that promotes a narrower list removes the subscriptions outside it', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  const artifact = await agentArtifact('conformance/topic-probe');
  await t.control.deploy({ name: 'ro', config: {}, limits: FUEL, topics: parseTopicPatterns(['jobs.*', 'alerts']) }, artifact);
  await t.node.topics.subscribe('ro', 'jobs.x');
  await t.node.topics.subscribe('ro', 'alerts');
  // The six handlings below must land within the bake (the rollout's minimum sample is five): at
  // 300 ms a loaded machine (load 20-25) handled 0-4 and the rollout was rolled back, on the branch
  // point as well (decision 2132). The bake's length is not what this test is about.
  await t.control.upgrade(
    { name: 'ro', limits: {}, topics: parseTopicPatterns(['jobs.*']), strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 5_000 } },
    artifact,
  );
  // Enough handlings on the new version (the rollout's minimum sample) for a promotion, not a roll-back.
  for (let i = 0; i < 6; i++) {
    const sent = await t.send({ performative: 'request', receivers: [{ name: 'ro' }], content: 'unsub nothing' });
    await t.waitFor(`handling ${i}`, () => t.handled.find((h) => h.messageId === sent.messageId));
  }
  await eventually('the promotion', async () => (await t.control.getAgent('ro'))?.rollout?.phase === 'promoted', 20_000);
  assert.deepEqual((await t.control.getAgent('ro'))?.topics, ['jobs.*']);
  await eventually('the prune', async () => (await topicsOf(t, 'ro')).join() === 'jobs.x', 5_000);
  assert.ok((await t.storedLogs('ro')).some((l) => l.includes('1 topic subscription outside its allowed topics removed')));
});

test('a publish is not refused for one absent subscriber whose queue is full: it misses it, listed; a send naming it is refused', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  const artifact = await agentArtifact('conformance/topic-probe');
  await t.control.deploy({ name: 'away', config: {}, limits: { ...FUEL, absentQueue: 1 } }, artifact);
  await t.control.deploy({ name: 'here', config: {}, limits: FUEL }, artifact);
  await t.node.topics.subscribe('away', 'news');
  await t.control.stop('away', { force: false, keepQueue: true });

  const first = await t.send({ performative: 'inform', receivers: [{ name: 'topic:news' }], content: '1' });
  assert.deepEqual(first.accepted, ['away'], 'queued while there is room');
  const second = await t.send({ performative: 'inform', receivers: [{ name: 'topic:news' }], content: '2' });
  assert.deepEqual(second.accepted, [], 'not thrown: the publish reached no one with room');
  assert.deepEqual(second.refused, [{ receiver: 'away@caxton', reason: 'absent-queue-full' }]);
  assert.ok(
    t.dropped.some((d) => d.message.content === '2' && /away is absent and its queue is full/.test(d.reason)),
    'reported as dropped',
  );

  await t.node.topics.subscribe('here', 'news');
  const third = await t.send({ performative: 'inform', receivers: [{ name: 'topic:news' }], content: '3' });
  assert.deepEqual(third.accepted, ['here'], 'the other subscriber gets it');
  assert.deepEqual(
    third.refused.map((r) => r.receiver),
    ['away@caxton'],
  );
  // Named outright, the full absent queue is still a refusal (decision 1990).
  await assert.rejects(
    t.send({ performative: 'inform', receivers: [{ name: 'away' }], content: '4' }),
    (err) => err instanceof CaxtonError && err.code === 'bus.absent-queue-full',
  );
  assert.equal((await t.control.getAgent('away'))?.absentQueue?.queued, 1);
});
