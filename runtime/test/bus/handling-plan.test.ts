/**
 * The handling plan's guarantees as properties (issue 24), checked over generated batches without a
 * log or a clock: no plan completes before its outbox, releases HTTP before its commit point, or
 * writes state outside its commit point; per agent nothing commits after an item that did not
 * complete; a crash the agent did not cause is no attempt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  httpPendingStateKey,
  mtpOutboxStateKey,
  timerDoneStateKey,
  timerIdOfSetKey,
  timerSetStateKey,
  type AclMessage,
  type Delivery,
} from '@caxton/core';
import { planBatch, planInit, isCommitPoint, readDoneMarker, type Step, type WorkPlan } from '../../src/bus/plan/handling-plan.js';
import type { ExecutionOutcome, ExecutionResult, WorkItem } from '../../src/bus/executor.js';

const AGENTS = ['a', 'b', 'c'];

const message = (content: string): AclMessage => ({ performative: 'inform', receivers: [{ name: 'x' }], content });

const outcomeArb: fc.Arbitrary<ExecutionOutcome> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<ExecutionOutcome>({ status: 'ok' }) },
  { weight: 1, arbitrary: fc.constant<ExecutionOutcome>({ status: 'rejected', reason: 'no' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<ExecutionOutcome>(
      { status: 'crashed', kind: 'trap', message: 't' },
      { status: 'crashed', kind: 'unavailable', message: 'reset' },
    ),
  },
  { weight: 1, arbitrary: fc.constant<ExecutionOutcome>({ status: 'not-running', reason: 'failed' }) },
);

interface GenItem {
  agent: string;
  timer: boolean;
  timerId: boolean;
  attempt: number;
  outcome: ExecutionOutcome;
  sends: number;
  writes: number;
  http: number;
  timers: number;
}

const itemArb: fc.Arbitrary<GenItem> = fc.record({
  agent: fc.constantFrom(...AGENTS),
  timer: fc.boolean(),
  timerId: fc.boolean(),
  attempt: fc.integer({ min: 1, max: 4 }),
  outcome: outcomeArb,
  sends: fc.integer({ min: 0, max: 3 }),
  writes: fc.integer({ min: 0, max: 2 }),
  http: fc.integer({ min: 0, max: 2 }),
  timers: fc.integer({ min: 0, max: 1 }),
});

/** A batch as the executor returns it: after an item of an agent that did not complete, its later items are skipped. */
function build(gen: readonly GenItem[]): { batch: WorkItem[]; results: ExecutionResult[] } {
  const batch: WorkItem[] = [];
  const results: ExecutionResult[] = [];
  const stopped = new Set<string>();
  gen.forEach((g, i) => {
    const delivery: Delivery = { id: `m${i}>${g.agent}`, messageId: `m${i}`, receiver: g.agent, message: message(`m${i}`), acceptedAt: 0 };
    const item: WorkItem = g.timer
      ? g.timerId
        ? { kind: 'timer', agent: g.agent, token: `t${i}`, timerId: `T${i}` }
        : { kind: 'timer', agent: g.agent, token: `t${i}` }
      : { kind: 'delivery', agent: g.agent, delivery, attempt: g.attempt };
    const outcome: ExecutionOutcome = stopped.has(g.agent) ? { status: 'skipped', reason: 'earlier item' } : g.outcome;
    if (outcome.status !== 'ok' && outcome.status !== 'rejected') stopped.add(g.agent);
    const done = outcome.status === 'ok' || outcome.status === 'rejected';
    batch.push(item);
    results.push({
      agent: g.agent,
      workId: String(i),
      outcome,
      fuelUsed: 1,
      logs: [],
      outbox: done ? Array.from({ length: g.sends }, (_, k) => message(`s${i}.${k}`)) : [],
      stateWrites: done ? Array.from({ length: g.writes }, (_, k) => ({ key: `k${k}`, value: `v${i}` })) : [],
      http: done
        ? Array.from({ length: g.http }, (_, k) => ({
            id: `h${i}.${k}`,
            request: { method: 'GET', url: 'https://x.example/', headers: [] },
          }))
        : [],
      timers: done ? Array.from({ length: g.timers }, () => ({ delayMs: 5, token: `set${i}` })) : [],
      directory: [],
    });
  });
  return { batch, results };
}

