/**
 * A contract net by topic (decision 1961) on a real in-process node on the embedded log: three
 * contractors written in AssemblyScript, JavaScript and Rust each subscribe to `jobs.delivery`
 * from their own code at init (caxton:agent/topics; the JavaScript and Rust ones with a content
 * filter), a fourth (AssemblyScript, no `topic` config) does not. (The Python SDK's subscribe is
 * run end to end by topic-python.test.ts: a Python component costs ~15 s to prepare.) A JavaScript initiator calls for
 * proposals with the one receiver `topic:jobs.delivery` — it never names a contractor — and awards
 * the cheapest. Everything is read from the bus's events and the registry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, local } from './support/test-node.js';
import { arrow } from './support/flow.js';

const TOPIC = 'jobs.delivery';
/** name → [example, price] of the subscribed contractors. */
const SUBSCRIBED: Record<string, [string, string]> = {
  as: ['contract-net/as-contractor', '35'],
  js: ['contract-net/js-contractor', '23'],
  rust: ['contract-net/rust-contractor', '41'],
};
const DEADLINE_MS = 1500;

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  for (const [name, [example, price]] of Object.entries(SUBSCRIBED)) await t.deploy(name, example, { price, topic: TOPIC });
  await t.deploy('outsider', 'contract-net/as-contractor', { price: '1' });
  await t.deploy('broker', 'contract-net/js-initiator', { topic: TOPIC, 'deadline-ms': String(DEADLINE_MS) });
});

after(async () => {
  await t?.dispose();
});

test('each contractor subscribed from its own init: the registry holds their subscriptions, filters included', async () => {
  const subs = await t.node.topics.list(TOPIC);
  assert.deepEqual(subs.map((s) => s.agent).sort(), ['as', 'js', 'rust'], 'the three subscribed; the outsider did not');
  const byAgent = new Map(subs.map((s) => [s.agent, s]));
  assert.equal(byAgent.get('as')!.filter, undefined, 'the AssemblyScript contractor takes everything');
  assert.deepEqual(byAgent.get('js')!.filter, { all: [{ field: 'performative', match: { equals: 'cfp' } }] });
  assert.deepEqual(byAgent.get('rust')!.filter, { all: [{ field: 'protocol', match: { prefix: 'fipa-contract' } }] });
});

test('a cfp to topic:jobs.delivery reaches the three subscribers, each proposes, the cheapest is awarded', async () => {
  await t.send({
    performative: 'request',
    receivers: [{ name: 'broker' }],
    content: 'parcel 9',
    protocol: 'fipa-request',
    conversationId: 'parcel-9',
    replyWith: 'parcel-9-req',
  });
  const result = await t.waitFor(
    'the result to reach the operator',
    () =>
      t.accepted.find(
        (a) => a.message.conversationId === 'parcel-9' && (a.message.performative === 'inform' || a.message.performative === 'failure'),
      ),
    30_000,
  );
  await t.settle();
  const flow = t.accepted.map(arrow).join('\n');

  const cfps = t.accepted.filter((a) => a.message.performative === 'cfp');
  assert.equal(cfps.length, 1, `one cfp, stored once\n${flow}`);
  assert.deepEqual(
    cfps[0]!.message.receivers.map((r) => r.name),
    [`topic:${TOPIC}`],
    'addressed to the topic only',
  );
  assert.deepEqual([...cfps[0]!.receivers].sort(), ['as', 'js', 'rust'], 'delivered to each subscriber, not to the outsider');
  for (const name of Object.keys(SUBSCRIBED)) {
    assert.equal(
      t.accepted.filter((a) => local(a.message.sender) === name && a.message.performative === 'propose').length,
      1,
      `${name} proposed once\n${flow}`,
    );
  }
  assert.ok(!t.accepted.some((a) => local(a.message.sender) === 'outsider'), 'the outsider never heard of it');
  const accepts = t.accepted.filter((a) => local(a.message.sender) === 'broker' && a.message.performative === 'accept-proposal');
  assert.deepEqual(
    accepts.map((a) => local(a.message.receivers[0])),
    ['js'],
    'the cheapest (JavaScript, 23) was awarded',
  );
  assert.deepEqual(
    t.accepted
      .filter((a) => a.message.performative === 'reject-proposal')
      .map((a) => local(a.message.receivers[0]))
      .sort(),
    ['as', 'rust'],
  );
  assert.equal(result.message.performative, 'inform', flow);
  assert.match(result.message.content ?? '', /^done: parcel 9 by js@\S+ for 23$/);
});
