/**
 * Per-sender shares of a mailbox (issue 25): one agent's send storm takes its own share of a
 * neighbour's mailbox, never the room of other senders; agents together leave the operator's
 * reserve free; slots come back as the receiver handles what it got.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery } from '@caxton/core';
import { MailboxShares, shareLimits } from '../../src/bus/mailbox-shares.js';
import { Mailboxes } from '../../src/bus/mailboxes.js';
import { MailboxFullError } from '../../src/bus/errors.js';
import { inform, openBus, operator, until } from './scripted-port.js';

test('share limits: a quarter per sender, a tenth kept for the operator, never below one', () => {
  assert.deepEqual(shareLimits(10_000), { perSender: 2_500, agentsTotal: 9_000 });
  assert.deepEqual(shareLimits(40), { perSender: 10, agentsTotal: 36 });
  assert.deepEqual(shareLimits(2), { perSender: 1, agentsTotal: 1 });
  const shares = new MailboxShares(shareLimits(40));
  for (let i = 0; i < 10; i++) shares.take('v', 'h@p', true);
  assert.equal(shares.admitAgent('v', 'h@p'), 'sender-share');
  assert.equal(shares.admitAgent('v', 'f@p'), 'ok');
  shares.give('v', 'h@p', 0);
  assert.equal(shares.admitAgent('v', 'h@p'), 'ok');
  shares.reserve('v', 'h@p', 0);
  assert.equal(shares.admitAgent('v', 'h@p'), 'sender-share', 'an append in flight counts');
  shares.release('v', 'h@p', 0);
  shares.forget('v');
  assert.equal(shares.heldBy('v', 'h@p'), 0);
});

test("a send storm takes only its share of a neighbour's mailbox: the others, and the operator, still get in", async () => {
  const { bus, port, events } = await openBus(['hostile', 'friend', 'victim'], { capacity: 40, port: (p) => p.notRunnable.add('victim') });
  // The hostile agent's own failures are handled without sending anything.
  const results = [];
  for (let i = 0; i < 40; i++) results.push(await bus.send(inform('victim', `storm ${i}`), { agent: 'hostile' }));
  assert.equal(results.filter((r) => r.accepted.length === 1).length, 10, 'its share: a quarter of 40');
  assert.ok(results.slice(10).every((r) => r.refused[0]?.reason === 'mailbox-share'));
  await until(() => port.handledBy('hostile').length === 30, 'a typed failure for every refused send');
  const failure = port.items.find((i) => i.agent === 'hostile' && i.kind === 'delivery')!;
  assert.ok(failure.kind === 'delivery');
  assert.equal(failure.delivery.message.userParams?.['X-caxton-failure'], 'mailbox-share');
  assert.match(failure.delivery.message.content ?? '', /share \(10 messages\)/);

  for (let i = 0; i < 10; i++)
    assert.equal((await bus.send(inform('victim', `hello ${i}`), { agent: 'friend' })).accepted.length, 1, 'a neighbour still gets in');
  for (let i = 0; i < 5; i++)
    assert.equal((await bus.send(inform('victim', `probe ${i}`), operator)).accepted.length, 1, 'the operator still gets in');
  assert.equal(bus.mailboxDepth('victim'), 25);
  assert.ok(!events.some((e) => e.type === 'dropped'));

  // Handled messages give their slots back.
  port.notRunnable.delete('victim');
  bus.wake('victim');
  await until(() => bus.mailboxDepth('victim') === 0, 'the victim handled what it got');
  assert.equal((await bus.send(inform('victim', 'again'), { agent: 'hostile' })).accepted.length, 1);
  await bus.stopDispatching();
  await bus.stop();
});

test("agents together leave the operator's reserve free; the operator is refused only at the full capacity", async () => {
  const agents = ['a1', 'a2', 'a3', 'a4'];
  const { bus } = await openBus([...agents, 'victim'], { capacity: 40, port: (p) => p.notRunnable.add('victim') });
  let accepted = 0;
  for (const a of agents)
    for (let i = 0; i < 10; i++) accepted += (await bus.send(inform('victim', `${a} ${i}`), { agent: a })).accepted.length;
  assert.equal(accepted, 36, 'agents fill the mailbox up to capacity less the reserve');
  for (let i = 0; i < 4; i++) assert.equal((await bus.send(inform('victim', `op ${i}`), operator)).accepted.length, 1);
  await assert.rejects(bus.send(inform('victim', 'one too many'), operator), MailboxFullError);
  await bus.stopDispatching();
  await bus.stop();
});

test('an agent sender is forgotten once it holds and appends nothing (instances of kinds come and go, decision 1980)', () => {
  const shares = new MailboxShares(shareLimits(40));
  shares.reserve('v', 'counter/a@p', 0);
  shares.release('v', 'counter/a@p', 0);
  assert.equal(shares.agentSenderCount, 0, 'an append that ended leaves nothing');
  shares.take('v', 'counter/a@p', true);
  shares.take('w', 'counter/a@p', true);
  assert.equal(shares.agentSenderCount, 1);
  shares.give('v', 'counter/a@p', 0);
  assert.equal(shares.agentSenderCount, 1, 'still holds a slot of w');
  shares.forget('w');
  assert.equal(shares.agentSenderCount, 0, "w's mailbox went: the sender holds nothing");
  // Its counts stay right when it sends again.
  for (let i = 0; i < 10; i++) shares.take('v', 'counter/a@p', true);
  assert.equal(shares.admitAgent('v', 'counter/a@p'), 'sender-share');
  for (let i = 0; i < 10; i++) shares.give('v', 'counter/a@p', 0);
  assert.equal(shares.agentSenderCount, 0);
  assert.equal(shares.admitAgent('v', 'counter/a@p'), 'ok');
});

test('a mailbox removed with sends in flight keeps no record once they settle (review of decision 2000)', () => {
  const shares = new MailboxShares(shareLimits(40));
  const ROUNDS = 1000;
  for (let i = 0; i < ROUNDS; i++) {
    const receiver = `kind/instance-${i}@p`;
    shares.take(receiver, 'client', false);
    shares.reserve(receiver, 'counter/a@p', 0);
    shares.reserve(receiver, 'counter/b@p', 0);
    shares.forget(receiver); // removed mid-send
    shares.release(receiver, 'counter/a@p', 0);
    if (i % 2 === 0) shares.release(receiver, 'counter/b@p', 0);
    else shares.give(receiver, 'client', 0); // a give that finds nothing held changes nothing...
    if (i % 2 === 1) shares.release(receiver, 'counter/b@p', 0); // ...the last release drops it
  }
  assert.equal(shares.receiverCount, 0, 'no record per removed mailbox');
  assert.equal(shares.agentSenderCount, 0);
  // A mailbox that comes back while an append is in flight keeps its counts.
  shares.reserve('v', 'counter/a@p', 0);
  shares.forget('v');
  shares.take('v', 'counter/b@p', true);
  shares.release('v', 'counter/a@p', 0);
  assert.equal(shares.receiverCount, 1, 'the mailbox is back: its record stays');
  assert.equal(shares.heldBy('v', 'counter/b@p'), 1);
  shares.give('v', 'counter/b@p', 0);
  assert.equal(shares.admitAgent('v', 'counter/b@p'), 'ok');
});

test('handles (decision 2070) count as the names do, give nothing twice after a forget, and keep refused senders bounded', () => {
  const shares = new MailboxShares(shareLimits(40));
  const held = Array.from({ length: 10 }, () => shares.take('v', 'h@p', true));
  const s = shares.senderSlot('v', 'h@p');
  assert.equal(shares.admitSlot(s), 'sender-share', 'the handle sees the slots taken by name');
  shares.giveHeld(held.pop()!);
  assert.equal(shares.admitSlot(s), 'ok');
  shares.reserveSlot(s, 'h@p');
  assert.equal(shares.admitAgent('v', 'h@p'), 'sender-share', 'an append reserved through a handle counts by name');
  shares.releaseSlot(s);
  assert.equal(shares.admitAgent('v', 'h@p'), 'ok');
  // The mailbox goes while its deliveries are completing: their slots were taken back by `forget`.
  shares.reserveSlot(s, 'h@p');
  shares.forget('v');
  assert.equal(shares.agentSenderCount, 1, 'an append in flight keeps the sender known');
  for (const h of held) shares.giveHeld(h);
  assert.equal(shares.agentSenderCount, 1, 'nothing given twice: the append still counts');
  shares.releaseSlot(s);
  assert.equal(shares.agentSenderCount, 0);
  assert.equal(shares.receiverCount, 0, "the gone mailbox's record dropped with its last append");
  // A slot given back after its mailbox came back leaves the new counts alone.
  const old = shares.take('w', 'h@p', true);
  shares.forget('w');
  shares.take('w', 'h@p', true);
  shares.giveHeld(old);
  assert.equal(shares.heldBy('w', 'h@p'), 1, "the new mailbox's slot is still held");
  // Senders refused through handles (never reserving) leave idle entries, bounded.
  for (let i = 0; i < 1000; i++)
    assert.equal(shares.admitSlot(shares.senderSlot('x', `s${i}@p`), 1, { perSender: 0, agentsTotal: 0 }), 'sender-share');
  assert.ok((shares as unknown as { receivers: Map<string, { senders: Map<string, unknown> }> }).receivers.get('x')!.senders.size <= 65);
});

test('a slot given back after its mailbox was removed and re-created while an append was in flight leaves the new slot held (review of decision 2070)', () => {
  const shares = new MailboxShares(shareLimits(40));
  // b has an append to v in flight, so `forget` keeps v's record (gone) until it settles.
  const b = shares.senderSlot('v', 'b@p');
  shares.reserveSlot(b, 'b@p');
  const old = shares.take('v', 'h@p', true); // handed off, completing
  shares.forget('v'); // v stopped: its counts go
  const fresh = shares.take('v', 'h@p', true); // v redeployed; a new delivery from h arrives
  shares.giveHeld(old); // the old delivery's completion commits
  assert.equal(shares.heldBy('v', 'h@p'), 1, "the new delivery's slot is still held");
  assert.equal(shares.admitSlot(shares.senderSlot('v', 'h@p'), 1, { perSender: 1, agentsTotal: 9 }), 'sender-share');
  assert.equal(
    shares.admitSlot(shares.senderSlot('v', 'k@p'), 1, { perSender: 9, agentsTotal: 1 }),
    'agents-full',
    "the agents' count still holds the new slot",
  );
  shares.giveHeld(fresh);
  assert.equal(shares.heldBy('v', 'h@p'), 0);
  shares.releaseSlot(b);
  assert.equal(shares.agentSenderCount, 0);
});

test("forget takes off a sender's node-wide agent count only the slots counted as an agent's (decision 2070, Left, fixed)", () => {
  const shares = new MailboxShares(shareLimits(40));
  // h's slot in w is taken while h is not counted as an agent; its slot in v is counted.
  shares.take('w', 'h@p', false);
  const counted = shares.take('v', 'h@p', true);
  assert.equal(shares.agentSenderCount, 1);
  shares.forget('w'); // w's slot never counted against h's agent count: h still holds a counted slot in v
  assert.equal(shares.agentSenderCount, 1, 'h is still known as an agent');
  assert.equal(
    shares.admitSlot(shares.senderSlot('v', 'k@p'), 1, { perSender: 9, agentsTotal: 1 }),
    'agents-full',
    "v's agents' count holds h's slot",
  );
  shares.giveHeld(counted);
  assert.equal(
    shares.admitSlot(shares.senderSlot('v', 'k@p'), 1, { perSender: 9, agentsTotal: 1 }),
    'ok',
    "v's agents' count came back to zero",
  );
  assert.equal(shares.agentSenderCount, 0, 'h holds nothing now: forgotten as an agent');
  // Counted slots do come off when their mailbox goes.
  shares.take('v', 'h@p', true);
  shares.take('v', 'h@p', false); // known now: counted as well
  shares.take('x', 'h@p', true);
  shares.forget('v');
  assert.equal(shares.agentSenderCount, 1, 'h still holds its slot in x');
  shares.forget('x');
  assert.equal(shares.agentSenderCount, 0);
});

function delivery(id: string, sender: string, receiver: string): Delivery {
  return {
    id,
    messageId: id,
    receiver,
    acceptedAt: 0,
    message: { performative: 'inform', sender: { name: sender }, receivers: [{ name: receiver }], content: id },
  };
}

test("mailboxes: a delivery finished after its mailbox was removed and re-created leaves the new mailbox's delivery and slot alone (decision 2070)", () => {
  const boxes = new Mailboxes(40, { isAgent: () => true });
  const old = delivery('d1', 'h@p', 'v');
  boxes.accept([old]);
  boxes.handOff(old);
  assert.deepEqual(boxes.forget('v'), [], 'a handed-off delivery is not drained');
  const fresh = delivery('d2', 'h@p', 'v');
  boxes.accept([fresh]);
  boxes.finish(old);
  assert.equal(boxes.depth('v'), 1);
  assert.equal(boxes.shares.heldBy('v', 'h@p'), 1, 'the new delivery still holds its slot');
  assert.ok(boxes.isPending('d2'));
  boxes.handOff(fresh);
  boxes.finish(fresh);
  assert.equal(boxes.depth('v'), 0);
  assert.equal(boxes.shares.heldBy('v', 'h@p'), 0);
});

test('mailboxes: a rewind after the mailbox was forgotten hands the delivery back instead of stranding it (decision 2070, Left, fixed)', () => {
  const boxes = new Mailboxes(40, { isAgent: () => true });
  const a = delivery('a1', 'h@p', 'v');
  const b = delivery('b1', 'k@p', 'v');
  boxes.accept([a, b]);
  boxes.handOff(a);
  boxes.handOff(b);
  assert.deepEqual(boxes.forget('v'), [], 'handed off: not drained');
  const back = boxes.rewind([a, b]);
  assert.equal(boxes.isPending('a1'), false, "no longer pending: the log's redelivery of it is not a duplicate");
  assert.deepEqual(
    back.map((d) => d.id),
    ['a1', 'b1'],
    'both handed back, in handled order',
  );
  assert.equal(boxes.hasMailbox('v'), false, 'no mailbox re-created for a forgotten agent');
  assert.equal(boxes.shares.agentSenderCount, 0, 'no slot held');
  assert.deepEqual(boxes.rewind([a, b]), [], 'handed back once');
  boxes.accept([a]); // the log hands it out again (after a redeploy)
  assert.equal(boxes.queued('v'), 1);
});

test("mailboxes: a rewind after a redeploy hands the old mailbox's delivery back and leaves the new mailbox's slots alone", () => {
  const boxes = new Mailboxes(40, { isAgent: () => true });
  const old = delivery('o1', 'h@p', 'v');
  boxes.accept([old]);
  boxes.handOff(old);
  boxes.forget('v');
  const fresh = delivery('n1', 'h@p', 'v');
  boxes.accept([fresh]); // redeployed: a new mailbox with a new delivery from h
  assert.deepEqual(
    boxes.rewind([old]).map((d) => d.id),
    ['o1'],
  );
  assert.equal(boxes.shares.heldBy('v', 'h@p'), 1, "the new delivery's slot is still held, given back once only");
  assert.equal(boxes.depth('v'), 1);
  boxes.restore([old]); // the caller puts it in the current mailbox, at the front
  assert.equal(boxes.shares.heldBy('v', 'h@p'), 2);
  assert.ok(boxes.isPending('o1'));
  for (const id of ['o1', 'n1']) {
    const d = id === 'o1' ? old : fresh;
    boxes.handOff(d);
    assert.ok(boxes.isHandedOff(id), `${id} is handed out, the old one first`);
    boxes.finish(d);
  }
  assert.equal(boxes.depth('v'), 0);
  assert.equal(boxes.shares.heldBy('v', 'h@p'), 0);
  assert.equal(boxes.shares.agentSenderCount, 0);
});

test('mailboxes: a rewind into the current mailbox is unchanged: back at the head, nothing handed back', () => {
  const boxes = new Mailboxes(40, { isAgent: () => true });
  const a = delivery('a1', 'h@p', 'v');
  const b = delivery('b1', 'h@p', 'v');
  boxes.accept([a, b]);
  boxes.handOff(a);
  assert.deepEqual(boxes.rewind([a]), []);
  assert.equal(boxes.isHandedOff('a1'), false);
  assert.equal(boxes.queued('v'), 2);
  boxes.handOff(b);
  assert.equal(boxes.isHandedOff('b1'), false, "b waits behind a in its sender's queue");
});
