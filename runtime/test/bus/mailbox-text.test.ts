/**
 * The mailboxes' text budget (decision 2195): a count alone let a few agents park 10,000 messages
 * of up to 1 Mi code units in every slow receiver's mailbox. The text a mailbox, one agent sender
 * and the node's mailboxes hold is bounded with the slots' shares; every refusal is typed (a
 * failure to an agent, an error to an outside sender), nothing accepted is lost, and the text comes
 * back as receivers handle what they hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageTextUnits } from '@caxton/core';
import { MailboxShares, shareLimits, textLimits } from '../../src/bus/mailbox-shares.js';
import { MailboxFullError, NodeMailboxesFullError } from '../../src/bus/errors.js';
import { inform, openBus, operator, until } from './scripted-port.js';

const big = (to: string | string[], i: number): ReturnType<typeof inform> => inform(to, `${i} `.padEnd(20_000, 'x'));
/** The text one such message holds (each delivery of it counts it), less its sender's stamped name. */
const BIG = messageTextUnits(big('victim@caxton', 0));
/** Room for the names the bus stamps on each message (its sender), per message: limits are BIG × n plus this × n. */
const NAMES = 50;
/** Limits that hold exactly `n` such messages. */
const room = (n: number): number => n * (BIG + NAMES);

test('text limits: the slots’ shares of the mailbox’s and the node’s budget', () => {
  assert.deepEqual(textLimits(40_000, 400_000), {
    mailbox: 40_000,
    perSender: 10_000,
    agentsTotal: 36_000,
    node: 400_000,
    nodePerSender: 100_000,
    nodeAgents: 360_000,
  });
});

test('the share records count text: mailbox, sender, agents and node, given back by every path', () => {
  const shares = new MailboxShares(shareLimits(1_000), textLimits(1_000, 3_000));
  // An agent sender: its quarter of the mailbox's text (250).
  const held = [shares.take('v', 'a@p', true, 200)];
  const s = shares.senderSlot('v', 'a@p');
  assert.equal(shares.admitSlot(s, 1, undefined, 50), 'ok');
  assert.equal(shares.admitSlot(s, 1, undefined, 51), 'sender-share');
  // Anyone: the mailbox's whole text (1,000), the operator included.
  const op = shares.senderSlot('v', 'op');
  assert.equal(shares.admitSlot(op, 1, undefined, 800, false), 'ok');
  assert.equal(shares.admitSlot(op, 1, undefined, 801, false), 'mailbox-text');
  shares.reserveSlot(op, 'op', 800, false);
  assert.equal(shares.unitsIn('v'), 1_000);
  assert.equal(shares.unitsIn(), 1_000);
  assert.equal(shares.admitSlot(s, 1, undefined, 1), 'mailbox-text', 'the mailbox is full for everyone');
  shares.releaseSlot(op);
  assert.equal(shares.unitsIn('v'), 200, 'an ended append gives its text back');
  // Agents together: all but a tenth of a mailbox (900) — five senders of 200 each.
  for (const a of ['b', 'c', 'd']) held.push(shares.take('v', `${a}@p`, true, 200));
  const e = shares.senderSlot('v', 'e@p');
  assert.equal(shares.admitSlot(e, 1, undefined, 100), 'ok');
  assert.equal(shares.admitSlot(e, 1, undefined, 101), 'agents-full');
  // The node: one agent's quarter of 3,000 (750) over all mailboxes, agents together 2,700.
  const w = shares.senderSlot('w', 'a@p');
  shares.reserveSlot(w, 'a@p', 250);
  const x = shares.senderSlot('x', 'a@p');
  assert.equal(shares.admitSlot(x, 1, undefined, 250), 'ok');
  shares.reserveSlot(x, 'a@p', 250);
  const x2 = shares.senderSlot('x2', 'a@p');
  assert.equal(shares.admitSlot(x2, 1, undefined, 50), 'ok');
  assert.equal(shares.admitSlot(x2, 1, undefined, 51), 'node-text', "past the sender's quarter of the node");
  shares.releaseSlot(x);
  // Taken as the log hands deliveries out (unchecked: the check was at the send).
  for (const r of ['y', 'z']) held.push(shares.take(r, 'q@p', true, 825));
  held.push(shares.take('u', 'client', false, 250));
  assert.equal(shares.unitsIn(), 800 + 250 + 1_650 + 250);
  assert.equal(shares.admitSlot(shares.senderSlot('t', 'r@p'), 1, undefined, 1), 'node-text', "the agents' part of the node is taken");
  assert.equal(shares.admitSlot(shares.senderSlot('t', 'client'), 1, undefined, 50, false), 'ok', 'the rest is kept for the operator');
  assert.equal(shares.admitSlot(shares.senderSlot('t', 'client'), 1, undefined, 51, false), 'node-text');
  // Handled, forgotten, released: every count back to zero, nothing given twice.
  shares.forget('y');
  for (const h of held) shares.giveHeld(h);
  shares.releaseSlot(w);
  assert.equal(shares.unitsIn(), 0);
  assert.equal(shares.unitsIn('v'), 0);
  assert.equal(shares.agentSenderCount, 0);
  assert.equal(shares.admitSlot(shares.senderSlot('v', 'a@p'), 1, undefined, 250), 'ok');
});

