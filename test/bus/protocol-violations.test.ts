/**
 * Messages that break their interaction protocol never reach the other side: the runtime answers
 * the offender with not-understood from the platform, carrying the reason and a stable code. The
 * offenders are real sandboxed puppets (examples/conformance/puppet) told what to send.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, AMS, local } from './support/test-node.js';

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('alice', 'conformance/puppet');
  await t.deploy('bob', 'conformance/puppet');
});

after(async () => {
  await t?.dispose();
});

function notUnderstoodTo(agent: string, cid: string) {
  return t.accepted.filter(
    (a) => a.message.performative === 'not-understood' && a.receivers.includes(agent) && a.message.conversationId === cid,
  );
}

test('an out-of-sequence reply gets not-understood with the reason; the conversation goes on', async () => {
  const cid = 'oos-1';
  await t.puppet('alice', {
    performative: 'request',
    to: 'bob',
    protocol: 'fipa-request',
    'conversation-id': cid,
    'reply-with': 'oos-1-q',
    content: 'work',
  });
  await t.waitFor('bob to get the request', () => t.logs('bob').some((l) => l.startsWith(`got request from alice@caxton cid=${cid}`)));
  const answer = (performative: string, content: string) =>
    t.puppet('bob', { performative, to: 'alice', protocol: 'fipa-request', 'conversation-id': cid, 'in-reply-to': 'oos-1-q', content });

  await answer('agree', 'first agree');
  await t.waitFor('alice to get the agree', () => t.logs('alice').some((l) => l.includes('content=first agree')));
  await answer('agree', 'second agree'); // agree in phase 'agreed': out of sequence
  const refusal = await t.waitFor('not-understood to bob', () => notUnderstoodTo('bob', cid)[0]);
  const m = refusal.message;
  assert.equal(m.sender?.name, AMS);
  assert.equal(m.userParams?.['X-caxton-code'], 'protocol.out-of-sequence');
  assert.equal(m.userParams?.['X-caxton-event'], 'violation');
  assert.equal(m.protocol, 'fipa-request');
  assert.match(m.content ?? '', /fipa-request: participant sent agree in phase 'agreed'/);
  assert.match(m.content ?? '', /the participant may send failure, inform/);
  await t.waitFor('bob to handle the not-understood', () =>
    t.logs('bob').some((l) => l.startsWith(`got not-understood from ${AMS} cid=${cid}`)),
  );

  // The conversation is still usable: the proper final answer goes through.
  await answer('inform', 'done');
  await t.waitFor('alice to get the result', () => t.logs('alice').some((l) => l.includes(`cid=${cid}`) && l.includes('content=done')));
  await t.settle();
  assert.ok(!t.accepted.some((a) => a.message.content === 'second agree'), 'the second agree was never accepted');
  assert.deepEqual(
    t
      .logs('alice')
      .filter((l) => l.includes(`cid=${cid}`))
      .map((l) => l.split(' ')[1]),
    ['agree', 'inform'],
    'alice saw exactly agree then inform',
  );
});

test('a reply in a conversation that does not exist gets not-understood (unknown conversation)', async () => {
  await t.puppet('bob', {
    performative: 'inform',
    to: 'alice',
    protocol: 'fipa-request',
    'conversation-id': 'never-opened',
    'in-reply-to': 'nothing',
    content: 'surprise',
  });
  const refusal = await t.waitFor('not-understood to bob', () => notUnderstoodTo('bob', 'never-opened')[0]);
  assert.equal(refusal.message.userParams?.['X-caxton-code'], 'protocol.unknown-conversation');
  assert.ok(!t.accepted.some((a) => a.message.content === 'surprise'), 'never accepted for delivery');
});

test('a participant cannot answer for another one: replies must come from the addressed agent', async () => {
  await t.deploy('carol', 'conformance/puppet');
  const cid = 'who-1';
  await t.puppet('alice', {
    performative: 'request',
    to: 'bob',
    protocol: 'fipa-request',
    'conversation-id': cid,
    'reply-with': 'who-1-q',
    content: 'work',
  });
  await t.waitFor('bob to get the request', () => t.logs('bob').some((l) => l.includes(`cid=${cid}`)));
  // carol was never asked; the tracker refuses her "answer" in alice's conversation.
  await t.puppet('carol', {
    performative: 'inform',
    to: 'alice',
    protocol: 'fipa-request',
    'conversation-id': cid,
    'in-reply-to': 'who-1-q',
    content: 'not mine',
  });
  const refusal = await t.waitFor('not-understood to carol', () => notUnderstoodTo('carol', cid)[0]);
  assert.equal(refusal.message.sender?.name, AMS);
  assert.equal(refusal.message.userParams?.['X-caxton-code'], 'protocol.unknown-conversation');
  assert.match(refusal.message.content ?? '', /no fipa-request conversation 'who-1' is open between carol@caxton and alice@caxton/);
  assert.ok(!t.accepted.some((a) => a.message.content === 'not mine'), 'never accepted for delivery');
  assert.equal(local(refusal.message.receivers[0]), 'carol');
});
