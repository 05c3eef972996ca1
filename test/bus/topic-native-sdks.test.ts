/**
 * The C and Go SDKs' topic subscriptions end to end (decision 1961): the contract-net contractors
 * written in C and Go subscribe at init with config `topic` (each with a content filter taking only
 * cfps), the registry holds them, and a cfp published to the topic reaches both, each proposing its
 * price to the publisher; an inform to the same topic reaches neither.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, local } from './support/test-node.js';

const TOPIC = 'jobs.native';
let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('c', 'contract-net/c-contractor', { price: '12', topic: TOPIC });
  await t.deploy('go', 'contract-net/go-contractor', { price: '31', topic: TOPIC });
});

after(async () => {
  await t?.dispose();
});

test('C and Go contractors subscribe from init, with their filters', async () => {
  const subs = await t.node.topics.list(TOPIC);
  assert.deepEqual(
    subs.map((s) => [s.agent, s.filter]),
    [
      ['c', { all: [{ field: 'performative', match: { equals: 'cfp' } }] }],
      ['go', { all: [{ field: 'performative', match: { in: ['cfp'] } }] }],
    ],
  );
});

test('a cfp on the topic reaches both and both propose; an inform reaches neither', async () => {
  const news = await t.send({ performative: 'inform', receivers: [{ name: `topic:${TOPIC}` }], content: 'not for you' });
  assert.deepEqual(news.accepted, []);
  const cfp = await t.send({
    performative: 'cfp',
    receivers: [{ name: `topic:${TOPIC}` }],
    content: 'crate 4',
    protocol: 'fipa-contract-net',
    conversationId: 'native-topic-1',
    replyBy: Date.now() + 60_000,
  });
  assert.deepEqual([...cfp.accepted].sort(), ['c', 'go']);
  await t.waitFor(
    'both proposals',
    () => t.external.filter((e) => e.message.conversationId === 'native-topic-1' && e.message.performative === 'propose').length === 2,
  );
  const proposals = t.external.filter((e) => e.message.conversationId === 'native-topic-1' && e.message.performative === 'propose');
  assert.deepEqual(proposals.map((p) => [local(p.message.sender), p.message.content]).sort(), [
    ['c', '12'],
    ['go', '31'],
  ]);
});
