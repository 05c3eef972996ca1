/**
 * fipa-subscribe with the cancel meta-protocol: subscribe → agree → informs → cancel → inform
 * (the cancel's confirmation) → nothing more. The subscriber is the operator; the publishers are
 * real sandboxed agents (examples/conformance/publisher) that inform on a timer. One of them is
 * "stubborn": it confirms the cancel but keeps informing — the runtime must keep those informs
 * from the subscriber (not-understood to the publisher) because the conversation has ended.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, AMS, local, type Accepted } from './support/test-node.js';

let t: TestNode;

before(async () => {
  t = await TestNode.start();
  await t.deploy('news', 'conformance/publisher', { 'period-ms': '40' });
  await t.deploy('pushy', 'conformance/publisher', { 'period-ms': '40', stubborn: 'true' });
});

after(async () => {
  await t?.dispose();
});

/** What the operator received in conversation `cid`, in acceptance order. */
function toOperator(cid: string): Accepted[] {
  return t.accepted.filter((a) => a.message.conversationId === cid && a.message.receivers.some((r) => local(r) === 'operator'));
}

async function subscribeAndCancel(publisher: string, cid: string): Promise<{ cancelConfirmedAt: number }> {
  await t.send({
    performative: 'subscribe',
    receivers: [{ name: publisher }],
    protocol: 'fipa-subscribe',
    conversationId: cid,
    replyWith: `${cid}-sub`,
    content: 'ticks',
  });
  await t.waitFor('three informs', () => toOperator(cid).filter((a) => a.message.performative === 'inform').length >= 3);
  const got = toOperator(cid);
  assert.equal(got[0]!.message.performative, 'agree', 'the subscription starts with agree');
  assert.ok(got.slice(1).every((a) => a.message.performative === 'inform' && /^tick \d+$/.test(a.message.content ?? '')));
  assert.equal(got[1]!.message.inReplyTo, `${cid}-sub`);

  await t.send({
    performative: 'cancel',
    receivers: [{ name: publisher }],
    protocol: 'fipa-subscribe',
    conversationId: cid,
    replyWith: `${cid}-cancel`,
    content: 'ticks',
  });
  const confirmation = await t.waitFor('the cancel to be confirmed', () =>
    toOperator(cid).find((a) => a.message.performative === 'inform' && a.message.inReplyTo === `${cid}-cancel`),
  );
  assert.equal(local(confirmation.message.sender), publisher);
  assert.equal(confirmation.message.content, 'subscription cancelled');
  return { cancelConfirmedAt: confirmation.seq };
}

test('a well-behaved publisher: informs until the cancel, then the subscription ends', async () => {
  const { cancelConfirmedAt } = await subscribeAndCancel('news', 'sub-news');
  // Ten periods later nothing more has arrived for the subscription.
  await new Promise((resolve) => setTimeout(resolve, 400));
  const after = toOperator('sub-news').filter((a) => a.seq > cancelConfirmedAt);
  assert.deepEqual(
    after.map((a) => a.message.content),
    [],
  );
  assert.ok(!t.accepted.some((a) => a.message.sender?.name === AMS && a.message.conversationId === 'sub-news'), 'no violations');
});

test('a stubborn publisher keeps informing after the cancel: the runtime refuses every one', async () => {
  const { cancelConfirmedAt } = await subscribeAndCancel('pushy', 'sub-pushy');
  const refusals = await t.waitFor(
    'three informs refused',
    () => {
      const r = t.accepted.filter(
        (a) => a.message.performative === 'not-understood' && a.receivers.includes('pushy') && a.message.conversationId === 'sub-pushy',
      );
      return r.length >= 3 ? r : undefined;
    },
    5_000,
  );
  for (const r of refusals) {
    assert.equal(r.message.sender?.name, AMS);
    assert.equal(r.message.userParams?.['X-caxton-code'], 'protocol.conversation-ended');
  }
  // The publisher's sandbox got the refusals (it logs them).
  await t.waitFor('the publisher to log a refusal', () => t.logs('pushy').some((l) => l.includes('(protocol.conversation-ended)')));
  const after = toOperator('sub-pushy').filter((a) => a.seq > cancelConfirmedAt);
  assert.deepEqual(
    after.map((a) => a.message.content),
    [],
    'no inform reached the subscriber after the cancel was confirmed',
  );
});
