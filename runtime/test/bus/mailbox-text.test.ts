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
import { NodeText, nodeTextLimits } from '../../src/bus/node-text.js';
import { MailboxFullError, NodeMailboxesFullError } from '../../src/bus/errors.js';
import { Mailboxes } from '../../src/bus/mailboxes.js';
import { inform, openBus, operator, until } from './scripted-port.js';

const big = (to: string | string[], i: number): ReturnType<typeof inform> => inform(to, `${i} `.padEnd(20_000, 'x'));
/** The text one such message holds (each delivery of it counts it), less its sender's stamped name. */
const BIG = messageTextUnits(big('victim@caxton', 0));
/** Room for the names the bus stamps on each message (its sender), per message: limits are BIG × n plus this × n. */
const NAMES = 50;
/** Limits that hold exactly `n` such messages. */
const room = (n: number): number => n * (BIG + NAMES);

test('text limits: a mailbox’s as its slots’ shares; the node’s by class of sender', () => {
  assert.deepEqual(textLimits(40_000), { mailbox: 40_000, perSender: 10_000, agentsTotal: 36_000 });
  assert.deepEqual(nodeTextLimits(1_000), { node: 1_000, agents: 600, perAgent: 75, outside: 200, platform: 100, platformPerAgent: 12 });
});

test('a mailbox’s share records count text: the whole, one agent’s quarter, the agents’ part; given back by every path', () => {
  const shares = new MailboxShares(shareLimits(1_000), textLimits(1_000));
  const held = [shares.take('v', 'a@p', true, 200)];
  const s = shares.senderSlot('v', 'a@p');
  assert.equal(shares.admitSlot(s, 1, undefined, 50), 'ok');
  assert.equal(shares.admitSlot(s, 1, undefined, 51), 'sender-text');
  // Anyone: the mailbox's whole text, the operator included.
  const op = shares.senderSlot('v', 'op');
  assert.equal(shares.admitSlot(op, 1, undefined, 800, false), 'ok');
  assert.equal(shares.admitSlot(op, 1, undefined, 801, false), 'mailbox-text');
  shares.reserveSlot(op, 'op', 800, false);
  assert.equal(shares.unitsIn('v'), 1_000);
  assert.equal(shares.admitSlot(s, 1, undefined, 1), 'mailbox-text', 'the mailbox is full for everyone');
  shares.releaseSlot(op);
  assert.equal(shares.unitsIn('v'), 200, 'an ended append gives its text back');
  // Agents together: all but a tenth of the mailbox (900).
  for (const a of ['b', 'c', 'd']) held.push(shares.take('v', `${a}@p`, true, 200));
  const e = shares.senderSlot('v', 'e@p');
  assert.equal(shares.admitSlot(e, 1, undefined, 100), 'ok');
  assert.equal(shares.admitSlot(e, 1, undefined, 101), 'agents-text');
  shares.reserveSlot(e, 'e@p', 100);
  // Forgotten with an append in flight, then handed back: nothing given twice, nothing left.
  shares.forget('v');
  for (const h of held) shares.giveHeld(h);
  assert.equal(shares.unitsIn('v'), 100, 'the append in flight still counts');
  shares.releaseSlot(e);
  assert.equal(shares.unitsIn('v'), 0);
  assert.equal(shares.agentSenderCount, 0);
});

