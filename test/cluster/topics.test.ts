/**
 * Topics (decision 1960) in the cluster topology: two in-process nodes on the real Kafka and etcd.
 * Subscriptions are made through one node and kept in etcd; a publish through the other node is
 * resolved there at send time, appended once to Kafka, and each matching subscriber handles it
 * exactly once on whichever node runs it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestNode } from '../bus/support/test-node.js';
import { servers, type Servers } from './support/servers.js';
import { waitFor } from './support/cluster.js';

let infra: Servers;
const nodes: TestNode[] = [];
const SUBSCRIBERS = ['t-all', 't-eu'];

/** Handlings of `agent` that completed ok, on every node. */
const handledOk = (agent: string, messageId: string): number =>
  nodes.flatMap((n) => n.handled).filter((h) => h.agent === agent && h.messageId === messageId && h.outcome.status === 'ok').length;

before(async () => {
  infra = await servers();
  const cluster = { name: `topics-${randomBytes(3).toString('hex')}`, partitions: 4 };
  for (const nodeId of ['topics-a', 'topics-b']) {
    nodes.push(await TestNode.start({ nodeId, kafka: { brokers: [infra.kafka] }, etcd: { endpoints: [infra.etcd] }, cluster }));
  }
  for (const name of [...SUBSCRIBERS, 't-none']) await nodes[0]!.deploy(name, 'conformance/sink');
  await waitFor(
    'the agents to run',
    async () => {
      const agents = await nodes[0]!.control.listAgents();
      return agents.filter((a) => a.state === 'running').length === 3;
    },
    60_000,
  );
});

after(async () => {
  for (const n of nodes) await n.dispose();
  await infra?.stop();
});

test('a publish through one node reaches the subscribers made through the other, each once', async () => {
  const [a, b] = nodes as [TestNode, TestNode];
  await a.node.topics.subscribe('t-all', 'cluster.news');
  await a.node.topics.subscribe('t-eu', 'cluster.news', { all: [{ field: 'X-region', match: { prefix: 'eu-' } }] });
  assert.deepEqual(
    (await b.node.topics.list('cluster.news')).map((s) => s.agent),
    SUBSCRIBERS,
    'the other node reads them from etcd at once',
  );

  const both = await b.send({
    performative: 'inform',
    receivers: [{ name: 'topic:cluster.news' }],
    content: 'both',
    userParams: { 'X-region': 'eu-west' },
  });
  assert.deepEqual([...both.accepted].sort(), SUBSCRIBERS);
  const one = await b.send({
    performative: 'inform',
    receivers: [{ name: 'topic:cluster.news' }],
    content: 'one',
    userParams: { 'X-region': 'us-east' },
  });
  assert.deepEqual(one.accepted, ['t-all']);

  await waitFor(
    'every delivery to be handled',
    () => handledOk('t-all', both.messageId) >= 1 && handledOk('t-eu', both.messageId) >= 1 && handledOk('t-all', one.messageId) >= 1,
    30_000,
    25,
  );
  for (const n of nodes) await n.settle();
  assert.equal(handledOk('t-all', both.messageId), 1);
  assert.equal(handledOk('t-eu', both.messageId), 1);
  assert.equal(handledOk('t-all', one.messageId), 1);
  assert.equal(handledOk('t-eu', one.messageId), 0, 'the filter kept us-east away');
  assert.equal(nodes.flatMap((n) => n.handled).filter((h) => h.agent === 't-none').length, 0);
});
