/**
 * Edge admission (decision 1810): outside clients are refused at the edge, typed and with a
 * retry-after, once what they have in flight waits longer than the delay target; operators keep a
 * reserve; nothing accepted is dropped; the limit comes back by itself when the load drops.
 * The pure controller runs on a hand-driven clock; the bus tests use the real send path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@caxton/core';
import {
  EdgeAdmission,
  MAX_RETRY_AFTER_MS,
  edgeAdmissionLimits,
  type EdgeAdmissionLimits,
  type EdgeVerdict,
} from '../../src/bus/edge-admission.js';
import { BusOverloadedError } from '../../src/bus/errors.js';
import { inform, openBus, operator, until } from './scripted-port.js';

// One floor (servingMinLimit = minLimit, no standing queue within a test): the rules of decision
// 1810. The two floors of decision 2103 have their own limits below.
const LIMITS: EdgeAdmissionLimits = {
  targetDelayMs: 20,
  intervalMs: 50,
  minLimit: 4,
  servingMinLimit: 4,
  standingQueueMs: 10_000,
  maxLimit: 100,
  operatorReserve: 0.1,
  operatorMinSlots: 1,
};

/** Take `n` deliveries into flight the way the bus does: admitted, appended, consumed. */
function accept(edge: EdgeAdmission, n: number, now: number): void {
  assert.equal(edge.admit('client', n, now).admitted, true);
  edge.appendStarted(n);
  edge.appendEnded(n);
  for (let i = 0; i < n; i++) edge.take();
}

function refusal(v: EdgeVerdict): { inFlight: number; limit: number; retryAfterMs: number } {
  assert.equal(v.admitted, false, 'refused');
  return v as Extract<EdgeVerdict, { admitted: false }>;
}

test('a fresh node admits up to its maximum; past it clients are refused with a retry-after, the operator uses its reserve', () => {
  const edge = new EdgeAdmission(LIMITS, 0);
  accept(edge, 100, 0);
  const r = refusal(edge.admit('client', 1, 1));
  assert.deepEqual({ inFlight: r.inFlight, limit: r.limit }, { inFlight: 100, limit: 100 });
  assert.ok(r.retryAfterMs >= LIMITS.intervalMs && r.retryAfterMs <= MAX_RETRY_AFTER_MS, `retry-after ${r.retryAfterMs} within bounds`);
  assert.equal(edge.admit('operator', 10, 1).admitted, true, "the operator's reserve: a tenth of the limit");
  assert.equal(edge.admit('operator', 11, 1).admitted, false, 'and no more');
  // An append that ended before its deliveries were consumed holds nothing.
  edge.appendStarted(3);
  assert.equal(edge.inFlight, 103);
  edge.appendEnded(3);
  assert.equal(edge.inFlight, 100);
});

test("a standing queue (even the shortest wait above target) lowers the limit by Little's law", () => {
  const edge = new EdgeAdmission(LIMITS, 0);
  accept(edge, 100, 0);
  // Every delivery that finished in the interval waited 100 ms: five times the target.
  for (let i = 0; i < 20; i++) edge.finish(100 + i, 10 + i);
  assert.equal(edge.limit, 100, 'nothing changes before the interval ends');
  edge.admit('client', 0, 50);
  // 100 in flight at the peak × 20 ms ÷ 100 ms.
  assert.equal(edge.limit, 20);
  const r = refusal(edge.admit('client', 1, 51));
  assert.equal(r.inFlight, 80);
  // 20 finished in 50 ms: the 80 in flight (less half the limit) take 70 / 0.4 = 175 ms.
  assert.equal(r.retryAfterMs, 175);
});

test('work in flight and nothing finished for a whole interval counts as a wait of that interval', () => {
  const edge = new EdgeAdmission(LIMITS, 0);
  accept(edge, 40, 0);
  edge.admit('client', 0, 100); // 100 ms, nothing finished: 40 × 20 ÷ 100
  assert.equal(edge.limit, 8);
  const r = refusal(edge.admit('client', 1, 101));
  assert.equal(r.retryAfterMs, 1000, 'no finish rate known: a second');
  // The floor: still stuck for 300 ms gives 40 × 20 ÷ 300 = 2, but some outside work is always admitted.
  edge.admit('client', 0, 400);
  assert.equal(edge.limit, LIMITS.minLimit);
});

