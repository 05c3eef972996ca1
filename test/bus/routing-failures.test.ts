/**
 * Routing failures and backpressure. An outside client (the API) gets typed errors; an agent, which
 * cannot catch anything after its handler returned, gets a FIPA `failure` from the platform. A full
 * mailbox refuses instead of queueing, so a slow agent bounds what the node holds for it however
 * fast others send. The slow agent is a real puppet that busy-waits in every handler.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TRAFFIC_LIMITS } from '@caxton/core';
import { MailboxFullError, UnknownReceiverError } from '@caxton/runtime';
import { TestNode, AMS, local } from './support/test-node.js';

const CAPACITY = 20;
let t: TestNode;

before(async () => {
  t = await TestNode.start({ mailboxCapacity: CAPACITY });
  await t.deploy('sender', 'conformance/puppet');
  await t.deploy('bob', 'conformance/puppet');
  // The spin reads the clock in a loop: its fuel grows with the machine's speed (an idle machine
  // spun 10 ms on ~20M, the default budget, and the handling ran out of fuel). A budget far past
  // any machine keeps the agent slow, never crashed.
  await t.deploy('slow', 'conformance/puppet', { 'spin-ms': '10' }, { fuelPerMessage: 10_000_000_000 });
});

after(async () => {
  await t?.dispose();
});

/** Deliveries to `agent` accepted and not completed yet: what the node holds for it. */
function held(agent: string): number {
  let n = 0;
  for (const a of t.deliveredTo(agent)) if (!t.completed.has(`${a.messageId}>${agent}`)) n++;
  return n;
}

async function drained(agent: string): Promise<void> {
  await t.waitFor(`${agent} to drain its mailbox`, () => held(agent) === 0, 20_000);
}

test('no amplification: 64 unknown receivers with 64 reply-to addresses make one failure, to the sender alone', async () => {
  const acceptedBefore = t.accepted.length;
  const unknown = Array.from({ length: 64 }, (_, i) => `ghost-${i}`).join(',');
  const victims = Array.from({ length: 64 }, () => 'bob').join(',');
  await t.puppet('sender', { performative: 'inform', to: unknown, 'reply-to': victims, content: 'boom', 'conversation-id': 'amplify-1' });
  const failure = await t.waitFor('the failure to the sender', () =>
    t.accepted.slice(acceptedBefore).find((a) => a.message.performative === 'failure' && a.message.conversationId === 'amplify-1'),
  );
  assert.deepEqual(failure.receivers, ['sender'], 'to the stamped sender, never to the reply-to list');
  assert.match(failure.message.content ?? '', /^no agent named ghost-0@caxton, .* \(and 56 more\)$/, 'names a bounded list');
  // Give any further platform messages time to appear, then count: exactly one, and bob got none.
  await new Promise((r) => setTimeout(r, 500));
  const platform = t.accepted
    .slice(acceptedBefore)
    .filter((a) => a.message.sender?.name === AMS && a.message.conversationId === 'amplify-1');
  assert.equal(platform.length, 1, `platform messages for one send: ${platform.length}`);
  assert.ok(!platform.some((a) => a.receivers.includes('bob')), 'nothing reached the reply-to victim');
});

test('unknown receiver: the API gets UnknownReceiverError, an agent gets failure from the platform', async () => {
  await assert.rejects(
    t.send({ performative: 'inform', receivers: [{ name: 'nobody' }], content: 'hello?' }),
    (err: unknown) => err instanceof UnknownReceiverError && err.code === 'bus.unknown-receiver' && /nobody/.test(err.message),
  );

  await t.puppet('sender', { performative: 'inform', to: 'bob,nobody', content: 'half lost', 'conversation-id': 'lost-1' });
  const failure = await t.waitFor('failure to the sender', () =>
    t.accepted.find((a) => a.message.performative === 'failure' && a.receivers.includes('sender') && a.message.conversationId === 'lost-1'),
  );
  assert.equal(failure.message.sender?.name, AMS);
  assert.equal(failure.message.userParams?.['X-caxton-failure'], 'unknown-receiver');
  assert.equal(failure.message.content, 'no agent named nobody@caxton');
  // The known receiver still got its copy, and the sender's sandbox got the failure.
  await t.waitFor('bob to get his copy', () => t.logs('bob').some((l) => l.includes('content=half lost')));
  await t.waitFor('the sender to handle the failure', () =>
    t.logs('sender').some((l) => l.startsWith(`got failure from ${AMS} cid=lost-1`)),
  );
  const sent = t.accepted.find((a) => a.message.content === 'half lost')!;
  assert.deepEqual(sent.receivers, ['bob']);
  assert.deepEqual(sent.refused, [{ receiver: 'nobody@caxton', reason: 'unknown-receiver' }]);
});

test('full mailbox, API: the free slots are accepted, the rest get MailboxFullError', async () => {
  await drained('slow');
  /** Deliveries of `slow` completed so far: each frees a slot, which a later send may take. */
  const completedBySlow = (): number => t.deliveredTo('slow').filter((a) => t.completed.has(`${a.messageId}>slow`)).length;
  const completedBefore = completedBySlow();
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => t.send({ performative: 'inform', receivers: [{ name: 'slow' }], content: `api ${i}` })),
  );
  // The sends reach the capacity check one by one (the audited control appends its intent first),
  // while `slow` keeps handling: a delivery it completed during the burst frees a slot that a later
  // send rightly takes. So: at least the capacity, and beyond it no more than what was freed.
  const freed = completedBySlow() - completedBefore;
  const accepted = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.ok(accepted.length >= CAPACITY, `accepted ${accepted.length} of a free mailbox of ${CAPACITY}`);
  assert.ok(accepted.length - CAPACITY <= freed, `accepted ${accepted.length}: more than ${CAPACITY} + ${freed} freed during the burst`);
  assert.equal(refused.length, 50 - accepted.length);
  for (const r of refused) {
    assert.ok(r.reason instanceof MailboxFullError, String(r.reason));
    assert.equal((r.reason as MailboxFullError).code, 'bus.mailbox-full');
  }
  // First come, first served: the first CAPACITY sends are accepted whatever else is.
  assert.deepEqual(
    results.slice(0, CAPACITY).map((r) => r.status),
    Array.from({ length: CAPACITY }, () => 'fulfilled'),
  );
  await drained('slow');
  assert.equal(t.logs('slow').filter((l) => l.includes('content=api ')).length, accepted.length, 'every accepted message was handled');
});