test("one agent's large messages take only its share of a mailbox's text: others still get in, refusals are typed failures", async () => {
  const text = textLimits(room(8), room(1_000));
  const { bus, port, events } = await openBus(['hostile', 'friend', 'victim'], {
    capacity: 1_000,
    mailboxText: text,
    port: (p) => p.notRunnable.add('victim'),
  });
  const results = [];
  for (let i = 0; i < 20; i++) results.push(await bus.send(big('victim', i), { agent: 'hostile' }));
  const accepted = results.filter((r) => r.accepted.length === 1).length;
  assert.equal(accepted, 2, "its quarter of the mailbox's text: two such messages (the slots' share is 250)");
  assert.ok(results.slice(accepted).every((r) => r.refused[0]?.reason === 'mailbox-share'));
  await until(() => port.handledBy('hostile').length === 20 - accepted, 'a failure for every refused send');
  const failure = port.items.find((i) => i.agent === 'hostile' && i.kind === 'delivery');
  assert.ok(failure?.kind === 'delivery');
  assert.equal(failure.delivery.message.userParams?.['X-caxton-failure'], 'mailbox-share');
  assert.match(failure.delivery.message.content ?? '', new RegExp(`of its text \\(${text.perSender} code units\\)`));
  // A neighbour still gets its share in, and the operator the rest of the mailbox.
  for (let i = 0; i < 2; i++) assert.equal((await bus.send(big('victim', i), { agent: 'friend' })).accepted.length, 1);
  let operatorIn = 0;
  for (let i = 0; i < 8; i++) {
    try {
      operatorIn += (await bus.send(big('victim', i), operator)).accepted.length;
    } catch (err) {
      // Past the mailbox's whole text: typed, with the limit and a hint.
      assert.ok(err instanceof MailboxFullError);
      assert.equal(err.code, 'bus.mailbox-full');
      assert.equal(err.context['textUnits'], text.mailbox);
      assert.match(err.message, /text reached/);
      assert.match(err.hint ?? '', /--mailbox-text/);
      break;
    }
  }
  assert.equal(operatorIn, 4, 'the operator fills the mailbox to its whole text');
  assert.ok(bus.mailboxText('victim') >= 8 * BIG && bus.mailboxText('victim') <= text.mailbox, 'eight messages held');
  assert.ok(!events.some((e) => e.type === 'dropped'));

  // Nothing accepted is lost; handled, the text comes back.
  port.notRunnable.delete('victim');
  bus.wake('victim');
  await until(() => port.handledBy('victim').length === 8, 'the victim handled all it accepted');
  await until(() => bus.mailboxText() === 0, 'the text given back');
  assert.equal((await bus.send(big('victim', 99), { agent: 'hostile' })).accepted.length, 1);
  await bus.stopDispatching();
  await bus.stop();
});