test('an interval that met the target raises the limit only if it was in use; an idle node returns to its maximum', () => {
  const edge = new EdgeAdmission(LIMITS, 0);
  accept(edge, 100, 0);
  for (let i = 0; i < 100; i++) edge.finish(200, 1);
  edge.admit('client', 0, 50);
  assert.equal(edge.limit, 10, '100 at the peak × 20 ÷ 200');
  // In use (the whole limit reached) and on target: up by an eighth (at least one).
  accept(edge, 10, 51);
  for (let i = 0; i < 10; i++) edge.finish(5, 60);
  edge.admit('client', 0, 100);
  assert.equal(edge.limit, 11);
  // On target but barely used: a quiet client does not earn a larger limit.
  accept(edge, 2, 101);
  for (let i = 0; i < 2; i++) edge.finish(5, 110);
  edge.admit('client', 0, 150);
  assert.equal(edge.limit, 11);
  // Nothing in flight for four intervals: 11 × 2^4 capped at the maximum.
  edge.admit('client', 0, 350);
  assert.equal(edge.limit, 100);
  assert.equal(edge.admit('client', 100, 351).admitted, true, 'recovered without anyone touching it');
});

test('a dropped delivery (its agent removed) leaves flight without teaching a wait', () => {
  const edge = new EdgeAdmission(LIMITS, 0);
  accept(edge, 5, 0);
  for (let i = 0; i < 5; i++) edge.drop();
  assert.equal(edge.inFlight, 0);
  edge.admit('client', 0, 50);
  assert.equal(edge.limit, 100);
});

test('limits out of range are refused, typed', () => {
  assert.throws(() => new EdgeAdmission({ ...LIMITS, minLimit: 0 }), InvalidArgumentError);
  assert.throws(() => new EdgeAdmission({ ...LIMITS, maxLimit: 3 }), InvalidArgumentError);
  assert.throws(() => new EdgeAdmission({ ...LIMITS, targetDelayMs: 0 }), InvalidArgumentError);
  assert.throws(() => new EdgeAdmission({ ...LIMITS, operatorMinSlots: 0.5 }), InvalidArgumentError);
  assert.throws(() => new EdgeAdmission({ ...LIMITS, servingMinLimit: 5 }), InvalidArgumentError, 'the serving floor above the floor');
  assert.throws(() => new EdgeAdmission({ ...LIMITS, servingMinLimit: 0 }), InvalidArgumentError);
});

test("the operator's reserve does not shrink with the limit: a busy node still lets its probes in", () => {
  const edge = new EdgeAdmission({ ...LIMITS, operatorMinSlots: 16 }, 0);
  accept(edge, 40, 0);
  edge.admit('client', 0, 200); // stuck for 200 ms: the limit falls to the floor
  assert.equal(edge.limit, LIMITS.minLimit);
  assert.equal(edge.admit('client', 1, 201).admitted, false);
  // 40 in flight, limit 4: 16 slots above the limit are not enough…
  assert.equal(edge.admit('operator', 1, 201).admitted, false);
  // …until what clients hold drains below the limit plus the reserve.
  for (let i = 0; i < 21; i++) edge.finish(5, 202);
  assert.equal(edge.admit('operator', 1, 203).admitted, true);
  assert.equal(edge.admit('client', 1, 203).admitted, false);
});

