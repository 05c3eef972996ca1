/**
 * Replicas across nodes at the bus (decision 2093, review fixes 1 and 5): a replica unit `X#r<k>` is
 * written only by the port's replica choice (`spreadTarget`, which the node's port resolves through) — a send that names one from outside is refused as an
 * unknown receiver — and what a unit's handling sends is stamped as X's (`Bus.prepare`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery } from '@caxton/core';
import { UnknownReceiverError } from '../../src/bus/errors.js';
import { inform, openBus, operator, until } from './scripted-port.js';

const deliveriesOf = (items: { kind: string; agent: string }[], agent: string): Delivery[] =>
  items.filter((i) => i.kind === 'delivery' && i.agent === agent).map((i) => (i as unknown as { delivery: Delivery }).delivery);

test('where replicas are spread, a send naming a replica unit is refused as unknown (client and agent); a send to X goes to the chosen unit', async () => {
  // The port says `svc#r2` is an agent, as the cluster's placement does for a unit of a deployed svc.
  const { bus, port } = await openBus(['a', 'svc', 'svc#r2'], {
    port: (p) => {
      p.unitOf = (name) => (name === 'svc' ? 'svc#r2' : name);
    },
  });
  await assert.rejects(bus.send(inform('svc#r2', 'direct'), operator), (err: unknown) => {
    assert.ok(err instanceof UnknownReceiverError);
    assert.equal(err.context['receiver'], 'svc#r2@caxton');
    assert.ok(err.hint !== undefined);
    return true;
  });
  await assert.rejects(bus.send(inform('svc#r7@caxton', 'direct'), operator), UnknownReceiverError);
  const fromAgent = await bus.send(inform('svc#r2', 'direct'), { agent: 'a' });
  assert.deepEqual(fromAgent.refused, [{ receiver: 'svc#r2@caxton', reason: 'unknown-receiver' }]);
  await bus.send(inform('svc', 'routed'), operator);
  await until(() => port.handledBy('svc#r2').length === 1, 'the unit got the routed send');
  assert.deepEqual(port.handledBy('svc#r2'), ['routed'], 'only the replica choice reached the unit');
  await bus.stopDispatching();
  await bus.stop();
});

test("a replica unit's sends are stamped as its agent; other names with '#' or '/' as themselves", async () => {
  const { bus, port } = await openBus(['a', 'svc#r2', 'svc#x', 'kind/k']);
  port.script = (item) => (item.agent === 'a' ? {} : { outbox: [inform('a', `from ${item.agent}`)] });
  for (const name of ['svc#r2', 'svc#x', 'kind/k']) await bus.send(inform(name, 'go'), operator);
  await until(() => port.handledBy('a').length === 3, 'a got the three answers');
  const senders = new Map(deliveriesOf(port.items, 'a').map((d) => [d.message.content, d.message.sender?.name]));
  assert.equal(senders.get('from svc#r2'), 'svc@caxton');
  assert.equal(senders.get('from svc#x'), 'svc#x@caxton');
  assert.equal(senders.get('from kind/k'), 'kind/k@caxton');
  await bus.stopDispatching();
  await bus.stop();
});
