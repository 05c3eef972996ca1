/**
 * The handling plan's timer ids (issue 24): like the ids of what a handling sends, the timers it
 * sets get ids derived from the work, so running the same work again (after a crash before its
 * commit point, or a rewind) sets the same timers instead of a second copy of each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery } from '@caxton/core';
import type { ExecutionResult, WorkItem } from '../../src/bus/executor.js';
import { planBatch, type Step } from '../../src/bus/plan/handling-plan.js';

const settings = { maxAttempts: 3, fenced: false, keepsState: true, wallNow: () => 1 };

function delivery(id: string): WorkItem {
  const d: Delivery = {
    id,
    messageId: id.split('>')[0]!,
    receiver: 'a',
    message: { performative: 'request', receivers: [{ name: 'a' }] },
    acceptedAt: 0,
  };
  return { kind: 'delivery', agent: 'a', delivery: d, attempt: 1 };
}

function result(timers: { delayMs: number; token: string }[]): ExecutionResult {
  return {
    agent: 'a',
    workId: 'w',
    outcome: { status: 'ok' },
    fuelUsed: 0,
    outbox: [],
    timers,
    directory: [],
    stateWrites: [],
    http: [],
    logs: [],
  };
}

function timerIds(item: WorkItem, r: ExecutionResult, now = 1): (string | undefined)[] {
  const [plan] = planBatch([item], [r], { ...settings, wallNow: () => now });
  // Where the log keeps state they are set after the commit point that records them (issue 55).
  const set = plan!.steps.find((s): s is Extract<Step, { kind: 'set-timers' }> => s.kind === 'set-timers');
  return set!.timers.map((t) => t.id);
}

test('timers a handling sets get ids derived from its work: the same when it runs again, distinct otherwise', () => {
  const set = result([
    { delayMs: 5, token: 'x' },
    { delayMs: 5, token: 'x' },
  ]);
  const first = timerIds(delivery('m1>a'), set);
  assert.equal(first.length, 2);
  assert.ok(first.every((id) => typeof id === 'string' && !id.includes('/')));
  assert.notEqual(first[0], first[1], 'two timers of one handling are two timers');
  assert.deepEqual(timerIds({ ...delivery('m1>a'), attempt: 2 } as WorkItem, set, 99), first, 'the same work, run again later');
  assert.notDeepEqual(timerIds(delivery('m2>a'), set), first, 'other work');
  const byTimer = timerIds({ kind: 'timer', agent: 'a', token: 't', timerId: 'T1' }, set);
  assert.deepEqual(timerIds({ kind: 'timer', agent: 'a', token: 't', timerId: 'T1' }, set, 99), byTimer, 'a durable timer fired again');
});

test('the wall clock is read only to name what a timer fired by hand sends: deliveries and durable timers read none (decision 2140)', () => {
  let reads = 0;
  const wallNow = (): number => ++reads;
  const sends = (item: WorkItem): ExecutionResult => ({
    ...result([{ delayMs: 5, token: 'x' }]),
    outbox: [{ performative: 'inform', receivers: [{ name: 'b' }] }],
    ...(item.kind === 'timer' ? { workId: `timer:${item.token}` } : {}),
  });
  const durable: WorkItem[] = [delivery('m1>a'), { kind: 'timer', agent: 'a', token: 't', timerId: 'T1' }];
  planBatch(durable, durable.map(sends), { ...settings, wallNow });
  assert.equal(reads, 0, 'no clock read for a batch of deliveries and durable timers');
  const byHand: WorkItem = { kind: 'timer', agent: 'a', token: 't' };
  const [plan] = planBatch([byHand], [sends(byHand)], { ...settings, wallNow });
  assert.equal(reads, 1, 'a timer fired by hand names its time, once for its sends and its timers');
  const sent = plan!.steps.find((s): s is Extract<Step, { kind: 'send' }> => s.kind === 'send');
  assert.equal(sent!.messages.length, 1);
});