test('the bus refuses outside clients past the limit, typed, before anything is observed or appended; agents are not edge traffic', async () => {
  const { bus, port, log } = await openBus(['victim', 'friend'], {
    capacity: 1000,
    edgeAdmission: {
      targetDelayMs: 10_000,
      intervalMs: 10_000,
      minLimit: 1,
      servingMinLimit: 1,
      standingQueueMs: 10_000,
      maxLimit: 10,
      operatorReserve: 0.2,
      operatorMinSlots: 1,
    },
    port: (p) => p.notRunnable.add('victim'),
  });
  for (let i = 0; i < 10; i++) assert.deepEqual((await bus.send(inform('victim', `c${i}`), operator)).accepted, ['victim']);
  const appended = log.ops.length;
  const err = await bus.send(inform('victim', 'one too many'), operator).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof BusOverloadedError, `typed: ${String(err)}`);
  assert.equal(err.code, 'bus.overloaded');
  assert.equal(err.kind, 'resource-exhausted');
  assert.equal(typeof err.context.retryAfterMs, 'number');
  assert.match(err.hint ?? '', /retry after \d+ ms/);
  assert.equal(log.ops.length, appended, 'the refused send appended nothing');
  // The operator's probes use the reserve: 20 % of 10.
  const probe = { external: operator.external, lane: 'operator' as const };
  for (let i = 0; i < 2; i++) assert.deepEqual((await bus.send(inform('victim', `probe ${i}`), probe)).accepted, ['victim']);
  await assert.rejects(bus.send(inform('victim', 'probe 3'), probe), BusOverloadedError);
  // An agent's sends are bounded by the mailbox and its share, not by the edge.
  assert.deepEqual((await bus.send(inform('victim', 'from a friend'), { agent: 'friend' })).accepted, ['victim']);
  // Handling gives the room back: every accepted message is handled once, and clients get in again.
  port.notRunnable.delete('victim');
  bus.wake('victim');
  await until(() => bus.mailboxDepth('victim') === 0, 'the victim handled what it got');
  const handled = port.handledBy('victim');
  assert.equal(handled.length, 13);
  assert.equal(new Set(handled).size, 13, 'each once');
  assert.ok(!handled.includes('one too many') && !handled.includes('probe 3'), 'refused sends were never accepted');
  assert.deepEqual((await bus.send(inform('victim', 'after'), operator)).accepted, ['victim']);
  await bus.stopDispatching();
  await bus.stop();
});

test('a path slower than the target by itself (two fsyncs on a busy disk) raises the target instead of pinning the limit to the floor', () => {
  const edge = new EdgeAdmission(LIMITS, 0);
  // Nearly nothing in flight, yet each message takes 60 ms: that is the path, not a queue.
  // (Learnt once they finish: a wait counts as the path's only when in flight was low all along it.)
  accept(edge, 2, 0);
  for (let i = 0; i < 2; i++) edge.finish(60, 60);
  assert.equal(edge.limit, 100, 'not read as a queue');
  accept(edge, 100, 61);
  for (let i = 0; i < 10; i++) edge.finish(100, 70);
  edge.admit('client', 0, 111);
  assert.equal(edge.limit, 100, "100 ms is within twice the path's 60 ms");
  for (let i = 0; i < 10; i++) edge.finish(300, 120);
  edge.admit('client', 0, 161);
  // A queue now: 90 in flight at the peak × 120 ms (twice the path's 60 ms) ÷ 300 ms.
  assert.equal(edge.limit, 36);
});

// Decision 2103: two floors. The limit falls below minLimit only while the node is serving (deliveries
// finish) and a queue has stood above the target for standingQueueMs; then to rate × target.
const TWO_FLOORS: EdgeAdmissionLimits = {
  targetDelayMs: 20,
  intervalMs: 50,
  minLimit: 100,
  servingMinLimit: 8,
  standingQueueMs: 150,
  maxLimit: 400,
  operatorReserve: 0,
  operatorMinSlots: 0,
};

/**
 * One interval of `ms` from `from` in which `finished` deliveries finish, each after `sojournMs`,
 * and clients ask for as many again (`refill`; taken in as far as the limit allows), or for none.
 */
function servingInterval(edge: EdgeAdmission, from: number, finished: number, sojournMs: number, refill = true, ms = 50): number {
  for (let i = 0; i < finished; i++) edge.finish(sojournMs, from + 1);
  for (let i = 0; refill && i < finished; i++) {
    if (!edge.admit('client', 1, from + 2).admitted) continue;
    edge.appendStarted(1);
    edge.appendEnded(1);
    edge.take();
  }
  edge.admit('client', 0, from + ms);
  return from + ms;
}

test('a queue that stands while the node serves takes the limit below the floor, to what the finish rate serves within the target', () => {
  const edge = new EdgeAdmission(TWO_FLOORS, 0);
  accept(edge, 300, 0);
  // 300 in flight, 30 finishing per 50 ms (0.6 per ms), each after 200 ms, and clients asking for
  // as many again (refused: past the limit): a standing queue.
  let now = servingInterval(edge, 0, 30, 200);
  assert.equal(edge.limit, 100, 'not proven yet: down to the floor only (300 × 20 ÷ 200 = 30)');
  now = servingInterval(edge, now, 30, 200);
  assert.equal(edge.limit, 100, "still within standingQueueMs (150 ms) of the queue's start");
  now = servingInterval(edge, now, 30, 200);
  // Stood 150 ms with deliveries finishing: 0.6 per ms × 20 ms = 12 (Little's law; the in-flight
  // rule of 1810 would allow 240 × 20 ÷ 200 = 24).
  assert.equal(edge.limit, 12);
  assert.equal(edge.admit('client', 1, now + 1).admitted, false, 'clients refused while the queue drains');
});

