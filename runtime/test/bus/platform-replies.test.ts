/**
 * The failures the platform owes an agent whose mailbox is full (decision 2071): a send flood to
 * unknown receivers is refused once per send, and once the flooding agent's own mailbox is full of
 * those failures the rest are dropped before any of a send's work — each one still reported by a
 * `dropped` event with the full mailbox's reason, none lost without a trace, none thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mailboxFullReason } from '../../src/bus/errors.js';
import { inform, openBus, until } from './scripted-port.js';

test("a flood of refused sends: failures fill the sender's own mailbox, the rest are dropped with an event each", async () => {
  // The flooding agent never runs here, so the failures it is owed wait in its mailbox.
  const { bus, events } = await openBus(['flood', 'neighbour'], { capacity: 20, port: (p) => p.notRunnable.add('flood') });
  const sends = 50;
  for (let i = 0; i < sends; i++) {
    const r = await bus.send(inform('ghost', `to nobody ${i}`), { agent: 'flood' });
    assert.deepEqual(r.refused, [{ receiver: 'ghost@caxton', reason: 'unknown-receiver' }]);
  }
  assert.equal(bus.mailboxDepth('flood'), 20, 'a failure for each refusal while its mailbox had room');
  const dropped = events.filter((e) => e.type === 'dropped');
  assert.equal(dropped.length, sends - 20, 'every other failure is reported dropped');
  for (const e of dropped) {
    assert.ok(e.type === 'dropped');
    assert.equal(e.reason, mailboxFullReason('flood@caxton', 20));
    assert.equal(e.message.performative, 'failure');
    assert.equal(e.message.userParams?.['X-caxton-failure'], 'unknown-receiver');
    assert.deepEqual(e.message.receivers, [{ name: 'flood@caxton' }]);
  }

  // The neighbour's mailbox is untouched and its own failures still arrive.
  await bus.send(inform('ghost', "a neighbour's mistake"), { agent: 'neighbour' });
  await until(
    () => events.some((e) => e.type === 'accepted' && e.receivers.includes('neighbour') && e.message.performative === 'failure'),
    'the neighbour is told',
  );
  assert.equal(events.filter((e) => e.type === 'dropped').length, sends - 20);
  await bus.stop();
});
