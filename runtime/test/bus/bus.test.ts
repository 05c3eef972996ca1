/**
 * The bus's send path as a unit (runtime/src/bus/bus.ts), over the real MemoryMessageLog with a
 * scripted node port: stamping, routing refusals (typed errors for outside senders, `failure`
 * replies for agents), mailbox capacity with reservations of appends in flight, dedup of ids, and
 * the mailbox bookkeeping the node sees (depth, forget, putBack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaxtonError } from '@caxton/core';
import { Bus } from '../../src/bus/bus.js';
import { BusEvents } from '../../src/bus/events.js';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import { MailboxFullError, UnknownReceiverError } from '../../src/bus/errors.js';
import type { Delivery } from '@caxton/core';
import { inform, openBus, operator, ticks, until } from './scripted-port.js';

const deliveriesOf = (items: { kind: string; agent: string }[], agent: string): Delivery[] =>
  items.filter((i) => i.kind === 'delivery' && i.agent === agent).map((i) => (i as unknown as { delivery: Delivery }).delivery);

test('a send is refused before the bus is opened with its port', async () => {
  const bus = new Bus({
    log: new MemoryMessageLog(),
    nodeId: 'n1',
    platform: 'caxton',
    mailboxCapacity: 10,
    events: new BusEvents(),
    dispatch: { maxAttempts: 3, maxBatch: 8, maxInFlight: 1 },
  });
  await assert.rejects(bus.send(inform('a', 'x'), operator), (err: CaxtonError) => err.code === 'bus.not-open' && err.hint !== undefined);
});

test('the sender is stamped: an agent by its qualified name, whatever it claimed; receivers are qualified too', async () => {
  const { bus, port } = await openBus(['a', 'b']);
  await bus.send({ ...inform('b', 'hi'), sender: { name: 'mallory@elsewhere' } }, { agent: 'a' });
  await bus.send(inform('b', 'from outside'), operator);
  await until(() => port.handledBy('b').length === 2, 'b handled both');
  const [fromAgent, fromOperator] = deliveriesOf(port.items, 'b');
  assert.equal(fromAgent!.message.sender?.name, 'a@caxton');
  assert.deepEqual(fromAgent!.message.receivers, [{ name: 'b@caxton' }]);
  assert.equal(fromOperator!.message.sender?.name, 'operator@caxton');
  assert.deepEqual(port.mail, ['b', 'b'], 'the port hears of every arrival');
  await bus.stopDispatching();
  await bus.stop();
});

test('an unknown receiver: a typed error for an outside sender, a failure reply for an agent sender', async () => {
  const { bus, port } = await openBus(['a']);
  await assert.rejects(bus.send(inform('ghost', 'x'), operator), (err: unknown) => {
    assert.ok(err instanceof UnknownReceiverError);
    assert.equal(err.code, 'bus.unknown-receiver');
    assert.equal(err.context['receiver'], 'ghost@caxton');
    return true;
  });
  const result = await bus.send(inform('ghost', 'x'), { agent: 'a' });
  assert.deepEqual(result.accepted, []);
  assert.deepEqual(result.refused, [{ receiver: 'ghost@caxton', reason: 'unknown-receiver' }]);
  await until(() => port.handledBy('a').length === 1, 'a got its failure');
  const failure = deliveriesOf(port.items, 'a')[0]!.message;
  assert.equal(failure.performative, 'failure');
  assert.equal(failure.sender?.name, 'ams@caxton');
  assert.equal(failure.userParams?.['X-caxton-failure'], 'unknown-receiver');
  await bus.stopDispatching();
  await bus.stop();
});

test("an agent's message to the platform identity is dropped, not failed: an echo of a failure must not loop", async () => {
  const { bus, port, events } = await openBus(['a']);
  const result = await bus.send(inform('ams@caxton', 'your failure, echoed'), { agent: 'a' });
  assert.deepEqual(result.refused, [{ receiver: 'ams@caxton', reason: 'unknown-receiver' }]);
  await until(() => events.some((e) => e.type === 'dropped' && e.reason === 'ams@caxton takes no messages'), 'the drop is reported');
  await ticks(20);
  assert.deepEqual(deliveriesOf(port.items, 'a'), [], 'no failure comes back to a');
  await bus.stopDispatching();
  await bus.stop();
});

test("receivers the port's transport reaches are forwarded after the local deliveries, from agents only (decision 1910)", async () => {
  const forwarded: { messageId: string; receivers: string[]; agent: string }[] = [];
  const { bus, port } = await openBus(['a', 'b'], {
    port: (p) => {
      p.transport = {
        reaches: (r) => r.name.endsWith('@jade'),
        forward: async (s) => {
          forwarded.push({ messageId: s.messageId, receivers: s.receivers.map((r) => r.name), agent: s.agent });
        },
      };
    },
  });
  const sent = await bus.send(inform(['b', 'pong@jade'], 'hi'), { agent: 'a' });
  assert.deepEqual(sent.accepted, ['b']);
  assert.deepEqual(forwarded, [{ messageId: sent.messageId, receivers: ['pong@jade'], agent: 'a' }]);
  await until(() => port.handledBy('b').length === 1, 'b got its copy');
  // An outside sender is not an agent with egress rules: nothing is forwarded for it.
  await assert.rejects(bus.send(inform('pong@jade', 'x'), operator), UnknownReceiverError);
  assert.equal(forwarded.length, 1);
  await bus.stopDispatching();
  await bus.stop();
});

test('a full mailbox refuses, counting appends still in flight (reservations)', async () => {
  const { bus, port } = await openBus(['slow'], { capacity: 2, port: (p) => p.notRunnable.add('slow') });
  // Three concurrent sends: each reserves its slot before its append resolves, so only two fit.
  const results = await Promise.allSettled([1, 2, 3].map((i) => bus.send(inform('slow', `m${i}`), operator)));
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  const err = (results[2] as PromiseRejectedResult).reason as MailboxFullError;
  assert.ok(err instanceof MailboxFullError);
  assert.equal(err.code, 'bus.mailbox-full');
  await ticks();
  assert.equal(bus.mailboxDepth('slow'), 2);
  // An agent sender is not thrown at: it gets a failure instead.
  port.agents.add('sender');
  const refused = await bus.send(inform('slow', 'm4'), { agent: 'sender' });
  assert.deepEqual(refused.refused, [{ receiver: 'slow@caxton', reason: 'mailbox-full' }]);
  await until(() => port.handledBy('sender').length === 1, 'sender got its failure');
  assert.equal(deliveriesOf(port.items, 'sender')[0]!.message.userParams?.['X-caxton-failure'], 'mailbox-full');
  // A refused send gives its reservation back: after handling, there is room again.
  port.notRunnable.delete('slow');
  bus.wake('slow');
  await until(() => bus.mailboxDepth('slow') === 0, 'slow drained');
  await bus.send(inform('slow', 'm5'), operator);
  await bus.stopDispatching();
  await bus.stop();
});

test('a duplicate message id is accepted once: while pending, and after its completion', async () => {
  const { bus, port } = await openBus(['a'], { port: (p) => p.notRunnable.add('a') });
  const first = await bus.send(inform('a', 'once'), operator, 'msg-1');
  const again = await bus.send(inform('a', 'once'), operator, 'msg-1');
  assert.deepEqual(first.accepted, ['a']);
  // Accepted by the first send: a retried idempotent send answers like the first (decision 1700).
  assert.deepEqual(again.accepted, ['a'], 'pending: a duplicate, reported as accepted');
  await ticks();
  assert.equal(bus.mailboxDepth('a'), 1);
  port.notRunnable.delete('a');
  bus.wake('a');
  await until(() => bus.mailboxDepth('a') === 0, 'handled and completed');
  const late = await bus.send(inform('a', 'once'), operator, 'msg-1');
  assert.deepEqual(late.accepted, ['a'], 'completed: still a duplicate, reported as accepted');
  await ticks();
  assert.deepEqual(port.handledBy('a'), ['once']);
  await bus.stopDispatching();
  await bus.stop();
});

test('external receivers are announced, not delivered; forget and putBack move what waits', async () => {
  const { bus, port, events } = await openBus(['a'], { port: (p) => p.notRunnable.add('a') });
  await bus.send(inform(['a', 'operator'], 'x'), operator);
  await bus.send(inform('a', 'y'), operator);
  assert.ok(events.some((e) => e.type === 'external' && e.to === 'operator@caxton'));
  await ticks();
  assert.equal(bus.mailboxDepth('a'), 2);
  const forgotten = bus.forget('a');
  assert.deepEqual(
    forgotten.map((d) => d.message.content),
    ['x', 'y'],
  );
  assert.equal(bus.mailboxDepth('a'), 0);
  for (const d of forgotten) bus.putBack(d);
  assert.equal(bus.mailboxDepth('a'), 2);
  port.notRunnable.delete('a');
  bus.wake('a');
  await until(() => port.handledBy('a').length === 2, 'handled after put back');
  assert.deepEqual(port.handledBy('a'), ['x', 'y']);
  await bus.stopDispatching();
  await bus.stop();
});