/** A log that refuses any commit writing `k1` (so items with two writes or more are refused), or none. */
const refusingK1 = (agent: string, writes: readonly { key: string }[]): Error | undefined =>
  writes.some((w) => w.key === 'k1') ? Object.assign(new Error(`k1 of ${agent} does not fit`), { code: 'log.invalid-state' }) : undefined;
const settingsArb = fc.record({ fenced: fc.boolean(), keepsState: fc.boolean(), commitRefusal: fc.constantFrom(undefined, refusingK1) });
const batchArb = fc.array(itemArb, { minLength: 1, maxLength: 24 });

const indexOf = (steps: readonly Step[], pred: (s: Step) => boolean): number => steps.findIndex(pred);

test('no plan completes before its outbox and effects, or releases HTTP or forgets its timer before its commit point', () => {
  fc.assert(
    fc.property(batchArb, settingsArb, (gen, s) => {
      const { batch, results } = build(gen);
      for (const plan of planBatch(batch, results, { maxAttempts: 3, wallNow: () => 0, ...s })) {
        const commit = indexOf(plan.steps, isCommitPoint);
        const lastBefore = Math.max(
          indexOf(plan.steps, (x) => x.kind === 'send'),
          indexOf(plan.steps, (x) => x.kind === 'effects'),
          indexOf(plan.steps, (x) => x.kind === 'reply-failure'),
        );
        if (commit >= 0) assert.ok(lastBefore < commit, 'outbox, replies and effects come before the commit point');
        const release = indexOf(plan.steps, (x) => x.kind === 'release-http');
        if (release >= 0 && commit >= 0) assert.ok(commit < release, 'HTTP leaves after the commit point');
        if (release >= 0 && plan.item.kind === 'delivery') assert.ok(commit >= 0, "a delivery's calls wait for its completion");
        const forget = indexOf(plan.steps, (x) => x.kind === 'forget-timer');
        if (forget >= 0 && commit >= 0) assert.ok(commit < forget, 'a timer is forgotten after its commit point');
        if (s.fenced && commit >= 0) assert.ok(indexOf(plan.steps, (x) => x.kind === 'fence') < commit, 'fenced before the commit point');
        if (s.fenced && forget >= 0) {
          const fence = indexOf(plan.steps, (x) => x.kind === 'fence');
          assert.ok(
            fence >= 0 && fence < forget,
            "a timer is deleted from the registry only after the ownership check (a crashed handler's too)",
          );
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('state is written only by a commit point, and a delivery that completes always has one (with exactly its writes)', () => {
  fc.assert(
    fc.property(batchArb, settingsArb, (gen, s) => {
      const { batch, results } = build(gen);
      for (const plan of planBatch(batch, results, { maxAttempts: 3, wallNow: () => 0, ...s })) {
        const result = results[plan.index]!;
        for (const step of plan.steps) {
          if (!isCommitPoint(step)) assert.ok(!('state' in step), `${step.kind} carries no state`);
        }
        const points = plan.steps.filter(isCommitPoint);
        assert.ok(points.length <= 1, 'one commit point at most');
        // Besides the handling's own writes, a commit point carries only the records of the timers it set (issue 55).
        const own = (state: readonly { key: string }[]) => state.filter((w) => timerIdOfSetKey(w.key) === undefined);
        if (plan.item.kind === 'delivery' && plan.disposition === 'commit') {
          assert.equal(points.length, 1);
          assert.deepEqual(own((points[0] as unknown as { state: { key: string }[] }).state), result.stateWrites);
        }
        if (plan.item.kind === 'timer' && plan.item.timerId !== undefined && plan.disposition === 'commit' && s.keepsState) {
          const state = own((points[0] as unknown as { state: { key: string }[] }).state);
          assert.equal(state.at(-1)!.key, timerDoneStateKey(plan.item.timerId), 'a durable timer commits its done marker with its writes');
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('where the log keeps state, the timers a handling sets are recorded in its commit point and set only after it (issue 55); elsewhere set before it', () => {
  fc.assert(
    fc.property(batchArb, settingsArb, (gen, s) => {
      const { batch, results } = build(gen);
      for (const plan of planBatch(batch, results, { maxAttempts: 3, wallNow: () => 0, ...s })) {
        const result = results[plan.index]!;
        const set = plan.steps.find((x): x is Extract<Step, { kind: 'set-timers' }> => x.kind === 'set-timers');
        const early = plan.steps.find((x): x is Extract<Step, { kind: 'effects' }> => x.kind === 'effects');
        if (plan.disposition !== 'commit' || result.timers.length === 0) {
          assert.equal(set, undefined, `${plan.disposition}: sets no timer`);
          continue;
        }
        if (!s.keepsState) {
          assert.equal(set, undefined);
          assert.equal(early!.timers.length, result.timers.length, 'no commit record to carry them: set before the commit point');
          continue;
        }
        assert.ok(early === undefined || early.timers.length === 0, 'no timer is set before the commit point');
        const commit = indexOf(plan.steps, isCommitPoint);
        assert.ok(commit >= 0 && commit < indexOf(plan.steps, (x) => x.kind === 'set-timers'), 'set after the commit point');
        const recorded = (plan.steps[commit] as unknown as { state: { key: string; value: string | null }[] }).state.filter(
          (w) => w.value !== null && timerIdOfSetKey(w.key) !== undefined,
        );
        assert.deepEqual(
          recorded.map((w) => w.key),
          set!.timers.map((t) => timerSetStateKey(t.id)),
          'each timer set is recorded in the commit point, under its id',
        );
      }
    }),
    { numRuns: 500 },
  );
});

test('per agent, nothing commits or sends after an item that did not complete; crashed, parked and skipped items have no effects', () => {
  fc.assert(
    fc.property(batchArb, settingsArb, (gen, s) => {
      const { batch, results } = build(gen);
      const plans = planBatch(batch, results, { maxAttempts: 3, wallNow: () => 0, ...s });
      const stopped = new Set<string>();
      for (const plan of plans) {
        if (stopped.has(plan.agent)) assert.equal(plan.disposition, 'requeue', 'stays queued behind the item that did not complete');
        if (plan.disposition !== 'commit') {
          stopped.add(plan.agent);
          assert.ok(
            !plan.steps.some(
              (x) => x.kind === 'send' || x.kind === 'effects' || x.kind === 'set-timers' || isCommitPoint(x) || x.kind === 'release-http',
            ),
            `${plan.disposition}: no effects`,
          );
        }
      }
    }),
    { numRuns: 500 },
  );
});

test("an item whose commit point the log refuses is planned refused, with its error: nothing of it is sent, set or committed, and its agent's later items are requeued", () => {
  fc.assert(
    fc.property(batchArb, settingsArb, (gen, s) => {
      const { batch, results } = build(gen);
      const plans = planBatch(batch, results, { maxAttempts: 3, wallNow: () => 0, ...s, commitRefusal: refusingK1 });
      const stopped = new Set<string>();
      for (const plan of plans) {
        const result = results[plan.index]!;
        const ran = result.outcome.status === 'ok' || result.outcome.status === 'rejected';
        if (stopped.has(plan.agent)) {
          assert.equal(plan.disposition, 'requeue');
          continue;
        }
        if (ran && result.stateWrites.length >= 2) {
          assert.equal(plan.disposition, 'refused');
          assert.match(plan.refusal?.message ?? '', /^k1 of /);
          assert.deepEqual(
            plan.steps.map((x) => x.kind),
            s.fenced ? ['fence'] : [],
            'only its ownership is checked (a cluster): nothing else of it is applied',
          );
        } else if (plan.disposition === 'refused') {
          assert.fail('only a commit the log refuses is refused');
        }
        if (plan.disposition !== 'commit') stopped.add(plan.agent);
      }
    }),
    { numRuns: 500 },
  );
  const { batch, results } = build([
    { agent: 'a', timer: true, timerId: true, attempt: 1, outcome: { status: 'ok' }, sends: 1, writes: 2, http: 1, timers: 1 },
  ]);
  const [timer] = planBatch(batch, results, {
    maxAttempts: 3,
    fenced: false,
    keepsState: true,
    wallNow: () => 0,
    commitRefusal: refusingK1,
  });
  assert.equal(timer!.disposition, 'refused', "a timer's commit (its writes and done marker) is asked too");
});

test('a crash is an attempt unless the agent did not cause it; the last attempt dead-letters (fenced first in a cluster)', () => {
  const { batch, results } = build([
    {
      agent: 'a',
      timer: false,
      timerId: false,
      attempt: 1,
      outcome: { status: 'crashed', kind: 'trap', message: 'x' },
      sends: 0,
      writes: 0,
      http: 0,
      timers: 0,
    },
    {
      agent: 'b',
      timer: false,
      timerId: false,
      attempt: 3,
      outcome: { status: 'crashed', kind: 'out-of-fuel', message: 'x' },
      sends: 0,
      writes: 0,
      http: 0,
      timers: 0,
    },
    {
      agent: 'c',
      timer: false,
      timerId: false,
      attempt: 3,
      outcome: { status: 'crashed', kind: 'unavailable', message: 'reset' },
      sends: 0,
      writes: 0,
      http: 0,
      timers: 0,
    },
  ]);
  const plans = planBatch(batch, results, { maxAttempts: 3, fenced: true, keepsState: true, wallNow: () => 0 });
  assert.deepEqual(
    plans.map((p: WorkPlan) => p.disposition),
    ['retry', 'dead-letter', 'requeue'],
  );
  assert.deepEqual(
    plans[1]!.steps.map((x) => x.kind),
    ['fence', 'dead-letter'],
  );
  assert.equal(plans[2]!.lostToReset, true);
});

test('outbox ids are derived from the work, so a re-handling re-sends the same ids; a timer fired by hand names its time', () => {
  const gen: GenItem[] = [
    { agent: 'a', timer: false, timerId: false, attempt: 1, outcome: { status: 'ok' }, sends: 2, writes: 0, http: 0, timers: 0 },
  ];
  const one = build(gen);
  const first = planBatch(one.batch, one.results, { maxAttempts: 3, fenced: false, keepsState: true, wallNow: () => 1 });
  const again = planBatch(one.batch, one.results, { maxAttempts: 3, fenced: false, keepsState: true, wallNow: () => 2 });
  const ids = (p: WorkPlan[]): (string | undefined)[] =>
    (p[0]!.steps[0] as unknown as { messages: { id: string | undefined }[] }).messages.map((m) => m.id);
  assert.deepEqual(ids(first), ids(again));
  assert.equal(new Set(ids(first)).size, 2);
});

test('init: sends, then the agent resumes (timers re-armed), then its own effects; no commit point', () => {
  const plan = planInit({ agent: 'a', outbox: [message('hello')], timers: [{ delayMs: 1, token: 't' }], directory: [] });
  assert.deepEqual(
    plan.steps.map((s) => s.kind),
    ['send', 'resume', 'effects'],
  );
  assert.equal((plan.steps[0] as unknown as { messages: { id: unknown }[] }).messages[0]!.id, undefined);
});

test("a worker's reserved writes (decision 2163): pending-call records and timer-done markers are kept under its id; any other write refuses the handling; a timer's refusal is said, not silent", () => {
  const settings = { maxAttempts: 3, fenced: false, keepsState: false, wallNow: () => 0 };
  const result = (stateWrites: { key: string; value: string | null }[]): ExecutionResult => ({
    agent: 'svc#r2',
    workId: 'w',
    outcome: { status: 'ok' },
    fuelUsed: 1,
    logs: [],
    outbox: [],
    stateWrites,
    http: [],
    timers: [],
    directory: [],
  });
  const delivery: WorkItem = {
    kind: 'delivery',
    agent: 'svc#r2',
    delivery: { id: 'm>svc#r2', messageId: 'm', receiver: 'svc#r2', message: message('m'), acceptedAt: 0 },
    attempt: 1,
  };
  const runtimeRecords = [
    { key: httpPendingStateKey('c1'), value: '{}' },
    { key: timerDoneStateKey('T1'), value: '1' },
  ];
  const [kept] = planBatch([delivery], [result(runtimeRecords)], settings);
  assert.equal(kept!.disposition, 'commit');
  const complete = kept!.steps.find((st) => st.kind === 'complete') as { state: readonly unknown[] };
  assert.deepEqual(complete.state, runtimeRecords, "the runtime's records written under the unit, which reads them back");

  const [outbox] = planBatch([delivery], [result([...runtimeRecords, { key: mtpOutboxStateKey('e1'), value: '{}' }])], settings);
  assert.equal(outbox!.disposition, 'dead-letter', 'a reserved record the runtime reads back is not written under the unit');
  assert.match(
    (outbox!.steps.find((st) => st.kind === 'dead-letter') as { reason: string }).reason,
    /^agent\.replica-effect-unsupported: /,
  );

  const timer: WorkItem = { kind: 'timer', agent: 'svc#r2', token: 't', timerId: 'T2' };
  const [fired] = planBatch([timer], [result([{ key: 'count', value: '1' }])], settings);
  assert.equal(fired!.disposition, 'forget');
  assert.deepEqual(fired!.steps, [], 'nothing of it applied');
  assert.match(fired!.warning ?? '', /agent\.replica-effect-unsupported: .*hint: /);
});

test("a handling's first clock read (decision 2178) rides with its commit point: in a delivery's completion, in a timer's done marker after its due time", () => {
  const settings = { maxAttempts: 3, fenced: false, keepsState: true, wallNow: () => 0 };
  const result = (clockAt: number | undefined, more: Partial<ExecutionResult> = {}): ExecutionResult => ({
    agent: 'broker',
    workId: 'w',
    outcome: { status: 'ok' },
    fuelUsed: 1,
    logs: [],
    outbox: [],
    stateWrites: [],
    http: [],
    timers: [],
    directory: [],
    ...(clockAt === undefined ? {} : { clockAt }),
    ...more,
  });
  const delivery: WorkItem = {
    kind: 'delivery',
    agent: 'broker',
    delivery: { id: 'm>broker', messageId: 'm', receiver: 'broker', message: message('m'), acceptedAt: 0 },
    attempt: 1,
  };
  const completion = (plan: WorkPlan | undefined): Step | undefined => plan!.steps.find((st) => st.kind === 'complete');
  assert.deepEqual(completion(planBatch([delivery], [result(1_790_000_000_007)], settings)[0]), {
    kind: 'complete',
    deliveryId: 'm>broker',
    state: [],
    clockAt: 1_790_000_000_007,
  });
  assert.deepEqual(
    completion(planBatch([delivery], [result(undefined)], settings)[0]),
    { kind: 'complete', deliveryId: 'm>broker', state: [] },
    'none read: none recorded',
  );
  const withTimer = completion(planBatch([delivery], [result(5, { timers: [{ delayMs: 10, token: 't' }] })], settings)[0]);
  assert.equal((withTimer as { clockAt?: number }).clockAt, 5, 'on the general path too');

  const timer: WorkItem = { kind: 'timer', agent: 'broker', token: 't', timerId: 'T1', dueAt: 1_790_000_000_000 };
  const marker = (clockAt: number | undefined): string | null | undefined => {
    const [plan] = planBatch([timer], [result(clockAt)], settings);
    const point = plan!.steps.find((st) => st.kind === 'commit-timer') as { state: readonly { key: string; value: string | null }[] };
    return point.state.find((w) => w.key === timerDoneStateKey('T1'))?.value;
  };
  assert.equal(marker(1_790_000_000_042), '1790000000000 1790000000042');
  assert.equal(marker(undefined), '1790000000000', 'as before when it read no clock');
  assert.deepEqual(readDoneMarker('1790000000000 1790000000042'), { dueAt: 1_790_000_000_000, clockAt: 1_790_000_000_042 });
  assert.deepEqual(readDoneMarker('1790000000000'), { dueAt: 1_790_000_000_000, clockAt: undefined });
  assert.deepEqual(readDoneMarker('1 1790000000042'), { dueAt: undefined, clockAt: 1_790_000_000_042 }, 'due time not known');
  assert.deepEqual(readDoneMarker('1'), { dueAt: undefined, clockAt: undefined });
  assert.deepEqual(readDoneMarker('soon later'), { dueAt: undefined, clockAt: undefined }, 'unreadable: nothing');
});