test('a burst that drains (nothing more asked for) keeps the floor however long its queue stands', () => {
  const edge = new EdgeAdmission(TWO_FLOORS, 0);
  accept(edge, 300, 0);
  let now = 0;
  // The operator's burst: 300 at once, then nothing; 30 finish per 50 ms, each after 500 ms.
  for (let i = 0; i < 8; i++) now = servingInterval(edge, now, 30, 500, false);
  assert.equal(edge.inFlight, 60);
  assert.equal(edge.limit, 100, '400 ms of queue, draining all along: the floor');
  assert.equal(edge.admit('operator', 40, now + 1).admitted, true, 'the next command gets in');
});

test('the serving floor bounds the drop, however slow the finish rate', () => {
  const edge = new EdgeAdmission(TWO_FLOORS, 0);
  accept(edge, 300, 0);
  let now = 0;
  for (let i = 0; i < 5; i++) now = servingInterval(edge, now, 2, 500);
  assert.equal(edge.limit, TWO_FLOORS.servingMinLimit, '0.04 per ms × 20 ms = 1, floored at 8');
});

test('a queue interrupted before it stood for standingQueueMs keeps the floor', () => {
  const edge = new EdgeAdmission(TWO_FLOORS, 0);
  accept(edge, 300, 0);
  let now = servingInterval(edge, 0, 30, 200);
  now = servingInterval(edge, now, 30, 200);
  // An interval on target ends the run…
  now = servingInterval(edge, now, 30, 5, true);
  now = servingInterval(edge, now, 30, 200);
  now = servingInterval(edge, now, 30, 200);
  // …so 200 ms of queue in all, but never 150 ms in a row: the floor holds.
  assert.equal(edge.limit, 100);
  now = servingInterval(edge, now, 30, 200);
  now = servingInterval(edge, now, 30, 200);
  assert.equal(edge.limit, 12, 'a queue that then stands does take it below');
});

/** A queue of 300 that stood while the node served three intervals took the limit below the floor (100), to 12. */
function loweredBelowTheFloor(limits: EdgeAdmissionLimits): { edge: EdgeAdmission; now: number } {
  const edge = new EdgeAdmission(limits, 0);
  accept(edge, 300, 0);
  let now = 0;
  for (let i = 0; i < 3; i++) now = servingInterval(edge, now, 30, 200);
  assert.equal(edge.limit, 12);
  return { edge, now };
}

test("nothing finishing for standingQueueMs (frozen, suspended) lifts a limit a standing queue lowered back to the floor: 1403's node keeps accepting; a shorter stall does not", () => {
  const { edge, now } = loweredBelowTheFloor(TWO_FLOORS);
  // The last delivery finished at now - 49. A whole interval with nothing finished: a stall of a
  // busy machine as much as a freeze; below the floor nothing changes yet.
  edge.admit('client', 0, now + 50);
  assert.equal(edge.limit, 12, 'a 100 ms stall does not let the floor in at once');
  // Nothing finished for 150 ms (standingQueueMs): frozen.
  edge.admit('client', 0, now + 101);
  assert.equal(edge.limit, 100);
  // Drained below the floor meanwhile (the agents were removed), still frozen: bursts up to the floor get in.
  assert.equal(edge.inFlight, 240);
  for (let i = 0; i < 200; i++) edge.drop();
  accept(edge, 50, now + 102);
  edge.admit('client', 0, now + 300);
  assert.equal(edge.limit, 100, 'still frozen: the floor, not a limit that adapts to nothing finishing');
  assert.equal(edge.admit('client', 10, now + 301).admitted, true);
  assert.equal(edge.admit('client', 11, now + 301).admitted, false);
});

