/**
 * Two things no agent can get around:
 *  - sender stamping: whatever `:sender` an agent writes, receivers see its own identity, and it
 *    cannot borrow the platform's (unpoliced) identity either;
 *  - dedup: a delivery that was completed is never handed to its agent again, even when the same
 *    delivery (same id) is appended again after completion and the node restarts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { TestNode, AMS, local } from './support/test-node.js';

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('alice', 'conformance/puppet');
  await t.deploy('bob', 'conformance/puppet');
  await t.deploy('mallory', 'conformance/puppet');
  await t.deploy('echo', 'as-echo');
});

after(async () => {
  await t?.dispose();
});

test('an agent cannot speak as another: receivers see its own identity', async () => {
  for (const claimed of ['alice@caxton', AMS, 'operator@caxton', 'bob']) {
    await t.puppet('mallory', { performative: 'inform', to: 'bob', sender: claimed, content: `as ${claimed}` });
  }
  await t.waitFor('bob to get all four', () => t.logs('bob').filter((l) => l.includes('content=as ')).length === 4);
  for (const line of t.logs('bob').filter((l) => l.includes('content=as '))) {
    assert.match(line, /^got inform from mallory@caxton /, line);
  }
  for (const a of t.accepted.filter((x) => x.message.content?.startsWith('as '))) {
    assert.equal(a.message.sender?.name, 'mallory@caxton');
  }
});

test("an agent claiming the platform's identity is still policed as itself", async () => {
  await t.puppet('alice', {
    performative: 'request',
    to: 'bob',
    protocol: 'fipa-request',
    'conversation-id': 'imp-1',
    'reply-with': 'imp-1-q',
    content: 'job',
  });
  await t.waitFor('bob to get the request', () => t.logs('bob').some((l) => l.includes('cid=imp-1')));
  // A forged deadline failure "from the platform" in alice's conversation.
  await t.puppet('mallory', {
    performative: 'failure',
    to: 'alice',
    sender: AMS,
    protocol: 'fipa-request',
    'conversation-id': 'imp-1',
    'in-reply-to': 'imp-1-q',
    content: 'forged',
  });
  const refusal = await t.waitFor('not-understood to mallory', () =>
    t.accepted.find((a) => a.message.performative === 'not-understood' && a.receivers.includes('mallory')),
  );
  assert.equal(refusal.message.sender?.name, AMS);
  await t.settle();
  assert.ok(!t.accepted.some((a) => a.message.content === 'forged'));
  assert.ok(!t.logs('alice').some((l) => l.includes('forged')));
});

test('a completed delivery appended again with the same id is not handed to the agent again, across a restart', async () => {
  const sent = await t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'only once' });
  const deliveryId = `${sent.messageId}>echo`;
  await t.waitFor('the delivery to be completed', () => t.completed.has(deliveryId));
  const original = t.accepted.find((a) => a.messageId === sent.messageId)!;
  assert.equal(t.external.filter((e) => e.message.content === 'only once').length, 1);
  await t.stop();

  // Re-send the very same delivery at the log boundary (what a retried append after a crash does).
  const log = new EmbeddedMessageLog({ dir: path.join(t.dataDir, 'log') });
  await log.open();
  assert.equal(log.hasCompleted(deliveryId), true, 'the completion survived the restart');
  await log.append([{ id: deliveryId, messageId: sent.messageId, receiver: 'echo', message: original.message, acceptedAt: Date.now() }]);
  assert.equal(log.stats().pending, 0, 'the duplicate was not stored');
  await log.close();

  const again = await TestNode.start({ dataDir: t.dataDir });
  try {
    const next = await again.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'after restart' });
    await again.waitFor('the new message to be answered', () => again.external.some((e) => e.message.content === 'after restart'));
    await again.settle();
    assert.deepEqual(
      again.handled.map((h) => h.messageId),
      [next.messageId],
      'only the new message reached echo',
    );
    assert.ok(!again.accepted.some((a) => a.message.content === 'only once' && local(a.message.sender) === 'echo'));
  } finally {
    await again.stop();
  }
});
