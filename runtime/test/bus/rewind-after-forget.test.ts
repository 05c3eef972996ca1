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

const content = (item: WorkItem): string => (item.kind === 'delivery' ? (item.delivery.message.content ?? '') : `timer:${item.token}`);

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
  // Explicit message ids: a test can repeat a send (a retried idempotent send) with the same ids.
  for (const m of ['m1', 'm2', 'm3']) await t.bus.send(inform('a', m), operator, `id-${m}`);
  await until(() => seen.length >= 3, 'handled ahead of the first completion (early release)');
  return { ...t, seen, release };
}

test("the agent stopped while its handlings were completing: rewound after the stop, the deliveries are dead-lettered, once, with the stop's reason", async () => {
  const { bus, port, log, events, seen, release } = await handledAheadOfAFailedCommit();
  // The stop's order: not runnable (stopping), its mailbox forgotten (all three are handed off:
  // nothing waits in it), then no longer an agent; the rewind lands after all that.
  port.notRunnable.add('a');
  assert.deepEqual(bus.forget('a'), []);
  port.agents.delete('a');
  assert.deepEqual(bus.forget('a'), [], "the stop's second take: nothing came back yet");
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

test("a rewind landing inside a stop, after its mailbox was forgotten and before the agent is removed, goes back into a re-created mailbox that the stop's second take empties: each dead-lettered once", async () => {
  const { bus, port, log, events, seen, release } = await handledAheadOfAFailedCommit();
  // The stop's order (every-agent-local.ts): not runnable, forget; the rewind lands while it awaits
  // its dead letters and onStopped, the agent still one (`isAgent` true).
  port.notRunnable.add('a');
  assert.deepEqual(bus.forget('a'), []);
  release();
  await until(() => port.resets.length === 1 && bus.mailboxDepth('a') === 3, 'rewound into a re-created mailbox');
  await ticks(20);
  assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handed out again: the agent is stopping');
  assert.equal(log.ops.filter((o) => o.startsWith('dead-letter')).length, 0, 'not dead-lettered by the rewind: it is still an agent');
  // Then the agent is removed, and the stop takes its mailbox again at once.
  port.agents.delete('a');
  const again = bus.forget('a');
  assert.deepEqual(
    again.map((d) => d.message.content),
    ['m1', 'm2', 'm3'],
    'handed to the stop, in handled order',
  );
  for (const d of again)
    await bus.deadLetter({ delivery: d, reason: 'agent a was stopped before handling it', attempts: 0, at: Date.now() });
  await ticks(20);
  await bus.idle();
  assert.equal(bus.mailboxDepth('a'), 0);
  assert.equal(log.ops.filter((o) => o.startsWith('dead-letter:')).length, 3, 'each dead-lettered once');
  assert.equal(events.filter((e) => e.type === 'dead-lettered').length, 3, "each told once, the stop's letters as the bus's");
  assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'none completed as well');
  assert.deepEqual(bus.forget('a'), [], 'nothing left behind');
  await bus.stopDispatching();
  await bus.stop();
});

test('the agent stopped and the dead letter of a rewound delivery cannot be written: warned, not told as dead-lettered, in no mailbox and not pending here (the log hands it out again after a restart)', async () => {
  const { bus, port, log, events, seen, release } = await handledAheadOfAFailedCommit();
  log.failDeadLetter = () => true;
  port.notRunnable.add('a');
  assert.deepEqual(bus.forget('a'), []);
  port.agents.delete('a');
  release();
  await until(() => log.ops.filter((o) => o.startsWith('dead-letter-failed:')).length === 3, 'the three dead letters tried');
  await ticks(20);
  await bus.idle();
  const warnings = events.flatMap((e) =>
    e.type === 'log' && e.line.level === 'warn' && e.line.message.includes('could not be dead-lettered') ? [e.line.message] : [],
  );
  assert.equal(warnings.length, 3, 'one warning each');
  assert.ok(warnings.every((w) => w.includes('stays pending in the log')));
  assert.equal(events.filter((e) => e.type === 'dead-lettered').length, 0, 'not told as dead-lettered');
  assert.deepEqual(await log.deadLetters(10), []);
  assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'not completed: pending in the log still');
  assert.ok(['m1', 'm2', 'm3'].every((m) => log.hasCompleted?.(`id-${m}>a`) !== true));
  assert.equal(bus.mailboxDepth('a'), 0, 'in no mailbox');
  assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again');
  // Not pending here: deployed again, a repeat of the same sends is taken (not a duplicate) and handled once.
  port.agents.add('a');
  port.notRunnable.delete('a');
  for (const m of ['m1', 'm2', 'm3']) await bus.send(inform('a', m), operator, `id-${m}`);
  await until(() => seen.length === 6 && bus.mailboxDepth('a') === 0, 'handled once more');
  await bus.idle();
  assert.deepEqual(seen.slice(3), ['m1', 'm2', 'm3']);
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

test("the agent's partition moved to another node meanwhile: the rewound deliveries are left to their new owner, neither dead-lettered nor handled here", async () => {
  const { bus, port, log, seen, release } = await handledAheadOfAFailedCommit();
  for (const item of port.items) if (item.kind === 'delivery') log.movedAway.add(item.delivery.id);
  assert.deepEqual(bus.forget('a'), []);
  release();
  await until(() => port.resets.length === 1, 'rewound');
  await ticks(20); // the rewind finishes after the reset: its put-back runs then
  await bus.idle();
  assert.equal(log.ops.filter((o) => o.startsWith('dead-letter')).length, 0, "nothing written for another node's deliveries");
  assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again here');
  assert.equal(bus.mailboxDepth('a'), 0);
  // No longer pending here either: moved back (a re-assignment), a repeat of the same sends is
  // taken, not refused as a duplicate of deliveries this node still held, and handled once.
  log.movedAway.clear();
  for (const m of ['m1', 'm2', 'm3']) await bus.send(inform('a', m), operator, `id-${m}`);
  await until(() => seen.length === 6 && bus.mailboxDepth('a') === 0, 'the repeated sends handled');
  await bus.idle();
  assert.deepEqual(seen.slice(3), ['m1', 'm2', 'm3'], 'handled once each');
  assert.deepEqual([...log.completedIds].sort(), ['id-m1>a', 'id-m2>a', 'id-m3>a'], 'completed, here, by the repeat');
  await bus.stopDispatching();
  await bus.stop();
});