test('stalledMs: a stall shorter than it keeps a lowered limit however long past standingQueueMs; nothing finishing for it lifts the limit to the floor', () => {
  const lowered = loweredBelowTheFloor({ ...TWO_FLOORS, stalledMs: 600 });
  const edge = lowered.edge;
  let now = lowered.now;
  // The last delivery finished at now - 49: 150 ms (standingQueueMs) and 400 ms without a finish are a busy machine's stalls.
  edge.admit('client', 0, now + 101);
  assert.equal(edge.limit, 12, 'standingQueueMs without a finish no longer lifts it');
  edge.admit('client', 0, now + 451);
  assert.equal(edge.limit, 12, 'a 500 ms stall does not let the floor in');
  // The node serves again: the limit still steers the queue, from where it was.
  now = servingInterval(edge, now + 451, 30, 200);
  assert.ok(edge.limit <= 12, `${edge.limit}`);
  // Then nothing finishes for 600 ms: frozen or suspended, the floor again (1403).
  edge.admit('client', 0, now + 50);
  edge.admit('client', 0, now + 560);
  assert.equal(edge.limit, 100);
  assert.throws(() => new EdgeAdmission({ ...TWO_FLOORS, stalledMs: -1 }, 0), /stalledMs/);
});

test('a frozen dispatch (the kill switch) lifts the limit to the floor at once and holds it there until the thaw', () => {
  const lowered = loweredBelowTheFloor(TWO_FLOORS);
  const edge = lowered.edge;
  let now = lowered.now;
  edge.freeze(true, now + 1);
  assert.equal(edge.limit, 100, 'at once, not after standingQueueMs without a finish');
  // The last handlings still finish after the freeze, waiting long, with clients asking: no drop below the floor.
  for (let i = 0; i < 6; i++) now = servingInterval(edge, now, 30, 200);
  assert.equal(edge.limit, 100);
  edge.freeze(false, now + 1);
  for (let i = 0; i < 3; i++) now = servingInterval(edge, now, 30, 200);
  assert.ok(edge.limit < TWO_FLOORS.minLimit, `thawed: a standing queue takes it below the floor again (${edge.limit})`);
});

test("the path's own time is learnt only with no more in flight than the serving floor: a queue of the floor's size does not raise the target", () => {
  const edge = new EdgeAdmission(TWO_FLOORS, 0);
  // 90 in flight (below the floor of 100, above the serving floor of 8), each waiting 40 ms: a
  // queue at twice the target, not the path's time. Learnt as the path, the target would become 80.
  accept(edge, 90, 0);
  let now = 0;
  for (let i = 0; i < 3; i++) now = servingInterval(edge, now, 90, 40);
  // Stood 150 ms: 1.8 per ms × 20 ms = 36.
  assert.equal(edge.limit, 36);
});

test("a wait learnt as the path's own time must have begun with little in flight: the tail of a drained queue is not one", () => {
  const lowered = loweredBelowTheFloor(TWO_FLOORS);
  const edge = lowered.edge;
  let now = lowered.now;
  // The queue drains to 8 (the serving floor) within one interval; the last of it finishes after 400 ms.
  while (edge.inFlight > 8) edge.finish(400, now + 1);
  now = servingInterval(edge, now, 0, 400, false);
  for (let i = 0; i < 8; i++) edge.finish(400, now + 1);
  edge.admit('client', 0, now + 50);
  now += 50;
  // Learnt, 400 ms would make the target 800 ms: the limit would grow on every interval "on target".
  accept(edge, 12, now);
  for (let i = 0; i < 12; i++) edge.finish(300, now + 1);
  edge.admit('client', 0, now + 50);
  assert.ok(edge.limit <= 12, `a 300 ms wait is still a queue (limit ${edge.limit})`);
});

test("edgeAdmissionLimits: a ceiling below the floors lowers both (the e2e overload test's --edge-max-in-flight 32)", () => {
  assert.deepEqual(
    (({ minLimit, servingMinLimit, maxLimit }) => ({ minLimit, servingMinLimit, maxLimit }))(edgeAdmissionLimits({ maxLimit: 32 })),
    { minLimit: 32, servingMinLimit: 32, maxLimit: 32 },
  );
  assert.equal(
    edgeAdmissionLimits({ minLimit: 3, maxLimit: 3 }).servingMinLimit,
    3,
    'an explicit floor below the serving floor lowers it too',
  );
  assert.equal(
    edgeAdmissionLimits().servingMinLimit,
    128,
    "decision 2103's rule is on by default (decision 2197): a served standing queue may lower the limit to 128",
  );
});