test("the node's mailboxes together: an agent past its part is refused node-mailboxes-full, an outside sender past the whole typed", async () => {
  const victims = Array.from({ length: 12 }, (_, i) => `v${i}`);
  // Each mailbox takes 8 such messages; the node 16 (agents 14, one agent 4).
  const text = textLimits(room(8), room(16));
  const { bus, port } = await openBus(['a1', 'a2', 'a3', 'a4', ...victims], {
    capacity: 1_000,
    mailboxText: text,
    port: (p) => {
      for (const v of victims) p.notRunnable.add(v);
    },
  });
  let accepted = 0;
  let refused = 0;
  const byAgent: number[] = [];
  for (const a of ['a1', 'a2', 'a3', 'a4']) {
    let mine = 0;
    for (const v of victims) {
      const r = await bus.send(big(v, accepted), { agent: a });
      mine += r.accepted.length;
      refused += r.refused.length;
      if (r.refused.length > 0) assert.equal(r.refused[0]!.reason, 'node-mailboxes-full');
    }
    byAgent.push(mine);
    accepted += mine;
  }
  assert.deepEqual(byAgent, [4, 4, 4, 2], "each agent its quarter of the node's text, the last one what the agents' part leaves");
  assert.equal(accepted, 14, "agents fill the node's mailboxes up to its text less the operator's tenth");
  assert.equal(refused, 4 * victims.length - 14);
  await until(() => ['a1', 'a2', 'a3', 'a4'].reduce((n, a) => n + port.handledBy(a).length, 0) === refused, 'a failure per refusal');
  const failure = port.items.find((i) => i.agent === 'a4' && i.kind === 'delivery');
  assert.ok(failure?.kind === 'delivery');
  assert.equal(failure.delivery.message.userParams?.['X-caxton-failure'], 'node-mailboxes-full');
  assert.match(failure.delivery.message.content ?? '', /node's mailboxes hold as much message text/);
  // The operator may use the reserve, then is refused typed.
  assert.equal((await bus.send(big('v11', 0), operator)).accepted.length, 1);
  assert.equal((await bus.send(big('v11', 1), operator)).accepted.length, 1);
  await assert.rejects(bus.send(big('v11', 2), operator), (err: unknown) => {
    assert.ok(err instanceof NodeMailboxesFullError);
    assert.equal(err.code, 'bus.node-mailboxes-full');
    assert.equal(err.kind, 'resource-exhausted');
    assert.equal(err.context['textUnits'], text.node);
    assert.match(err.hint ?? '', /--node-mailbox-text/);
    return true;
  });
  assert.ok(bus.mailboxText() >= 16 * BIG && bus.mailboxText() <= text.node, 'sixteen messages held');
  // Handled, every message accepted arrives and the node's text is free again.
  for (const v of victims) {
    port.notRunnable.delete(v);
    bus.wake(v);
  }
  await until(() => victims.reduce((n, v) => n + port.handledBy(v).length, 0) === 16, 'all 16 accepted handled');
  await until(() => bus.mailboxText() === 0, 'the text given back');
  await bus.stopDispatching();
  await bus.stop();
});

test("an agent refused by the agents' part of an absent receiver's queue gets its failure (absent-queue-full)", async () => {
  const senders = ['s1', 's2', 's3', 's4'];
  const { bus, port } = await openBus([...senders, 'away'], {
    port: (p) => {
      p.absence = (agent) => (agent === 'away' ? { queue: 8, ttlMs: 60_000 } : undefined);
    },
  });
  // An absent queue of 8: two per agent sender, seven for agents together (one kept).
  const reasons: string[] = [];
  for (const s of senders)
    for (let i = 0; i < 2; i++) {
      const r = await bus.send(inform('away', `${s} ${i}`), { agent: s });
      reasons.push(r.accepted.length === 1 ? 'accepted' : (r.refused[0]?.reason ?? '?'));
    }
  assert.deepEqual(reasons, [...Array(7).fill('accepted'), 'absent-queue-full']);
  await until(() => port.handledBy('s4').length === 1, 'the refused sender is told');
  const failure = port.items.find((i) => i.agent === 's4' && i.kind === 'delivery');
  assert.ok(failure?.kind === 'delivery');
  assert.equal(failure.delivery.message.userParams?.['X-caxton-failure'], 'absent-queue-full');
  assert.match(failure.delivery.message.content ?? '', /is absent/);
  await bus.stopDispatching();
  await bus.stop();
});
