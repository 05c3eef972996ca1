/**
 * A replica unit's state writes (decision 2096): a unit `X#r<k>` that writes state would write it
 * under its own name, which X and its other replicas never read. The handling is refused whole —
 * its sends are not made, its writes not committed, its view rewound — and the delivery is
 * dead-lettered with `agent.replica-effect-unsupported` and its hint; the unit's next handling runs
 * as usual. A handling whose only writes are pending HTTP call records (the runtime's: a worker's
 * calls are made, their answers come back to it, decision 2163) completes with them kept under the
 * unit, which reads them back. An agent's own writes are untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpPendingStateKey } from '@caxton/core';
import { inform, openBus, operator, until } from './scripted-port.js';

test("a replica unit's handling that writes state is dead-lettered typed, nothing of it applied, its view rewound", async () => {
  const { bus, port, log, events } = await openBus(['a', 'svc', 'svc#r2']);
  port.script = (item) => {
    if (item.agent === 'a') return {};
    const content = item.kind === 'delivery' ? item.delivery.message.content : '';
    if (content === 'write') return { outbox: [inform('a', `sent by ${item.agent}`)], stateWrites: [{ key: 'count', value: '1' }] };
    if (content === 'call')
      return { stateWrites: [{ key: httpPendingStateKey('c1'), value: JSON.stringify({ method: 'GET', url: 'https://x', at: 1 }) }] };
    return { outbox: [inform('a', `plain from ${item.agent}`)] };
  };
  const idOf = (content: string): string | undefined => {
    const item = port.items.find((i) => i.kind === 'delivery' && i.agent === 'svc#r2' && i.delivery.message.content === content);
    return item?.kind === 'delivery' ? item.delivery.id : undefined;
  };

  await bus.send(inform('svc#r2', 'write'), operator);
  await until(() => events.some((e) => e.type === 'dead-lettered'), 'the refused handling to be dead-lettered');
  const letter = events.find((e) => e.type === 'dead-lettered') as { agent: string; reason: string };
  assert.equal(letter.agent, 'svc#r2');
  assert.match(letter.reason, /^agent\.replica-effect-unsupported: /);
  assert.match(letter.reason, /state writes/);
  assert.match(letter.reason, /hint: .*--replicas 1/);
  await until(() => port.resets.includes('svc#r2'), "the unit's view to be rewound");
  assert.equal((await log.readState('svc#r2')).size, 0, 'nothing committed under the unit');
  assert.ok(!log.completedIds.has(idOf('write')!), 'the refused delivery was not completed');

  // The unit handles on: a handling without own writes completes, its send made.
  await bus.send(inform('svc#r2', 'plain'), operator);
  await until(() => port.handledBy('a').includes('plain from svc#r2'), 'the next handling to complete');
  assert.ok(!port.handledBy('a').includes('sent by svc#r2'), "the refused handling's send was not made");

  // Only a pending-call record: completed, the record committed under the unit (its answer comes back to it).
  await bus.send(inform('svc#r2', 'call'), operator);
  await until(() => {
    const id = idOf('call');
    return id !== undefined && log.completedIds.has(id);
  }, 'the call handling to complete');
  assert.deepEqual([...(await log.readState('svc#r2')).keys()], [httpPendingStateKey('c1')], 'the pending-call record kept under the unit');

  // The agent itself keeps state as always.
  await bus.send(inform('svc', 'write'), operator);
  await until(() => port.handledBy('a').includes('sent by svc'), 'the agent handled its write');
  const own = port.items.find((i) => i.kind === 'delivery' && i.agent === 'svc');
  await until(() => own?.kind === 'delivery' && log.completedIds.has(own.delivery.id), 'its completion');
  assert.equal((await log.readState('svc')).get('count'), '1', "the agent's own write committed");
  assert.equal(events.filter((e) => e.type === 'dead-lettered').length, 1, 'only the unit was refused');
  await bus.stopDispatching();
  await bus.stop();
});

test("a unit's later work of the same batch runs again on the rewound view: what it sent on the refused handling's view is not made", async () => {
  // The unit's in-memory view, as the sandbox keeps it: a handling's writes show to the next
  // handling of the batch before they are committed; a reset (the rewind) empties it.
  const view = new Map<string, string>();
  const { bus, port } = await openBus(['a', 'svc#r2'], {
    dispatch: { maxPerAgent: 2 },
    port: (p) => {
      p.notRunnable.add('svc#r2'); // its mail gathers first, so both go out in one batch
      const reset = p.resetState.bind(p);
      p.resetState = async (agent) => {
        if (agent === 'svc#r2') view.clear();
        await reset(agent);
      };
    },
  });
  port.script = (item) => {
    if (item.agent === 'a' || item.kind !== 'delivery') return {};
    if (item.delivery.message.content === 'write') {
      view.set('count', '1');
      return { stateWrites: [{ key: 'count', value: '1' }] };
    }
    return { outbox: [inform('a', `read ${view.get('count') ?? 'empty'}`)] };
  };
  await bus.send(inform('svc#r2', 'write'), operator);
  await bus.send(inform('svc#r2', 'read'), operator);
  await until(() => bus.queued('svc#r2') === 2, 'both wait');
  port.notRunnable.delete('svc#r2');
  bus.wake('svc#r2');
  await until(() => port.handledBy('a').length === 1, 'the read handled again and its send made');
  const batch = port.batches.find((b) => b.filter((i) => i.agent === 'svc#r2').length === 2);
  assert.ok(batch !== undefined, 'write and read went out in one batch');
  assert.deepEqual(port.handledBy('svc#r2'), ['write', 'read', 'read'], 'the read ran again after the refused write');
  assert.ok(port.resets.includes('svc#r2'));
  assert.deepEqual(
    port.handledBy('a'),
    ['read empty'],
    "computed on the rewound (empty) view; the send made on the refused write's view is not",
  );
  await bus.stopDispatching();
  await bus.stop();
});
