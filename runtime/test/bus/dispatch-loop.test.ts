/**
 * The bus's dispatch loop as a unit (runtime/src/bus/dispatch-loop.ts, driven through the Bus),
 * over the real MemoryMessageLog with a scripted node port: ordering per agent across batches and
 * in runs, early release with the outbox made durable before the completion, crash retries and
 * dead letters, refused and not-durable outboxes, parking, fencing, timers and idle().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timerDoneStateKey } from '@caxton/core';
import type { WorkItem } from '../../src/bus/executor.js';
import { inform, latch, openBus, operator, RecordingLog, ticks, until } from './scripted-port.js';

const content = (item: WorkItem): string => (item.kind === 'delivery' ? (item.delivery.message.content ?? '') : `timer:${item.token}`);

test('an agent handles its messages in order, across batches and in runs of up to maxPerAgent', async () => {
  const { bus, port } = await openBus(['a'], { dispatch: { maxPerAgent: 3 }, port: (p) => p.notRunnable.add('a') });
  const sent = Array.from({ length: 7 }, (_, i) => `m${i}`);
  for (const m of sent) await bus.send(inform('a', m), operator);
  await ticks();
  port.notRunnable.delete('a');
  bus.wake('a');
  await until(() => bus.mailboxDepth('a') === 0, 'all handled and completed');
  assert.deepEqual(port.handledBy('a'), sent);
  const runs = port.batches.map((b) => b.filter((i) => i.agent === 'a').length);
  assert.ok(
    runs.every((n) => n <= 3),
    `runs ${runs} within maxPerAgent`,
  );
  assert.ok(
    runs.some((n) => n === 3),
    `runs ${runs}: several deliveries of one agent per batch`,
  );
  assert.ok(port.batches.length >= 3);
  await bus.stopDispatching();
  await bus.stop();
});

test('early release: the next message is handled before the previous completion is recorded; each outbox is durable before its completion', async () => {
  const { bus, port, log } = await openBus(['a', 'b']);
  port.script = (item) => (item.agent === 'a' ? { outbox: [inform('b', `re:${content(item)}`)] } : {});
  const slowCommit = latch();
  log.holdCompletions = slowCommit.promise;
  await bus.send(inform('a', 'one'), operator);
  await until(() => port.handledBy('a').length === 1, 'a handled one');
  await bus.send(inform('a', 'two'), operator);
  await until(() => port.handledBy('a').length === 2, 'a handled two while one is still completing');
  assert.ok(!log.ops.some((op) => op.startsWith('complete:')), 'no completion recorded yet');
  assert.equal(bus.mailboxDepth('a'), 2, 'handed off, still holding their mailbox slots');
  log.holdCompletions = undefined;
  slowCommit.open();
  await until(() => bus.mailboxDepth('a') === 0 && bus.mailboxDepth('b') === 0, 'everything completed');
  await bus.idle();
  // For each of a's deliveries: the append of what it sent comes before its completion.
  const handledByA = port.items
    .filter((i) => i.agent === 'a' && i.kind === 'delivery')
    .map((i) => (i.kind === 'delivery' ? i.delivery.id : ''));
  for (const id of handledByA) {
    const outboxAt = log.ops.findIndex((op) => op.startsWith('append:') && op.includes(id));
    const completedAt = log.ops.findIndex((op) => op.startsWith('complete:') && op.includes(id));
    assert.ok(outboxAt >= 0 && completedAt > outboxAt, `outbox of ${id} before its completion: ${log.ops.join(' | ')}`);
  }
  assert.deepEqual(port.handledBy('b'), ['re:one', 're:two']);
  await bus.stopDispatching();
  await bus.stop();
});

test('a crash is retried; after maxAttempts the delivery is dead-lettered and its sender told', async () => {
  const { bus, port, log, events } = await openBus(['poison', 's'], { dispatch: { maxAttempts: 3 } });
  port.script = (item) => (item.agent === 'poison' ? { outcome: { status: 'crashed', kind: 'trap', message: 'unreachable' } } : {});
  await bus.send(inform('poison', 'bad'), { agent: 's' });
  await until(() => port.handledBy('s').length === 1, 's told');
  const attempts = port.items.filter((i) => i.agent === 'poison').map((i) => (i.kind === 'delivery' ? i.attempt : 0));
  assert.deepEqual(attempts, [1, 2, 3]);
  const letters = await log.deadLetters();
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.attempts, 3);
  assert.match(letters[0]!.reason, /crashed 3 times \(trap: unreachable\)/);
  const told = port.items.find((i) => i.agent === 's')!;
  assert.ok(told.kind === 'delivery');
  assert.equal(told.delivery.message.performative, 'failure');
  assert.equal(told.delivery.message.userParams?.['X-caxton-failure'], 'dead-lettered');
  assert.ok(events.some((e) => e.type === 'dead-lettered' && e.agent === 'poison' && e.attempts === 3));
  await until(() => bus.mailboxDepth('poison') === 0, 'slot freed');
  await bus.stopDispatching();
  await bus.stop();
});

test('a send the bus refuses becomes a failure to the agent; a not-durable outbox leaves the delivery uncompleted', async () => {
  const { bus, port, log, events } = await openBus(['a', 'b', 'c']);
  // Only `go` sends: the failure that comes back is handled without sending (or it would loop).
  port.script = (item) => {
    if (content(item) !== 'go') return {};
    if (item.agent === 'a') return { outbox: [{ performative: 'inform', receivers: [], content: 'to nobody' }] };
    if (item.agent === 'b') return { outbox: [inform('c', 'lost?')] };
    return {};
  };
  await bus.send(inform('a', 'go'), operator, 'to-a');
  await until(() => port.handledBy('a').length === 2, 'a handled go and got its refusal');
  const refusal = port.items.filter((i) => i.agent === 'a')[1]!;
  assert.ok(refusal.kind === 'delivery');
  assert.equal(refusal.delivery.message.performative, 'failure');
  assert.equal(refusal.delivery.message.userParams?.['X-caxton-failure'], 'refused');
  assert.ok(events.some((e) => e.type === 'log' && e.agent === 'a' && e.line.message.startsWith('send refused')));
  await until(() => bus.mailboxDepth('a') === 0, 'a completed');

  log.failAppend = (d) => d.receiver === 'c';
  await bus.send(inform('b', 'go'), operator, 'to-b');
  // Not durable: not completed, and the agent is rewound and handles it again (issue 24).
  await until(() => port.handledBy('b').length >= 2, 'b handled go again after its outbox was not durable');
  const toB = port.items.find((i) => i.agent === 'b')!;
  assert.ok(toB.kind === 'delivery');
  assert.equal(log.completedIds.has(toB.delivery.id), false, 'not completed while its outbox is not durable');
  assert.ok(port.resets.includes('b'), 'its state view was reset to what is committed');
  assert.ok(events.some((e) => e.type === 'log' && e.agent === 'b' && e.line.message.includes('outbox not durable')));
  log.failAppend = () => false;
  await until(() => log.completedIds.has(toB.delivery.id), 'completed once its outbox is durable');
  await until(() => port.handledBy('c').length === 1, 'c got what b sent');
  await bus.idle();
  assert.deepEqual(port.handledBy('c'), ['lost?'], 'exactly once, whatever the number of attempts');
  await bus.stopDispatching();
  await bus.stop();
});

test('a not-running agent is parked until something wakes it', async () => {
  const { bus, port } = await openBus(['a']);
  let running = false;
  port.script = () => (running ? {} : { outcome: { status: 'not-running', reason: 'failed' } });
  await bus.send(inform('a', 'wait'), operator);
  await until(() => port.items.length === 1, 'tried once');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(port.items.length, 1, 'parked, not re-polled');
  assert.equal(bus.mailboxDepth('a'), 1, 'the delivery stays at the head');
  running = true;
  bus.wake('a');
  await until(() => bus.mailboxDepth('a') === 0, 'handled after the wake');
  assert.deepEqual(port.handledBy('a'), ['wait', 'wait']);
  await bus.stopDispatching();
  await bus.stop();
});

test('with ownership, a completion this node may no longer record is withheld and the agent parked', async () => {
  let owner = false;
  const { bus, port, log, events } = await openBus(['a'], {
    dispatch: { maxPerAgent: 16 },
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: (_a, token) => owner && token === 7, completionWithinMs: 50 }),
  });
  await bus.send(inform('a', 'fenced'), operator);
  await bus.send(inform('a', 'next'), operator);
  await until(() => port.items.length === 1, 'handled once');
  await bus.idle();
  assert.equal(port.batches[0]!.length, 1, 'one delivery per agent per batch when fenced');
  assert.equal(log.completedIds.size, 0, 'completion withheld');
  assert.equal(bus.mailboxDepth('a'), 2, 'the fenced delivery stays at the head');
  assert.ok(events.some((e) => e.type === 'log' && e.line.message.includes('withheld')));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(port.items.length, 1, 'parked: it no longer runs here');
  owner = true;
  bus.wake('a');
  await until(() => bus.mailboxDepth('a') === 0, 'completed once owned again');
  assert.deepEqual(port.handledBy('a'), ['fenced', 'fenced', 'next']);
  await bus.stopDispatching();
  await bus.stop();
});

test('a fired timer is handed out only once the mailbox is empty, then reported done', async () => {
  const { bus, port } = await openBus(['a'], { port: (p) => p.notRunnable.add('a') });
  await bus.send(inform('a', 'm1'), operator);
  await bus.send(inform('a', 'm2'), operator);
  await ticks();
  bus.fireTimer('a', 'tick', 't-1');
  port.notRunnable.delete('a');
  bus.wake('a');
  await until(() => port.timersDone.length === 1, 'timer handled');
  assert.deepEqual(port.items.map(content), ['m1', 'm2', 'timer:tick']);
  assert.deepEqual(port.timersDone, [['a', 't-1']]);
  // Forgotten timers are not handed out.
  port.notRunnable.add('a');
  bus.fireTimer('a', 'tock', 't-2');
  bus.forgetTimers('a');
  port.notRunnable.delete('a');
  bus.wake('a');
  await ticks(10);
  assert.equal(port.items.length, 3);
  await bus.stopDispatching();
  await bus.stop();
});

test('two timers fired by hand with the same token in one millisecond both have their sends delivered: their ids differ (decision 2140)', async () => {
  const { bus, port } = await openBus(['a', 'b'], { port: (p) => p.notRunnable.add('a') });
  port.script = (item) => (item.kind === 'timer' ? { outbox: [inform('b', `from:${item.token}`)] } : {});
  // The wall clock held in one millisecond, so the two firings are named at the same instant.
  const wall = Date.now;
  const instant = wall();
  Date.now = () => instant;
  try {
    bus.fireTimer('a', 'tick');
    bus.fireTimer('a', 'tick');
    port.notRunnable.delete('a');
    bus.wake('a');
    await until(() => port.items.filter((i) => i.kind === 'timer').length === 2, 'both firings handled');
    await ticks(20);
  } finally {
    Date.now = wall;
  }
  assert.deepEqual(
    port.items.filter((i) => i.agent === 'b').map(content),
    ['from:tick', 'from:tick'],
    "both firings' sends delivered to b",
  );
  await bus.stopDispatching();
  await bus.stop();
});

test("idle(agent) waits for the agent's batch and its background completions (its state rides in them); idle() for everything", async () => {
  const { bus, port, log } = await openBus(['a', 'b']);
  const handling = latch();
  port.script = async (item) => {
    if (item.agent === 'a') await handling.promise;
    return {};
  };
  await bus.send(inform('a', 'slow'), operator);
  await until(() => bus.isBusy('a'), 'a busy');
  let agentIdle = false;
  const waitA = bus.idle('a').then(() => (agentIdle = true));
  await ticks();
  assert.equal(agentIdle, false);
  assert.equal(bus.isBusy('b'), false);
  await bus.idle('b'); // not busy: at once
  const commit = latch();
  log.holdCompletions = commit.promise;
  handling.open();
  await until(() => !bus.isBusy('a'), 'a released early');
  let nodeIdle = false;
  const waitAll = bus.idle().then(() => (nodeIdle = true));
  await ticks();
  assert.equal(nodeIdle, false, 'a completion is still being recorded');
  assert.equal(agentIdle, false, "an upgrade of a would read state without its last handling's writes");
  log.holdCompletions = undefined;
  commit.open();
  await waitA;
  await waitAll;
  assert.equal(bus.mailboxDepth('a'), 0);
  await bus.stopDispatching();
  await bus.stop();
});

test("state: a delivery's writes ride in its completion, after its outbox is durable (early release)", async () => {
  const { bus, port, log } = await openBus(['a', 'b']);
  port.script = (item) => (item.agent === 'a' ? { outbox: [inform('b', 'hi')], stateWrites: [{ key: 'seen', value: content(item) }] } : {});
  await bus.send(inform('a', 'one'), operator);
  await until(() => bus.mailboxDepth('a') === 0 && bus.mailboxDepth('b') === 0, 'handled and completed');
  await bus.idle();
  const id = port.items.find((i) => i.agent === 'a' && i.kind === 'delivery')!;
  const deliveryId = id.kind === 'delivery' ? id.delivery.id : '';
  const outboxAt = log.ops.findIndex((op) => op.startsWith('append:') && op.includes(deliveryId));
  const completedAt = log.ops.indexOf(`complete:${deliveryId}+state`);
  assert.ok(outboxAt >= 0 && completedAt > outboxAt, `outbox, then completion with state: ${log.ops.join(' | ')}`);
  assert.equal((await log.readState('a')).get('seen'), 'one');
  assert.ok(
    log.ops.some((op) => op.startsWith('complete:') && !op.includes('+state')),
    'b wrote nothing: a plain completion',
  );
  await bus.stopDispatching();
  await bus.stop();
});

test("state: a timer's writes are committed before the timer is reported done", async () => {
  const { bus, port, log } = await openBus(['a']);
  port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
  bus.fireTimer('a', 'tick', 't-1');
  await until(() => port.timersDone.length === 1, 'timer done');
  assert.deepEqual(log.ops, ['commit-state:a']);
  assert.equal((await log.readState('a')).get('ticks'), '1');
  await bus.stopDispatching();
  await bus.stop();
});

test("state: a refused commit rewinds the agent and counts as an attempt (dead-lettered after maxAttempts); the batch's others complete", async () => {
  const { bus, port, log, events } = await openBus(['a', 'b'], {
    port: (p) => {
      p.notRunnable.add('a');
      p.notRunnable.add('b');
    },
  });
  log.refuseState = (w) => w.value === 'huge';
  port.script = (item) => ({ stateWrites: [{ key: 'k', value: item.agent === 'a' ? 'huge' : 'fine' }] });
  await bus.send(inform('a', 'x'), operator);
  await bus.send(inform('b', 'y'), operator);
  await ticks();
  port.notRunnable.clear();
  bus.wake('a');
  bus.wake('b');
  await until(() => bus.mailboxDepth('a') === 0 && bus.mailboxDepth('b') === 0, 'both settled');
  await bus.idle();
  assert.equal(port.batches[0]!.length, 2, 'one batch held both');
  const idOf = (agent: string): string => {
    const i = port.items.find((x) => x.agent === agent)!;
    return i.kind === 'delivery' ? i.delivery.id : '';
  };
  assert.equal(port.handledBy('a').length, 3, 'handled again after each refusal, on the committed state');
  assert.deepEqual(port.resets, ['a', 'a', 'a']);
  assert.ok(!log.completedIds.has(idOf('a')), 'the refused one is never completed');
  assert.ok(log.ops.includes(`dead-letter:${idOf('a')}`), 'it ends in the dead letters, with why');
  assert.ok(log.completedIds.has(idOf('b')));
  assert.equal((await log.readState('b')).get('k'), 'fine');
  assert.equal((await log.readState('a')).size, 0);
  const warning = events.find((e) => e.type === 'state-not-committed');
  assert.ok(
    warning &&
      warning.type === 'state-not-committed' &&
      warning.agent === 'a' &&
      warning.workId === idOf('a') &&
      warning.code === 'log.invalid-state' &&
      warning.hint.length > 0,
  );
  await bus.stopDispatching();
  await bus.stop();
});

test('state: a timer whose writes cannot be committed is not reported done (it fires again after a restart)', async () => {
  for (const failure of ['log failed', 'no state store'] as const) {
    const { bus, port, log, events } = await openBus(['a'], { noStateStore: failure === 'no state store' });
    log.failCommitState = failure === 'log failed';
    port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
    bus.fireTimer('a', 'tick', 't-1');
    await until(() => events.some((e) => e.type === 'state-not-committed'), `${failure}: warned`);
    await bus.idle();
    assert.deepEqual(port.timersDone, [], failure);
    const warning = events.find((e) => e.type === 'state-not-committed')!;
    assert.equal(warning.type === 'state-not-committed' && warning.code, failure === 'log failed' ? 'log.failed' : 'state.unsupported');
    await bus.stopDispatching();
    await bus.stop();
  }
});

test("state: a fenced completion writes no state; the next owner's handling commits it", async () => {
  let owner = false;
  const { bus, port, log } = await openBus(['a'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => owner, completionWithinMs: 50 }),
  });
  port.script = () => ({ stateWrites: [{ key: 'k', value: `v${port.items.length}` }] });
  await bus.send(inform('a', 'm'), operator);
  await until(() => port.items.length === 1, 'handled once');
  await bus.idle();
  assert.equal((await log.readState('a')).size, 0, 'nothing written by a node that lost the agent');
  owner = true;
  bus.wake('a');
  await until(() => bus.mailboxDepth('a') === 0, 'completed once owned again');
  assert.equal((await log.readState('a')).get('k'), 'v2');
  await bus.stopDispatching();
  await bus.stop();
});

test('state: on a log that keeps no state, work with state writes is not completed and says why; work without is', async () => {
  const { bus, port, log, events } = await openBus(['a', 'b'], { noStateStore: true });
  port.script = (item) => (item.agent === 'a' ? { stateWrites: [{ key: 'k', value: 'v' }] } : {});
  await bus.send(inform('a', 'x'), operator);
  await bus.send(inform('b', 'y'), operator);
  await until(() => bus.mailboxDepth('a') === 0 && bus.mailboxDepth('b') === 0, 'both settled');
  await bus.idle();
  const idOf = (agent: string): string => {
    const i = port.items.find((x) => x.agent === agent)!;
    return i.kind === 'delivery' ? i.delivery.id : '';
  };
  assert.ok(!log.completedIds.has(idOf('a')), 'not completed: its writes would be lost');
  assert.ok(log.completedIds.has(idOf('b')));
  const warning = events.find((e) => e.type === 'state-not-committed');
  assert.ok(warning && warning.type === 'state-not-committed' && warning.agent === 'a' && warning.code === 'state.unsupported');
  await bus.stopDispatching();
  await bus.stop();
});

test('freeze: the batch in flight finishes before freeze resolves, no batch is handed out while frozen, thaw hands out what waited (mail and fired timers) in order', async () => {
  const { bus, port } = await openBus(['a', 'b']);
  const slow = latch();
  port.script = async (item) => {
    if (content(item) === 'first') await slow.promise;
    return {};
  };
  await bus.send(inform('a', 'first'), operator);
  await until(() => port.items.length === 1, 'the first message is in flight');
  let frozen = false;
  const freezing = bus.freezeDispatch().then(() => (frozen = true));
  await ticks();
  assert.equal(frozen, false, 'freeze waits for the batch in flight');
  for (const m of ['x1', 'x2']) await bus.send(inform('a', m), operator);
  await bus.send(inform('b', 'y1'), operator);
  bus.fireTimer('b', 'tick', 't-1');
  slow.open();
  await freezing;
  await ticks(20);
  assert.deepEqual(port.items.map(content), ['first'], 'nothing handed out while frozen');
  assert.equal(bus.mailboxDepth('a'), 2);
  bus.thawDispatch();
  await until(() => port.items.length === 5, 'everything that waited is handled after the thaw');
  assert.deepEqual(port.handledBy('a'), ['first', 'x1', 'x2']);
  assert.deepEqual(port.items.filter((i) => i.agent === 'b').map(content), ['y1', 'timer:tick']);
  await bus.stopDispatching();
  await bus.stop();
});

test("two batches of one agent complete in handled order even when the first one's timer write (after its commit, issue 55) is slow (issue 24)", async () => {
  const { bus, port, log } = await openBus(['a']);
  let release!: () => void;
  port.holdEffects = new Promise<void>((r) => (release = r));
  port.script = (item) =>
    content(item) === 'first'
      ? { timers: [{ delayMs: 60_000, token: 'later' }], stateWrites: [{ key: 'n', value: '1' }] }
      : { stateWrites: [{ key: 'n', value: '2' }] };
  await bus.send(inform('a', 'first'), operator);
  await bus.send(inform('a', 'second'), operator);
  await until(() => port.handledBy('a').length === 2, 'both handled (early release)');
  await until(() => log.ops.some((o) => o.startsWith('complete:')), 'the first completes (it records its timer)');
  await ticks(20);
  assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 1, "the second waits until the first's timer is set");
  release();
  await bus.idle();
  const completes = log.ops.filter((o) => o.startsWith('complete:'));
  assert.equal(completes.length, 2);
  assert.ok(completes[0]!.includes('+state') && completes[0] !== completes[1]);
  const ids = port.items.map((i) => (i.kind === 'delivery' ? i.delivery.id : ''));
  assert.deepEqual(completes, [`complete:${ids[0]}+state`, `complete:${ids[1]}+state`]);
  assert.equal((await log.readState('a')).get('n'), '2');
  await bus.stopDispatching();
  await bus.stop();
});

test('a failed commit followed by more messages: the later handlings are rewound and handled again in order on the committed state', async () => {
  const { bus, port, log, events } = await openBus(['a'], { dispatch: { maxPerAgent: 1 } });
  let held!: () => void;
  log.holdCompletions = new Promise<void>((r) => (held = r));
  // The first completion fails (the log could not make it durable); later ones would succeed.
  let failNext = true;
  const complete = log.complete.bind(log);
  log.complete = async (records) => {
    if (failNext) {
      failNext = false;
      await log.holdCompletions;
      throw Object.assign(new Error('state topic unreachable'), { code: 'kafka.unavailable' });
    }
    return complete(records);
  };
  const seen: string[] = [];
  port.script = (item) => {
    seen.push(content(item));
    return { stateWrites: [{ key: `k-${content(item)}`, value: 'x' }] };
  };
  for (const m of ['m1', 'm2', 'm3']) await bus.send(inform('a', m), operator);
  await until(() => seen.length >= 3, 'handled ahead of the first completion (early release)');
  log.holdCompletions = undefined;
  held();
  await until(() => bus.mailboxDepth('a') === 0, 'all completed in the end');
  await bus.idle();
  assert.deepEqual(seen.slice(0, 3), ['m1', 'm2', 'm3']);
  assert.deepEqual(seen.slice(3), ['m1', 'm2', 'm3'], 'handled again, in order, after the rewind');
  assert.deepEqual(port.resets, ['a']);
  assert.ok(events.some((e) => e.type === 'state-not-committed' && e.code === 'kafka.unavailable'));
  assert.deepEqual([...(await log.readState('a')).keys()].sort(), ['k-m1', 'k-m2', 'k-m3']);
  await bus.stopDispatching();
  await bus.stop();
});

test("state: an instance's timer commits under its partition's claim and is deleted once the log shows it counted; a named agent's commits untagged (decision 2060)", async () => {
  const { bus, port, log } = await openBus(['counter/alice', 'ticker'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => true, completionWithinMs: 50 }),
  });
  port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
  bus.fireTimer('counter/alice', 'tick', 't-1');
  bus.fireTimer('ticker', 'tick', 't-2');
  await until(() => port.timersDone.length === 2, 'both timers deleted from the registry');
  assert.ok(log.ops.includes('commit-claimed:counter/alice'), "the instance's timer: a claimed commit");
  assert.ok(!log.ops.includes('commit-state:counter/alice'));
  assert.ok(log.ops.includes('commit-state:ticker'), "the named agent's timer: untagged, as before");
  assert.ok(!log.ops.includes('commit-claimed:ticker'));
  const counted = log.ops.findIndex((o) => o.startsWith('counted:'));
  assert.ok(counted > log.ops.indexOf('commit-claimed:counter/alice'), 'the delete waited for the log to say the commit counted');
  assert.deepEqual(port.timersLeft, []);
  await bus.stopDispatching();
  await bus.stop();
});

test("state: a zombie's instance timer (every ownership check passes, the log shows its commit did not count) is left in the registry (decision 2060)", async () => {
  const { bus, port, log, events } = await openBus(['counter/alice'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => true, completionWithinMs: 50 }),
  });
  log.claimedCounts = false;
  port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(() => port.timersLeft.length === 1, "the timer left for the partition's owner");
  await bus.idle();
  assert.ok(log.ops.includes('commit-claimed:counter/alice'));
  assert.deepEqual(
    port.timersDone,
    [],
    'not deleted from the registry: the owner fires it (the commit was void) or forgets it (it counted)',
  );
  assert.deepEqual(port.timersLeft, [['counter/alice', 't-1']], 'no longer tracked here');
  assert.ok(
    events.some((e) => e.type === 'log' && e.agent === 'counter/alice' && /not known to count.*left in the registry/.test(e.line.message)),
    'and says why',
  );
  await bus.stopDispatching();
  await bus.stop();
});

test("state: an instance's timer whose claimed commit is refused (partition revoked) is not deleted, and the refusal is told (decision 2060)", async () => {
  let owner = true;
  const { bus, port, log, events } = await openBus(['counter/alice'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => owner, completionWithinMs: 50 }),
  });
  log.claimRevoked = true;
  port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(() => events.some((e) => e.type === 'state-not-committed' && e.agent === 'counter/alice'), 'the refusal');
  owner = false; // the node learns of the revocation: the rewound instance is fenced, not run again
  await bus.idle();
  const refusal = events.find((e) => e.type === 'state-not-committed' && e.agent === 'counter/alice');
  assert.equal(refusal?.type === 'state-not-committed' ? refusal.code : undefined, 'bus.kafka.not-owner');
  assert.ok(!log.ops.some((o) => o.endsWith(':counter/alice') && o.startsWith('commit-')), 'nothing committed');
  assert.deepEqual(port.timersDone, [], 'the timer stays in the registry for the new owner');
  await bus.stopDispatching();
  await bus.stop();
});

test("state: an instance's timer whose partition leaves during its commit is not deleted; the next owner fires it (decision 2060)", async () => {
  // The fence step passes (first check), then the partition is revoked while the commit is under
  // way: a commit whose claim was superseded is void, so deleting the timer would lose it.
  let checks = 0;
  const { bus, port, log, events } = await openBus(['counter/alice'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => ++checks === 1, completionWithinMs: 50 }),
  });
  port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(() => log.ops.includes('commit-claimed:counter/alice'), 'the firing committed');
  await bus.idle();
  assert.equal(checks, 2, 'ownership looked at again after the commit');
  assert.deepEqual(port.timersDone, [], 'the timer stays in the registry for the new owner');
  assert.deepEqual(port.timersLeft, [['counter/alice', 't-1']]);
  assert.ok(!log.ops.some((o) => o.startsWith('counted:')), 'no need to ask the log');
  assert.ok(
    events.some(
      (e) =>
        e.type === 'log' && e.agent === 'counter/alice' && /partition left during the commit: left in the registry/.test(e.line.message),
    ),
    'and says why',
  );
  await bus.stopDispatching();
  await bus.stop();
});

test("state: while an instance timer's commit waits to be known to count, the agent is not idle and a re-fire of the timer is dropped; a void commit leaves the timer (decision 2060)", async () => {
  // A zombie: every ownership check passes, its reader has not read the other node's claim yet.
  const { bus, port, log, events } = await openBus(['counter/alice'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => true, completionWithinMs: 50 }),
  });
  let answer!: (counts: boolean) => void;
  log.holdCounted = new Promise<boolean>((r) => (answer = r));
  port.script = (item) => (item.kind === 'timer' ? { stateWrites: [{ key: 'ticks', value: '1' }] } : {});
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(() => log.ops.some((o) => o.startsWith('counted:')), 'the wait started');
  let idle = false;
  const idled = bus.idle('counter/alice').then(() => (idle = true));
  // What a passivation during the wait used to make: the timer re-armed from the registry, fired again.
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(
    () =>
      events.some((e) => e.type === 'log' && /fired again while its last firing's commit is not yet known to count/.test(e.line.message)),
    'the re-fire dropped',
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false, "not idle (so not passivated, swapped or stopped) while the timer's fate is open");
  assert.deepEqual(port.timersDone, [], 'the re-fire did not delete the timer through its done marker');
  assert.equal(port.items.filter((i) => i.kind === 'timer').length, 1, 'nor handled it again');
  answer(false); // the log: another node claimed the partition before the commit
  await idled;
  assert.deepEqual(port.timersDone, [], 'the firing is not lost: the timer stays in the registry');
  assert.deepEqual(port.timersLeft, [['counter/alice', 't-1']], "for the partition's owner");
  await bus.stopDispatching();
  await bus.stop();
});

test("state: an instance timer's done marker seen only in this node's own unread commit does not delete the timer; one read back from the log does (decision 2060)", async () => {
  const { bus, port, log } = await openBus(['counter/alice'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => true, completionWithinMs: 50 }),
  });
  await log.commitState('counter/alice', [{ key: timerDoneStateKey('t-1'), value: '1' }]);
  log.markersUnread = true;
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(() => port.timersLeft.length === 1, 'the timer left');
  assert.deepEqual(port.timersDone, [], 'not deleted: the commit may be void');
  assert.deepEqual(port.items, [], 'nor handled again');
  log.markersUnread = false;
  bus.fireTimer('counter/alice', 'tick', 't-1');
  await until(() => port.timersDone.length === 1, 'the timer forgotten');
  assert.deepEqual(port.timersDone, [['counter/alice', 't-1']]);
  assert.deepEqual(port.items, []);
  await bus.stopDispatching();
  await bus.stop();
});

test('state: a crashed timer firing withheld (the node no longer owns the agent, named agents too) is left, not tracked here (decision 2060)', async () => {
  let owner = true;
  const { bus, port } = await openBus(['ticker'], {
    port: (p) => (p.ownership = { token: () => 7, isStillOwner: () => owner, completionWithinMs: 50 }),
  });
  port.script = (item) => {
    if (item.kind === 'timer') owner = false; // revoked while it ran
    return item.kind === 'timer' ? { outcome: { status: 'crashed', kind: 'trap', message: 'unreachable' } } : {};
  };
  bus.fireTimer('ticker', 'tick', 't-1');
  await until(() => port.timersLeft.length === 1, 'the timer left');
  await bus.idle();
  assert.deepEqual(port.timersDone, [], 'the next owner decides (it re-runs the handler once)');
  assert.deepEqual(port.timersLeft, [['ticker', 't-1']], 'no slot nor past due time held here');
  await bus.stopDispatching();
  await bus.stop();
});

test('fuel-fair: an agent burning far past the quantum yields to light agents with mail, then runs alone, in order (decision 2136)', async () => {
  const { bus, port } = await openBus(['heavy', 'l1', 'l2'], {
    dispatch: { maxPerAgent: 2, maxInFlight: 1, fairness: { fairQuantumFuel: 10_000_000, fairWindowMs: 600_000 } },
    port: (p) => {
      for (const a of ['heavy', 'l1', 'l2']) p.notRunnable.add(a);
    },
  });
  port.script = (item) => ({ fuelUsed: item.agent === 'heavy' ? 100_000_000 : 5_000 });
  const heavySent = Array.from({ length: 6 }, (_, i) => `h${i}`);
  for (const m of heavySent) await bus.send(inform('heavy', m), operator);
  for (let i = 0; i < 10; i++) {
    await bus.send(inform('l1', `a${i}`), operator);
    await bus.send(inform('l2', `b${i}`), operator);
  }
  await ticks();
  for (const a of ['heavy', 'l1', 'l2']) {
    port.notRunnable.delete(a);
    bus.wake(a);
  }
  await until(() => bus.mailboxDepth('heavy') === 0 && bus.mailboxDepth('l1') === 0 && bus.mailboxDepth('l2') === 0, 'all handled');
  const withHeavy = port.batches.map((b, i) => (b.some((x) => x.agent === 'heavy') ? i : -1)).filter((i) => i >= 0);
  const lastLight = Math.max(...port.batches.map((b, i) => (b.some((x) => x.agent !== 'heavy') ? i : -1)));
  assert.ok(withHeavy[1]! > lastLight, `heavy's second run (batch ${withHeavy[1]}) after the light agents' last (batch ${lastLight})`);
  assert.deepEqual(port.handledBy('heavy'), heavySent, 'in order, each once');
  assert.deepEqual(
    port.handledBy('l1'),
    Array.from({ length: 10 }, (_, i) => `a${i}`),
  );
  for (const i of withHeavy.slice(1)) assert.equal(port.batches[i]!.length, 1, 'a debtor runs one delivery at a time');
  await bus.stopDispatching();
  await bus.stop();
});

test('fuel-fair: a heavy run that crashed is left to the restart policy, not deferred (decision 2136)', async () => {
  const { bus, port } = await openBus(['heavy', 'l1'], {
    dispatch: { maxPerAgent: 1, maxInFlight: 1, maxAttempts: 100, fairness: { fairQuantumFuel: 10_000_000, fairWindowMs: 600_000 } },
    port: (p) => {
      p.notRunnable.add('heavy');
      p.notRunnable.add('l1');
    },
  });
  let crashes = 0;
  port.script = (item) =>
    item.agent === 'heavy' && crashes++ < 3
      ? { fuelUsed: 100_000_000, outcome: { status: 'crashed', kind: 'trap', message: 'out of fuel' } }
      : { fuelUsed: item.agent === 'heavy' ? 100_000_000 : 5_000 };
  await bus.send(inform('heavy', 'h0'), operator);
  for (let i = 0; i < 6; i++) await bus.send(inform('l1', `a${i}`), operator);
  await ticks();
  port.notRunnable.delete('heavy');
  port.notRunnable.delete('l1');
  bus.wake('heavy');
  bus.wake('l1');
  await until(() => bus.mailboxDepth('heavy') === 0 && bus.mailboxDepth('l1') === 0, 'all handled');
  const heavyAt = port.batches.map((b, i) => (b.some((x) => x.agent === 'heavy') ? i : -1)).filter((i) => i >= 0);
  // Its retries go round-robin with l1 as before (not pushed behind l1's mail): the 3rd attempt comes before l1 is done.
  const lastLight = Math.max(...port.batches.map((b, i) => (b.some((x) => x.agent === 'l1') ? i : -1)));
  assert.ok(heavyAt[2]! < lastLight, `heavy's third attempt (batch ${heavyAt[2]}) before l1's last (batch ${lastLight})`);
  await bus.stopDispatching();
  await bus.stop();
});

test("fuel-fair: a debtor does not take the instant the shard is idle between a chain's hops; it runs once the shard stays idle (decision 2136)", async () => {
  // Each append takes 5 ms: between a hop's handling and the next one's mail, nothing is ready.
  const log = new RecordingLog();
  const append = log.append.bind(log);
  log.append = async (deliveries) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return append(deliveries);
  };
  const { bus, port } = await openBus(['heavy', 'l1', 'l2'], {
    log,
    dispatch: { maxPerAgent: 1, maxInFlight: 1, fairness: { fairQuantumFuel: 10_000_000, fairWindowMs: 600_000, fairIdleMs: 1000 } },
    port: (p) => {
      for (const a of ['heavy', 'l1', 'l2']) p.notRunnable.add(a);
    },
  });
  // l1 and l2 pass one message back and forth 30 times: between hops nothing is ready for an instant.
  port.script = (item) => {
    if (item.agent === 'heavy') return { fuelUsed: 100_000_000 };
    const n = Number(content(item));
    return n < 30 ? { fuelUsed: 5_000, outbox: [inform(item.agent === 'l1' ? 'l2' : 'l1', String(n + 1))] } : { fuelUsed: 5_000 };
  };
  await bus.send(inform('heavy', 'h0'), operator);
  await bus.send(inform('heavy', 'h1'), operator);
  await bus.send(inform('l1', '0'), operator);
  await ticks();
  for (const a of ['heavy', 'l1', 'l2']) {
    port.notRunnable.delete(a);
    bus.wake(a);
  }
  await until(() => port.handledBy('heavy').length === 2, 'heavy ran both', 5000);
  const hops = [...port.handledBy('l1'), ...port.handledBy('l2')].length;
  const heavyAt = port.batches.findLastIndex((b) => b.some((x) => x.agent === 'heavy'));
  const lastHop = port.batches.findLastIndex((b) => b.some((x) => x.agent !== 'heavy'));
  assert.equal(hops, 31);
  assert.ok(heavyAt > lastHop, `heavy's second handling (batch ${heavyAt}) after the chain's last hop (batch ${lastHop})`);
  await bus.stopDispatching();
  await bus.stop();
});

test('fuel-fair: a lone debtor fed while it runs counts as one contender and never waits for the idle timer (decision 2136 review)', async () => {
  // idleMs of a minute: a single wait for it would time this test out.
  const { bus, port } = await openBus(['heavy', 'light'], {
    // Two in flight: the loop passes while the debtor runs, and sees it both busy and ready.
    dispatch: { maxPerAgent: 1, maxInFlight: 2, fairness: { fairQuantumFuel: 10_000_000, fairWindowMs: 600_000, fairIdleMs: 60_000 } },
  });
  // The light agent ran just before (alone): the others are not quiet for a minute after it.
  port.script = async (item) => {
    if (item.agent !== 'heavy') return { fuelUsed: 5_000 };
    const n = Number(content(item));
    // Fed while it runs: it is both busy and ready at the next pass.
    if (n < 5) {
      await bus.send(inform('heavy', String(n + 1)), operator);
      await ticks(); // the loop passes while it still runs
    }
    return { fuelUsed: 100_000_000 };
  };
  await bus.send(inform('light', 'x'), operator);
  await until(() => port.handledBy('light').length === 1, 'light ran');
  await bus.send(inform('heavy', '0'), operator);
  await until(() => port.handledBy('heavy').length === 6, 'the lone debtor ran all it was fed', 5000);
  assert.deepEqual(port.handledBy('heavy'), ['0', '1', '2', '3', '4', '5']);
  await bus.stopDispatching();
  await bus.stop();
});

test("fuel-fair: a forgiven debtor's next run is still one delivery, not a burst (decision 2136 review)", async () => {
  const { bus, port } = await openBus(['heavy'], {
    dispatch: { maxPerAgent: 4, maxInFlight: 1, fairness: { fairQuantumFuel: 10_000_000, fairWindowMs: 20 } },
  });
  port.script = (item) => ({ fuelUsed: content(item) === 'cheap' ? 5_000 : 100_000_000 });
  await bus.send(inform('heavy', 'h0'), operator);
  await until(() => port.handledBy('heavy').length === 1, 'the heavy run');
  // Two windows and more without its spending: its debt is forgiven.
  await new Promise((resolve) => setTimeout(resolve, 100));
  port.notRunnable.add('heavy');
  for (const m of ['h1', 'h2', 'h3']) await bus.send(inform('heavy', m), operator);
  await ticks();
  port.notRunnable.delete('heavy');
  bus.wake('heavy');
  await until(() => port.handledBy('heavy').length === 4, 'all handled');
  const sizes = port.batches.filter((b) => b.some((x) => x.agent === 'heavy')).map((b) => b.length);
  assert.deepEqual(sizes, [1, 1, 1, 1], 'one delivery per run after a heavy one');
  await bus.stopDispatching();
  await bus.stop();
});
