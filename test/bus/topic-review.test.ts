/**
 * Review fixes on topics (issue 27, decision 1960), on real in-process nodes with real sandboxed
 * AssemblyScript puppets:
 * - edge admission counts the deliveries a publish makes (its subscribers), not the one topic name;
 * - an initiator subscribed to its own topic is not one of the receivers of its publish, so the
 *   conversation it opens is policed and its participants' proposals are in sequence;
 * - a follow-up sent to the topic reaches the conversation's participants; an agent that
 *   subscribed since is left out instead of the follow-up being refused whole.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CaxtonError, type AclMessage } from '@caxton/core';
import { TestNode } from './support/test-node.js';

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  for (const name of ['boss', 'w1', 'w2', 'late']) await t.deploy(name, 'conformance/puppet');
  for (const name of ['boss', 'w1', 'w2']) await t.node.topics.subscribe(name, 'jobs');
});

after(async () => {
  await t?.dispose();
});

const got = (agent: string, performative: string, cid: string) =>
  t.logs(agent).filter((l) => l.startsWith(`got ${performative} from `) && l.includes(` cid=${cid} `));
const platformAnswersTo = (agent: string, cid: string) =>
  t.accepted.filter((a) => a.receivers.includes(agent) && a.message.conversationId === cid && a.message.sender?.name === 'ams@caxton');
const acceptedOf = (performative: string, cid: string) =>
  t.accepted.filter(
    (a) => a.message.performative === performative && a.message.conversationId === cid && a.message.sender?.name === 'boss@caxton',
  );

test('an initiator subscribed to its own topic opens a policed conversation: its cfp does not come back to it', async () => {
  const cid = 'cn-self';
  const cnet = { protocol: 'fipa-contract-net', 'conversation-id': cid };
  await t.puppet('boss', { performative: 'cfp', to: 'topic:jobs', ...cnet, 'reply-by-in': 60_000, content: 'job' });
  await t.waitFor('both workers to get the cfp', () => got('w1', 'cfp', cid).length === 1 && got('w2', 'cfp', cid).length === 1);
  assert.deepEqual([...acceptedOf('cfp', cid)[0]!.receivers].sort(), ['w1', 'w2'], 'the sender is left out of its own publish');

  // With boss among the receivers the tracker let the cfp pass unpoliced and these were refused
  // as "unknown conversation".
  await t.puppet('w1', { performative: 'propose', to: 'boss', ...cnet, content: 'w1 bids 5' });
  await t.puppet('w2', { performative: 'refuse', to: 'boss', ...cnet, content: 'w2 is busy' });
  await t.waitFor(
    'boss to get the propose and the refuse',
    () => got('boss', 'propose', cid).length === 1 && got('boss', 'refuse', cid).length === 1,
  );
  await t.puppet('boss', { performative: 'accept-proposal', to: 'w1', ...cnet, content: 'w1 wins' });
  await t.waitFor('w1 to be awarded', () => got('w1', 'accept-proposal', cid).length === 1);
  await t.settle();
  assert.equal(got('boss', 'cfp', cid).length, 0);
  assert.deepEqual(
    platformAnswersTo('w1', cid)
      .concat(platformAnswersTo('w2', cid), platformAnswersTo('boss', cid))
      .map((a) => a.message.content),
    [],
    'nothing refused',
  );
});

test('a follow-up to the topic reaches the participants; one who subscribed since is left out, not a cause of refusal', async () => {
  const cid = 'cn-late';
  const cnet = { protocol: 'fipa-contract-net', 'conversation-id': cid };
  await t.puppet('boss', { performative: 'cfp', to: 'topic:jobs', ...cnet, 'reply-by-in': 60_000, content: 'job 2' });
  await t.waitFor('the workers to get the cfp', () => got('w1', 'cfp', cid).length === 1 && got('w2', 'cfp', cid).length === 1);
  await t.puppet('w1', { performative: 'propose', to: 'boss', ...cnet, content: 'w1 bids 7' });
  await t.puppet('w2', { performative: 'propose', to: 'boss', ...cnet, content: 'w2 bids 9' });
  await t.waitFor('boss to get both proposals', () => got('boss', 'propose', cid).length === 2);

  await t.node.topics.subscribe('late', 'jobs');
  try {
    // A newcomer named outright is judged by the gate as before: refused, with the reason.
    await t.puppet('boss', { performative: 'reject-proposal', to: 'late', ...cnet, content: 'psst' });
    const refusal = await t.waitFor('the refusal to boss', () => platformAnswersTo('boss', cid)[0]);
    assert.match(refusal.message.content ?? '', /late@caxton is not a participant/);

    // Through the topic, the newcomer is left out and the follow-up goes to the participants.
    await t.puppet('boss', { performative: 'reject-proposal', to: 'topic:jobs', ...cnet, content: 'nobody wins' });
    await t.waitFor(
      'both workers to get the rejection',
      () => got('w1', 'reject-proposal', cid).length === 1 && got('w2', 'reject-proposal', cid).length === 1,
    );
    await t.settle();
    assert.deepEqual([...acceptedOf('reject-proposal', cid)[0]!.receivers].sort(), ['w1', 'w2'], 'the participants among the subscribers');
    assert.equal(got('late', 'reject-proposal', cid).length, 0, 'the newcomer is not part of the conversation');
    assert.equal(platformAnswersTo('boss', cid).length, 1, 'the follow-up to the topic was not refused');
  } finally {
    await t.node.topics.unsubscribe('late', 'jobs');
  }
});

// The node's control is audited: a send is admitted ahead with a ticket for its one name (the
// topic), and the subscribers beyond it must fit as well.
test('edge admission counts a publish as the deliveries it makes, not as the one topic name', async () => {
  // Four in flight: the least an edge limit takes (core's EDGE_LIMIT_TABLE.maxLimit, checked by startNode).
  const small = await TestNode.start({ edgeAdmission: { minLimit: 4, maxLimit: 4, operatorReserve: 0, operatorMinSlots: 0 } });
  try {
    const subscribers = ['s1', 's2', 's3', 's4', 's5'];
    for (const name of subscribers) {
      await small.deploy(name, 'conformance/puppet');
      await small.node.topics.subscribe(name, 'wide');
    }
    for (const name of subscribers.slice(0, 4)) await small.node.topics.subscribe(name, 'narrow');
    await small.settle();
    const publish = (topic: string, content: string): AclMessage => ({
      performative: 'inform',
      receivers: [{ name: `topic:${topic}` }],
      content,
    });

    await assert.rejects(
      small.send(publish('wide', 'five')),
      (err: unknown) => {
        assert.ok(err instanceof CaxtonError);
        assert.equal(err.code, 'bus.overloaded');
        return true;
      },
      'five deliveries do not fit a limit of four',
    );
    assert.equal(small.accepted.filter((a) => a.message.content === 'five').length, 0, 'a refusal leaves no trace');

    const ok = await small.send(publish('narrow', 'four'));
    assert.equal(ok.accepted.length, 4, 'four deliveries fit a limit of four');
    await small.waitFor('s1 to s4 to handle "four"', () =>
      subscribers.slice(0, 4).every((s) => small.logs(s).some((l) => l.endsWith('content=four'))),
    );
    await small.settle();
  } finally {
    await small.dispose();
  }
});
