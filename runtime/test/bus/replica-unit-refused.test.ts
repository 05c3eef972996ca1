/**
 * A replica unit's mail past the node's budget (decision 2096, review finding 5): what ReplicaUnits
 * asks of the bus — `refuseNewest(unit, 0, reason, 'activation-limit')` — on the real bus and its
 * memory log, not a stand-in: every waiting delivery of the unit is dead-lettered with the reason
 * and its hint, its sender gets a failure reply, and the letter is X's: listed under X and redriven
 * to X (whose sender picks a replica again), never to the unit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclMessage } from '@caxton/core';
import { DeadLetterOperations } from '../../src/node/dead-letter-operations.js';
import { inform, openBus, until } from './scripted-port.js';

test("a unit's mail refused activation-limit by the real bus: dead-lettered with the hint, its sender told, redriven to the agent", async () => {
  // The unit is deployed but not runnable here (not activated: the budget is full): its mail waits in its mailbox.
  const { bus, port, log, events } = await openBus(['a', 'svc', 'svc#r2'], { port: (p) => p.notRunnable.add('svc#r2') });
  try {
    await bus.send(inform('svc#r2', 'one'), { agent: 'a' });
    await bus.send(inform('svc#r2', 'two'), { agent: 'a' });
    await until(() => bus.queued('svc#r2') === 2, "the unit's two deliveries wait in its mailbox");
    const reason =
      'replica 2 of svc cannot be activated on this node: its budget of 2 replica instances (decision 2010) is full with replicas that have work in hand; retry later, or scale svc (or other agents) down';
    assert.equal(await bus.refuseNewest('svc#r2', 0, reason, 'activation-limit'), 2);
    assert.equal(bus.queued('svc#r2'), 0);
    const letters = await log.deadLetters();
    assert.deepEqual(
      letters.map((l) => [l.delivery.receiver, l.reason]),
      [
        ['svc#r2', reason],
        ['svc#r2', reason],
      ],
    );
    assert.equal(events.filter((e) => e.type === 'dead-lettered').length, 2);
    await until(
      () =>
        port.items.filter((i) => i.agent === 'a' && i.kind === 'delivery' && i.delivery.message.performative === 'failure').length === 2,
      'the sender told twice',
    );
    const failure = port.items.find((i) => i.agent === 'a' && i.kind === 'delivery' && i.delivery.message.performative === 'failure');
    assert.match(failure?.kind === 'delivery' ? String(failure.delivery.message.content) : '', /activation-limit|retry later/);

    const sent: string[] = [];
    const ops = new DeadLetterOperations({
      log,
      agentName: (name) => name.split('@')[0]!,
      send: async (message: AclMessage, messageId: string) => {
        sent.push(message.receivers[0]!.name);
        return bus.send(message, { agent: 'a' }, messageId);
      },
    });
    assert.equal((await ops.listDeadLetters({ agent: 'svc', limit: 10, includePurged: false })).length, 2, "listed as svc's");
    const redriven = await ops.redriveDeadLetters({ select: { agent: 'svc' } });
    assert.deepEqual(
      redriven.redriven.map((r) => r.receiver),
      ['svc', 'svc'],
      'redriven to the agent, not the unit',
    );
    assert.deepEqual(
      sent.map((s) => s.split('@')[0]),
      ['svc', 'svc'],
    );
    await until(() => port.handledBy('svc').length === 2, 'the agent handled both');
  } finally {
    await bus.stopDispatching();
    await bus.stop();
  }
});
