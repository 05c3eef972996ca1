/**
 * The Python SDK's `caxton.topics` end to end on a real in-process node (decision 1961):
 * examples/contract-net/py-contractor subscribes at init with a content filter (protocol
 * fipa-contract-net and performative cfp); the registry holds it, a publish the filter refuses is
 * accepted with no delivery, a cfp reaches it and it proposes; an invalid topic name comes back to
 * the agent as `TopicError(kind=invalid-name)`, which fails its init and so the deployment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, local } from './support/test-node.js';

const TOPIC = 'jobs.python';
let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('py', 'contract-net/py-contractor', { price: '17', topic: TOPIC });
});

after(async () => {
  await t?.dispose();
});

test('a Python agent subscribes at init with a filter; only what passes the filter reaches it', async () => {
  assert.deepEqual(await t.node.topics.list(TOPIC), [
    {
      agent: 'py',
      topic: TOPIC,
      filter: {
        all: [
          { field: 'protocol', match: { equals: 'fipa-contract-net' } },
          { field: 'performative', match: { in: ['cfp'] } },
        ],
      },
    },
  ]);
  const news = await t.send({ performative: 'inform', receivers: [{ name: `topic:${TOPIC}` }], content: 'not a cfp' });
  assert.deepEqual(news.accepted, [], 'the filter keeps an inform away');

  const cfp = await t.send({
    performative: 'cfp',
    receivers: [{ name: `topic:${TOPIC}` }],
    content: 'parcel 3',
    protocol: 'fipa-contract-net',
    conversationId: 'py-topic-1',
    replyBy: Date.now() + 60_000,
  });
  assert.deepEqual(cfp.accepted, ['py']);
  const proposal = await t.waitFor('the proposal', () =>
    t.external.find((e) => e.message.performative === 'propose' && e.message.conversationId === 'py-topic-1'),
  );
  assert.equal(local(proposal.message.sender), 'py');
  assert.equal(proposal.message.content, '17');
});

test('an invalid topic name is a TopicError in the agent: its init fails, and the deployment with it', async () => {
  await assert.rejects(t.deploy('py-bad', 'contract-net/py-contractor', { topic: 'no spaces allowed' }), (err: Error) => {
    assert.match(err.message, /invalid-name/);
    return true;
  });
  assert.deepEqual(
    (await t.node.topics.list()).map((s) => s.agent),
    ['py'],
    'nothing was subscribed',
  );
});
