/**
 * Topics (decision 1960) on a real in-process node with real sandboxed AssemblyScript agents: two
 * subscribers (one with a content filter) and a publisher (a puppet agent, and the operator). Each
 * matching subscriber handles each publish exactly once, from one multi-receiver append; a filter
 * keeps what it refuses away; a malformed topic address is refused with a typed error; and the
 * subscriptions, kept in the embedded registry, survive a node restart.
 */
import { after, before, test } from 'node:test';
import { rm } from 'node:fs/promises';
import assert from 'node:assert/strict';
import { CaxtonError } from '@caxton/core';
import { CaxtonClient } from '@caxton/runtime';
import { TestNode, type Accepted } from './support/test-node.js';

let t: TestNode | undefined;
let dataDir: string;

/** How many times `agent` handled a message whose content is `content` (the puppet logs each one). */
function handledContent(node: TestNode, agent: string, content: string): number {
  return node.logs(agent).filter((l) => l.startsWith('got ') && l.endsWith(`content=${content}`)).length;
}

function acceptedWith(node: TestNode, content: string): Accepted[] {
  return node.accepted.filter((a) => a.message.content === content);
}

before(async () => {
  t = await TestNode.start({ dataDir: undefined });
  dataDir = t.dataDir;
  await t.deploy('all-news', 'conformance/puppet');
  await t.deploy('eu-prices', 'conformance/puppet');
  await t.deploy('quotes', 'conformance/puppet');
  await t.deploy('bystander', 'conformance/puppet');
  await t.node.topics.subscribe('all-news', 'market.prices');
  await t.node.topics.subscribe('eu-prices', 'market.prices', {
    all: [
      { field: 'performative', match: { in: ['inform', 'propose'] } },
      { field: 'X-region', match: { prefix: 'eu-' } },
    ],
  });
});

after(async () => {
  await t?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

test('a publish reaches each subscriber once, filters applied, as one multi-receiver send', async () => {
  const node = t!;
  await node.puppet('quotes', { performative: 'inform', to: 'topic:market.prices', content: 'eu-1' });
  await node.waitFor('all-news to handle eu-1', () => handledContent(node, 'all-news', 'eu-1') === 1);
  // eu-1 carries no X-region: the filtered subscriber does not get it.
  const first = acceptedWith(node, 'eu-1');
  assert.equal(first.length, 1, 'one accepted send');
  assert.deepEqual(first[0]!.receivers, ['all-news']);
  assert.deepEqual(
    first[0]!.message.receivers.map((r) => r.name),
    ['topic:market.prices'],
    'the subscriber sees the topic it was published to',
  );

  await node.send({
    performative: 'inform',
    receivers: [{ name: 'topic:market.prices' }],
    content: 'eu-2',
    userParams: { 'X-region': 'eu-west' },
  });
  await node.waitFor(
    'both subscribers to handle eu-2',
    () => handledContent(node, 'all-news', 'eu-2') === 1 && handledContent(node, 'eu-prices', 'eu-2') === 1,
  );
  const second = acceptedWith(node, 'eu-2');
  assert.equal(second.length, 1, 'one append for both subscribers (decision 1202)');
  assert.deepEqual([...second[0]!.receivers].sort(), ['all-news', 'eu-prices']);

  // A performative the filter refuses, with the right region: only the unfiltered subscriber.
  await node.send({
    performative: 'request',
    receivers: [{ name: 'topic:market.prices' }],
    content: 'eu-3',
    userParams: { 'X-region': 'eu-west' },
  });
  await node.waitFor('all-news to handle eu-3', () => handledContent(node, 'all-news', 'eu-3') === 1);

  // Named directly and through the topic: still handled once.
  await node.send({
    performative: 'inform',
    receivers: [{ name: 'all-news' }, { name: 'topic:market.prices' }],
    content: 'eu-4',
    userParams: { 'X-region': 'eu-north' },
  });
  await node.waitFor(
    'eu-4 handled',
    () => handledContent(node, 'all-news', 'eu-4') === 1 && handledContent(node, 'eu-prices', 'eu-4') === 1,
  );

  await node.settle();
  for (const c of ['eu-1', 'eu-2', 'eu-3', 'eu-4']) {
    assert.ok(handledContent(node, 'all-news', c) === 1, `all-news handled ${c} once`);
    assert.equal(handledContent(node, 'bystander', c), 0, 'an agent not subscribed gets nothing');
  }
  assert.equal(handledContent(node, 'eu-prices', 'eu-1'), 0);
  assert.equal(handledContent(node, 'eu-prices', 'eu-3'), 0);
  assert.equal(handledContent(node, 'eu-prices', 'eu-4'), 1);
  const handledOk = node.handled.filter((h) => h.outcome.status === 'ok' && (h.agent === 'all-news' || h.agent === 'eu-prices'));
  assert.equal(new Set(handledOk.map((h) => h.deliveryId)).size, handledOk.length, 'no delivery handled twice');
});

test('a topic nobody subscribes to is accepted with no deliveries; a malformed topic address is refused', async () => {
  const node = t!;
  const result = await node.send({ performative: 'inform', receivers: [{ name: 'topic:nobody.here' }], content: 'void' });
  assert.deepEqual(result.accepted, []);
  await assert.rejects(node.send({ performative: 'inform', receivers: [{ name: 'topic:.hidden' }], content: 'x' }), (err: unknown) => {
    assert.ok(err instanceof CaxtonError);
    assert.equal(err.code, 'bus.invalid-topic');
    assert.ok(err.hint);
    return true;
  });
  await assert.rejects(node.node.topics.subscribe('all-news', 'market.prices', { all: [{ field: 'content', match: { equals: 'x' } }] }), {
    code: 'topic.invalid-filter',
  });
  await assert.rejects(node.node.topics.subscribe('ghost', 'market.prices'), { code: 'agent.not-found' });
});

test('subscriptions survive a node restart on the embedded registry; unsubscribe and undeploy end them', async () => {
  await t!.stop();
  t = await TestNode.start({ dataDir, api: true, auth: { mode: 'none' } });
  const node = t;
  assert.deepEqual(
    (await node.node.topics.list()).map((s) => `${s.topic} ${s.agent} ${s.filter ? 'filtered' : 'all'}`),
    ['market.prices all-news all', 'market.prices eu-prices filtered'],
  );
  // The same through the gRPC API (ListTopics, what `caxton topics` shows), filters intact.
  const client = await CaxtonClient.connect({ address: `127.0.0.1:${node.node.apiPort}` });
  try {
    assert.deepEqual(await client.listSubscriptions('market.prices'), await node.node.topics.list());
    assert.deepEqual(await client.listSubscriptions('other'), []);
    await assert.rejects(client.listSubscriptions('not a topic'), /topic/);
  } finally {
    client.close();
  }
  await node.send({
    performative: 'propose',
    receivers: [{ name: 'topic:market.prices' }],
    content: 'after-restart',
    userParams: { 'X-region': 'eu-south' },
  });
  await node.waitFor(
    'both subscribers to handle after-restart',
    () => handledContent(node, 'all-news', 'after-restart') === 1 && handledContent(node, 'eu-prices', 'after-restart') === 1,
  );

  await node.node.topics.unsubscribe('eu-prices', 'market.prices');
  assert.deepEqual(await node.node.topics.list('market.prices'), [{ agent: 'all-news', topic: 'market.prices' }]);
  await node.control.stop('all-news', { force: false });
  assert.deepEqual(await node.node.topics.list(), [], "an undeployed agent's subscriptions go with it");
});