test('full mailbox, agent: an agent takes at most its share of a mailbox; the sender gets one failure per refused message', async () => {
  await drained('slow');
  // One agent may hold a quarter of a receiver's slots (decision 1730): 5 of 20.
  const SHARE = CAPACITY / 4;
  // No more than the sender's own mailbox holds: the failures come back to it.
  const FLOOD = CAPACITY;
  await t.puppet('sender', { performative: 'inform', to: 'slow', content: 'flood', count: FLOOD, 'conversation-id': 'flood-1' });
  const failures = await t.waitFor(`${FLOOD - SHARE} failures to the sender`, () => {
    const f = t.accepted.filter(
      (a) => a.message.performative === 'failure' && a.receivers.includes('sender') && a.message.conversationId === 'flood-1',
    );
    return f.length >= FLOOD - SHARE ? f : undefined;
  });
  assert.equal(failures.length, FLOOD - SHARE);
  for (const f of failures) {
    assert.equal(f.message.sender?.name, AMS);
    assert.equal(f.message.userParams?.['X-caxton-failure'], 'mailbox-share');
    assert.equal(
      f.message.content,
      `this agent already holds its share (${SHARE} messages) of the mailbox of slow@caxton, or of its text (${DEFAULT_TRAFFIC_LIMITS.mailboxTextUnits / 4} code units); retry once the receiver has handled some`,
    );
  }
  const floods = t.accepted.filter((a) => local(a.message.sender) === 'sender' && a.message.conversationId === 'flood-1');
  assert.equal(floods.filter((a) => a.receivers.includes('slow')).length, SHARE);
  assert.equal(floods.filter((a) => a.refused.some((r) => r.reason === 'mailbox-share')).length, FLOOD - SHARE);
  await drained('slow');
  await t.waitFor(
    'the sender to handle every failure',
    () => t.logs('sender').filter((l) => l.startsWith(`got failure from ${AMS} cid=flood-1`)).length === FLOOD - SHARE,
  );
});

test('sustained overload: what the node holds for a slow agent never exceeds its mailbox', async () => {
  await drained('slow');
  const until = Date.now() + 2_000;
  let sent = 0;
  let refused = 0;
  let maxHeld = 0;
  let maxDepth = 0;
  let waves = 0;
  // At least five waves whatever the machine's speed: on a loaded machine two waves can take the
  // whole window, and `slow` drains its mailbox between them.
  while (Date.now() < until || waves < 5) {
    waves++;
    const wave = await Promise.allSettled(
      Array.from({ length: 40 }, () => t.send({ performative: 'inform', receivers: [{ name: 'slow' }], content: `load ${sent++}` })),
    );
    refused += wave.filter((r) => r.status === 'rejected').length;
    maxHeld = Math.max(maxHeld, held('slow'));
    maxDepth = Math.max(maxDepth, (await t.control.getAgent('slow'))!.mailboxDepth);
    assert.ok(wave.every((r) => r.status === 'fulfilled' || r.reason instanceof MailboxFullError));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // Each wave offers twice the mailbox: a refusal in a quarter of the sends at least (what `slow`
  // handles while a wave is in flight frees slots, more of them the slower the machine).
  assert.ok(refused >= sent / 4, `overload was real: ${refused} of ${sent} refused`);
  assert.ok(maxHeld <= CAPACITY, `held ${maxHeld} > ${CAPACITY}`);
  assert.ok(maxDepth <= CAPACITY, `mailbox depth ${maxDepth} > ${CAPACITY}`);
  await drained('slow');
  const handledLoad = t.logs('slow').filter((l) => l.includes('content=load ')).length;
  assert.equal(handledLoad, sent - refused, 'every accepted message was handled, none twice');
});

test('after a restart the bound holds from the first burst (an idle agent has no mailbox yet)', async () => {
  await drained('slow');
  await t.stop();
  const again = await TestNode.start({ dataDir: t.dataDir, mailboxCapacity: CAPACITY });
  try {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => again.send({ performative: 'inform', receivers: [{ name: 'slow' }], content: `burst ${i}` })),
    );
    // As in the API burst above: a delivery `slow` completed during the burst frees a slot.
    const freed = again.deliveredTo('slow').filter((a) => again.completed.has(`${a.messageId}>slow`)).length;
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    assert.ok(accepted >= CAPACITY, `accepted ${accepted} of a free mailbox of ${CAPACITY}`);
    assert.ok(accepted - CAPACITY <= freed, `accepted ${accepted}: more than ${CAPACITY} + ${freed} freed during the burst`);
    assert.deepEqual(
      results.slice(0, CAPACITY).map((r) => r.status),
      Array.from({ length: CAPACITY }, () => 'fulfilled'),
    );
    assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof MailboxFullError));
  } finally {
    await again.stop();
  }
});
