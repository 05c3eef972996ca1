/**
 * fipa-request with a reply-by the responder never meets. The runtime, not the initiator's own
 * timers, must answer: at the deadline the initiator gets `failure` from the platform naming the
 * silent participant, and an answer the responder sends afterwards is refused (not-understood to
 * the responder) instead of reaching the initiator. Both agents are real sandboxed puppets
 * (examples/conformance/puppet): the responder logs what it gets and never answers by itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, AMS, local } from './support/test-node.js';

const REPLY_BY_MS = 400;
let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('asker', 'conformance/puppet');
  await t.deploy('silent', 'conformance/puppet');
});

after(async () => {
  await t?.dispose();
});

test('a request nobody answers by its reply-by: the initiator gets failure from the platform at the deadline', async () => {
  await t.puppet('asker', {
    performative: 'request',
    to: 'silent',
    protocol: 'fipa-request',
    'conversation-id': 'slow-1',
    'reply-with': 'slow-1-q',
    'reply-by-in': REPLY_BY_MS,
    content: 'please hurry',
  });
  const request = await t.waitFor('the request', () =>
    t.accepted.find((a) => a.message.performative === 'request' && local(a.message.sender) === 'asker'),
  );
  const replyBy = request.message.replyBy!;
  assert.ok(replyBy > request.at - 50 && replyBy <= request.at + REPLY_BY_MS, 'the puppet set reply-by from its clock');
  await t.waitFor('the responder to receive the request', () =>
    t.logs('silent').some((l) => l.startsWith('got request from asker@caxton cid=slow-1')),
  );

  const failure = await t.waitFor(
    'failure to the initiator',
    () => t.accepted.find((a) => a.message.performative === 'failure' && a.receivers.includes('asker')),
    5_000,
  );
  const m = failure.message;
  assert.equal(m.sender?.name, AMS, 'the platform speaks, not the silent participant');
  assert.ok(failure.at >= replyBy, `failure accepted at ${failure.at}, before the reply-by ${replyBy}`);
  assert.equal(m.conversationId, 'slow-1');
  assert.equal(m.protocol, 'fipa-request');
  assert.equal(m.inReplyTo, 'slow-1-q');
  assert.equal(m.userParams?.['X-caxton-event'], 'deadline');
  assert.equal(m.userParams?.['X-caxton-deadline'], 'reply');
  assert.equal(local(m.userParams?.['X-caxton-participant']), 'silent');
  // The initiator's sandbox really got it.
  await t.waitFor('the initiator to handle the failure', () =>
    t.logs('asker').some((l) => l.startsWith(`got failure from ${AMS} cid=slow-1 irt=slow-1-q`)),
  );

  // An answer after the deadline is refused and never reaches the initiator.
  const before = t.deliveredTo('asker').length;
  await t.puppet('silent', {
    performative: 'inform',
    to: 'asker',
    protocol: 'fipa-request',
    'conversation-id': 'slow-1',
    'in-reply-to': 'slow-1-q',
    content: 'done, late',
  });
  const refused = await t.waitFor('not-understood to the late responder', () =>
    t.accepted.find((a) => a.message.performative === 'not-understood' && a.receivers.includes('silent')),
  );
  assert.equal(refused.message.sender?.name, AMS);
  assert.equal(refused.message.userParams?.['X-caxton-code'], 'protocol.conversation-ended');
  await t.settle();
  assert.equal(t.deliveredTo('asker').length, before, 'nothing more reached the initiator');
  assert.ok(!t.accepted.some((a) => a.message.content === 'done, late'));
  // Exactly one deadline failure.
  assert.equal(t.accepted.filter((a) => a.message.performative === 'failure').length, 1);
});

test('an operator request with a reply-by: the operator gets the deadline failure too', async () => {
  await t.send({
    performative: 'request',
    receivers: [{ name: 'silent' }],
    protocol: 'fipa-request',
    conversationId: 'slow-2',
    replyWith: 'slow-2-q',
    replyBy: Date.now() + 300,
    content: 'anyone?',
  });
  const failure = await t.waitFor(
    'failure to the operator',
    () => t.external.find((e) => e.message.performative === 'failure' && e.message.conversationId === 'slow-2'),
    5_000,
  );
  assert.equal(failure.message.sender?.name, AMS);
  assert.equal(local(failure.to), 'operator');
  assert.equal(failure.message.userParams?.['X-caxton-deadline'], 'reply');
});

test('a later request with an earlier reply-by is failed at its own deadline, not the earlier-scheduled one', async () => {
  const started = Date.now();
  await t.send({
    performative: 'request',
    receivers: [{ name: 'silent' }],
    protocol: 'fipa-request',
    conversationId: 'late-dl',
    replyWith: 'late-dl-q',
    replyBy: started + 3_000,
    content: 'whenever',
  });
  await t.send({
    performative: 'request',
    receivers: [{ name: 'silent' }],
    protocol: 'fipa-request',
    conversationId: 'soon-dl',
    replyWith: 'soon-dl-q',
    replyBy: started + 300,
    content: 'soon',
  });
  const soon = await t.waitFor(
    'the earlier deadline',
    () => t.external.find((e) => e.message.performative === 'failure' && e.message.conversationId === 'soon-dl'),
    5_000,
  );
  assert.ok(soon.at >= started + 300);
  assert.ok(!t.external.some((e) => e.message.conversationId === 'late-dl'), 'the later deadline has not fired yet');
  const late = await t.waitFor(
    'the later deadline',
    () => t.external.find((e) => e.message.performative === 'failure' && e.message.conversationId === 'late-dl'),
    8_000,
  );
  assert.ok(late.at >= started + 3_000);
});