test("the node's text: each class its part, one agent an eighth of the agents', a message's deliveries charged once", () => {
  const text = new NodeText(nodeTextLimits(1_000));
  const charges = [text.reserve('agent', text.agentOf('a@p'), 75)];
  assert.equal(text.admit('agent', text.agentOf('a@p'), 1), 'agent-share');
  for (const a of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) charges.push(text.reserve('agent', text.agentOf(`${a}@p`), 75));
  assert.equal(text.units('agent'), 600);
  assert.equal(text.admit('agent', text.agentOf('i@p'), 1), 'agents-part', "eight agents fill the agents' part");
  // Agents cannot lock out outside clients, nor those the platform.
  assert.equal(text.admit('outside', undefined, 200), 'ok');
  assert.equal(text.admit('outside', undefined, 201), 'outside-part');
  charges.push(text.reserve('outside', undefined, 200));
  // The platform's messages waiting for one agent: an eighth of its part.
  const forX = text.agentOf(NodeText.platformKey('x'));
  assert.equal(text.admit('platform', forX, 12), 'ok');
  assert.equal(text.admit('platform', forX, 13), 'platform-part');
  // The parts sum to 90 %: the operator's lane always has the last tenth.
  assert.equal(text.admit('outside', undefined, 200, true), 'ok', "the operator's lane: the whole only");
  assert.equal(text.admit('outside', undefined, 201, true), 'node-full');
  // Three deliveries of one message hold its text once; the last to leave gives it back.
  const shared = [1, 2, 3].map(() => text.hold('m1', true, 'platform', NodeText.platformKey('x'), 10));
  assert.equal(text.units(), 810);
  assert.equal(text.sharedMessages, 1);
  // Another message under the same id (a handler run again) is not folded into it.
  const other = text.hold('m1', true, 'platform', NodeText.platformKey('x'), 11);
  assert.equal(text.sharedMessages, 2);
  text.release(other);
  for (const c of shared) text.release(c);
  text.release(shared[0]!); // a second release of a charge gives nothing
  assert.equal(text.sharedMessages, 0);
  assert.equal(text.units(), 800);
  assert.equal(text.unitsOf(NodeText.platformKey('x')), 0);
  for (const c of charges) text.release(c);
  assert.equal(text.units(), 0);
  assert.equal(text.unitsOf('a@p'), 0);
});

