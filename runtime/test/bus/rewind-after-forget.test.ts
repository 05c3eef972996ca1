/**
 * A rewind after its agent's mailbox was forgotten (decision 2070, *Left*, fixed): deliveries
 * handed off when the agent stopped, whose completion then failed, are not put back into the
 * forgotten mailbox (nothing dispatches it; the log's redelivery of their ids was dropped as
 * duplicates). They are dead-lettered as a stop dead-letters what it finds in the mailbox, or —
 * the agent deployed again meanwhile — handled again from its current mailbox. Never lost, never twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkItem } from '../../src/bus/executor.js';
import { inform, openBus, operator, ticks, until, type TestBus } from './scripted-port.js';

const content = (item: WorkItem): string => (item.kind === 'delivery' ? item.delivery.message.content ?? '' : `timer:${item.token}`);

/** Three messages to `a` handled ahead of a first completion that will fail; `release` lets it fail. */
async function handledAheadOfAFailedCommit(): Promise<TestBus & { seen: string[]; release: () => void }> {
  const t = await openBus(['a'], { dispatch: { maxPerAgent: 1 } });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let failNext = true;
  const complete = t.log.complete.bind(t.log);
  t.log.complete = async (records) => {
    if (failNext) {
      failNext = false;
      await held;
      throw Object.assign(new Error('state topic unreachable'), { code: 'kafka.unavailable' });
    }
    return complete(records);
  };
  const seen: string[] = [];
  t.port.script = (item) => {
    seen.push(content(item));
    return { stateWrites: [{ key: `k-${content(item)}`, value: 'x' }] };
  };
  for (const m of ['m1', 'm2', 'm3']) await t.bus.send(inform('a', m), operator);
  await until(() => seen.length >= 3, 'handled ahead of the first completion (early release)');
  return { ...t, seen, release };
}

test('the agent stopped while its handlings were completing: the rewound deliveries are dead-lettered, once, with the stop\'s reason', async () => {
  const { bus, port, log, events, seen, release } = await handledAheadOfAFailedCommit();
  // Stopped: no longer an agent; its mailbox goes (all three are handed off: nothing waits in it).
  port.agents.delete('a');
  assert.deepEqual(bus.forget('a'), []);
  release();
  await until(() => log.ops.filter((o) => o.startsWith('dead-letter:')).length === 3, 'the three rewound deliveries dead-lettered');
  await bus.idle();
  assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again');
  const letters = await log.deadLetters(10);
  assert.deepEqual(letters.map((l) => l.delivery.message.content).sort(), ['m1', 'm2', 'm3']);
  assert.ok(letters.every((l) => l.reason === 'agent a was stopped before handling it'));
  assert.equal(events.filter((e) => e.type === 'dead-lettered').length, 3, 'each dead-lettered once');
  assert.equal(bus.mailboxDepth('a'), 0);
  assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'none completed as well');
  await bus.stopDispatching();
  await bus.stop();
});

test('the agent redeployed while its handlings were completing: the rewound deliveries are handled again, in order, from its new mailbox', async () => {
  const { bus, log, seen, release } = await handledAheadOfAFailedCommit();
  // Stopped and deployed again: its mailbox was forgotten, and it is an agent again.
  assert.deepEqual(bus.forget('a'), []);
  release();
  await until(() => seen.length >= 6 && bus.mailboxDepth('a') === 0, 'handled again and completed');
  await bus.idle();
  assert.deepEqual(seen.slice(3), ['m1', 'm2', 'm3'], 'handled again, in order');
  assert.equal(log.ops.filter((o) => o.startsWith('dead-letter')).length, 0, 'none dead-lettered');
  assert.deepEqual([...(await log.readState('a')).keys()].sort(), ['k-m1', 'k-m2', 'k-m3']);
  await bus.stopDispatching();
  await bus.stop();
});

test('the agent\'s partition moved to another node meanwhile: the rewound deliveries are left to their new owner, neither dead-lettered nor handled here', async () => {
  const { bus, port, log, seen, release } = await handledAheadOfAFailedCommit();
  for (const item of port.items) if (item.kind === 'delivery') log.movedAway.add(item.delivery.id);
  assert.deepEqual(bus.forget('a'), []);
  release();
  await until(() => port.resets.length === 1, 'rewound');
  await ticks(20); // the rewind finishes after the reset: its put-back runs then
  await bus.idle();
  assert.equal(log.ops.filter((o) => o.startsWith('dead-letter')).length, 0, 'nothing written for another node\'s deliveries');
  assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again here');
  assert.equal(bus.mailboxDepth('a'), 0);
  await bus.stopDispatching();
  await bus.stop();
});