test("one agent's large messages take only its share of a mailbox's text: others still get in, refusals are typed failures", async () => {
  const text = textLimits(room(8));
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

test("the node's mailboxes: agents are refused past their share and part, clients past theirs, the operator at the whole; all typed", async () => {
  const agents = Array.from({ length: 9 }, (_, i) => `a${i}`);
  const victims = Array.from({ length: 12 }, (_, i) => `v${i}`);
  // The node: 40 such messages; agents 24 (one agent 3), outside clients 8, the operator the rest.
  const nodeText = nodeTextLimits(room(40));
  const { bus, port } = await openBus([...agents, ...victims], {
    capacity: 1_000,
    mailboxText: textLimits(room(8)),
    nodeText,
    port: (p) => {
      for (const v of victims) p.notRunnable.add(v);
    },
  });
  const byAgent: number[] = [];
  let refused = 0;
  for (const [k, a] of agents.entries()) {
    let mine = 0;
    for (let j = 0; j < victims.length; j++) {
      const r = await bus.send(big(victims[(3 * k + j) % victims.length]!, j), { agent: a });
      mine += r.accepted.length;
      refused += r.refused.length;
      if (r.refused.length > 0) assert.equal(r.refused[0]!.reason, 'node-mailboxes-full');
    }
    byAgent.push(mine);
  }
  assert.deepEqual(byAgent, [3, 3, 3, 3, 3, 3, 3, 3, 0], "each agent an eighth of the agents' part; the ninth finds it taken");
  await until(() => agents.reduce((n, a) => n + port.handledBy(a).length, 0) === refused, 'a failure per refusal');
  const own = port.items.find((i) => i.agent === 'a0' && i.kind === 'delivery');
  assert.ok(own?.kind === 'delivery');
  assert.equal(own.delivery.message.userParams?.['X-caxton-failure'], 'node-mailboxes-full');
  assert.match(own.delivery.message.content ?? '', /this agent already holds its share of the message text/);
  const last = port.items.find((i) => i.agent === 'a8' && i.kind === 'delivery');
  assert.ok(last?.kind === 'delivery');
  assert.match(last.delivery.message.content ?? '', /agents together hold their part/);
  // Agents do not lock outside clients out: they have their own part, then are refused typed.
  const client = { external: { name: 'client@caxton' } } as const;
  for (let i = 0; i < 8; i++) assert.equal((await bus.send(big(victims[i]!, 100 + i), client)).accepted.length, 1);
  await assert.rejects(bus.send(big('v0', 200), client), (err: unknown) => {
    assert.ok(err instanceof NodeMailboxesFullError);
    assert.equal(err.code, 'bus.node-mailboxes-full');
    assert.equal(err.kind, 'resource-exhausted');
    assert.equal(err.context['textUnits'], nodeText.outside);
    assert.match(err.message, /outside clients together hold their part/);
    assert.match(err.hint ?? '', /--node-mailbox-text/);
    return true;
  });
  // The operator's lane has the rest, to the whole.
  const op = { external: { name: 'operator@caxton' }, lane: 'operator' } as const;
  for (let i = 0; i < 8; i++) assert.equal((await bus.send(big(victims[i]!, 300 + i), op)).accepted.length, 1);
  await assert.rejects(
    bus.send(big('v5', 400), op),
    (err: unknown) => err instanceof NodeMailboxesFullError && /as much message text as it allows/.test(err.message),
  );
  assert.ok(bus.mailboxText() >= 40 * BIG && bus.mailboxText() <= nodeText.node, 'forty messages held');
  // Handled, every message accepted arrives and the node's text is free again.
  for (const v of victims) {
    port.notRunnable.delete(v);
    bus.wake(v);
  }
  await until(() => victims.reduce((n, v) => n + port.handledBy(v).length, 0) === 40, 'all 40 accepted handled');
  await until(() => bus.mailboxText() === 0, 'the text given back');
  await bus.stopDispatching();
  await bus.stop();
});

test('a message to many receivers holds its text on the node once: a fan-out is not refused for its copies', async () => {
  const sinks = Array.from({ length: 20 }, (_, i) => `s${i}`);
  // One agent may hold two such messages on the node; twenty deliveries of one are one message.
  const { bus, port } = await openBus(['pub', ...sinks], {
    capacity: 1_000,
    nodeText: nodeTextLimits(Math.ceil((room(2) * 8) / 0.6) + 8),
    port: (p) => {
      for (const s of sinks) p.notRunnable.add(s);
    },
  });
  const r = await bus.send(big(sinks, 0), { agent: 'pub' });
  assert.equal(r.accepted.length, sinks.length);
  assert.ok(bus.mailboxText() < 2 * BIG, `held once: ${bus.mailboxText()}`);
  for (const s of sinks) {
    port.notRunnable.delete(s);
    bus.wake(s);
  }
  await until(() => sinks.every((s) => port.handledBy(s).length === 1), 'every sink handled it');
  await until(() => bus.mailboxText() === 0, 'given back when the last delivery left');
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

test('a delivery handed out again while it was taken out is pending once: putting the taken copy back charges nothing twice', () => {
  const boxes = new Mailboxes(100, { isAgent: (s) => s === 'a@p', platformSender: 'ams@p' });
  const message = { performative: 'inform' as const, sender: { name: 'a@p' }, receivers: [{ name: 'r@p' }], content: 'x'.repeat(100) };
  const d = { id: 'm1>r', messageId: 'm1', receiver: 'r', message, acceptedAt: 1 };
  boxes.accept([d]);
  const [taken] = boxes.forget('r'); // out, to be dead-lettered (I/O meanwhile)
  boxes.accept([d]); // a rebalance hands it out again
  boxes.putBack(taken!); // dead-lettering failed: put back
  assert.equal(boxes.depth('r'), 1, 'one copy pending');
  boxes.finish(d);
  assert.equal(boxes.text.units(), 0);
  assert.equal(boxes.shares.unitsIn('r'), 0);
});

test('a send that throws past a reservation gives back what it reserved: slots, shares and text', async () => {
  const { bus, port } = await openBus(['a', 'b', 'c'], { port: (p) => p.notRunnable.add('b') });
  const route = port.route.bind(port);
  port.route = (name) => {
    if (name === 'c') throw new Error('the port failed');
    return route(name);
  };
  await assert.rejects(bus.send(big(['b', 'c'], 0), { agent: 'a' }), /the port failed/);
  assert.equal(bus.mailboxText(), 0, 'no text held for a send that appended nothing');
  assert.equal(bus.mailboxText('b'), 0);
  port.route = route;
  for (let i = 0; i < 100; i++)
    assert.equal((await bus.send(inform('b', `${i}`), { agent: 'a' })).accepted.length, i < 25 ? 1 : 0, `its share is whole: ${i}`);
  await bus.stopDispatching();
  await bus.stop();
});
