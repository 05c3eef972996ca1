/**
 * The dispatch loop's fuel-fair sharing over time (decisions 2136, 2140), on a manual clock: the
 * others-quiet shortcut and the idle timer's life (armed, cleared when work is taken, at stop and
 * at freeze, firing). Asserted by order, counts and the timers armed, never by waiting: the clock
 * moves only when the test moves it, and a timer fires only when the test fires it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MONOTONIC_CLOCK, type FairnessClock } from '../../src/bus/fairness-clock.js';
import { inform, openBus, operator, ticks, until, type TestBus } from './scripted-port.js';

/** A clock that stands still, and timers that fire only through `advance`. */
class ManualClock implements FairnessClock {
  time = 0;
  readonly armed = new Map<number, { fire: () => void; at: number }>();
  armedCount = 0;
  clearedCount = 0;
  private next = 1;

  now(): number {
    return this.time;
  }

  setTimer(fire: () => void, ms: number): number {
    const id = this.next++;
    this.armed.set(id, { fire, at: this.time + ms });
    this.armedCount++;
    return id;
  }

  clearTimer(timer: unknown): void {
    if (this.armed.delete(timer as number)) this.clearedCount++;
  }

  /** Moves the clock and fires the timers due by then. */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of [...this.armed]) {
      if (t.at > this.time) continue;
      this.armed.delete(id);
      t.fire();
    }
  }
}

const IDLE_MS = 50;
const HEAVY = 100_000_000;

/**
 * `heavy` (100 M fuel a handling) and `light` (5 k) handle one message each in one batch at time 0:
 * heavy is a debtor, two agents contend over the window (a minute: it never rolls here), and light
 * ran at 0.
 */
async function debtorBeside(clock: ManualClock): Promise<TestBus> {
  const t = await openBus(['heavy', 'light'], {
    dispatch: {
      maxPerAgent: 1,
      maxInFlight: 1,
      fairness: { fairQuantumFuel: 10_000_000, fairWindowMs: 60_000, fairIdleMs: IDLE_MS },
      fairnessClock: clock,
    },
    port: (p) => {
      p.notRunnable.add('heavy');
      p.notRunnable.add('light');
    },
  });
  t.port.script = (item) => ({ fuelUsed: item.agent === 'heavy' ? HEAVY : 5_000 });
  await t.bus.send(inform('heavy', 'h0'), operator);
  await t.bus.send(inform('light', 'l0'), operator);
  await ticks();
  for (const a of ['heavy', 'light']) {
    t.port.notRunnable.delete(a);
    t.bus.wake(a);
  }
  await until(() => t.bus.mailboxDepth('heavy') === 0 && t.bus.mailboxDepth('light') === 0, 'both handled');
  await t.bus.idle();
  assert.equal(t.port.batches.length, 1, 'one batch: both contended at once');
  return t;
}

/** Sends `heavy` one more message and lets the loop pass (the clock stands still). */
async function feedHeavy(t: TestBus, content: string): Promise<void> {
  await t.bus.send(inform('heavy', content), operator);
  await ticks(10);
}

test('fuel-fair: a debtor waits while the others ran within fairIdleMs; once they have been quiet that long it runs at the next pass, without the idle timer (decision 2140)', async () => {
  const clock = new ManualClock();
  const t = await debtorBeside(clock);
  clock.time = IDLE_MS - 1; // light ran 49 ms ago
  await feedHeavy(t, 'h1');
  assert.deepEqual(t.port.handledBy('heavy'), ['h0'], 'deferred: the others ran within fairIdleMs');
  assert.equal(clock.armed.size, 1, 'the idle timer is armed');
  await t.bus.stopDispatching();
  await t.bus.stop();

  const clock2 = new ManualClock();
  const t2 = await debtorBeside(clock2);
  clock2.time = IDLE_MS; // light ran 50 ms ago: the others are quiet
  await feedHeavy(t2, 'h1');
  await until(() => t2.port.handledBy('heavy').length === 2, 'the debtor ran at the pass');
  assert.equal(clock2.armedCount, 0, 'no idle timer was armed: the shortcut, not the timer, let it run');
  assert.deepEqual(t2.port.handledBy('heavy'), ['h0', 'h1']);
  await t2.bus.stopDispatching();
  await t2.bus.stop();
});

test('fuel-fair: the idle timer is cleared when other work is taken, re-armed at the next idle pass, and lets the debtor run when it fires (decision 2140)', async () => {
  const clock = new ManualClock();
  const t = await debtorBeside(clock);
  await feedHeavy(t, 'h1');
  assert.equal(clock.armed.size, 1, 'deferred, the idle timer armed');
  const [first] = [...clock.armed.keys()];
  // Work for another agent arrives: it is taken, the shard did not stay idle.
  await t.bus.send(inform('light', 'l1'), operator);
  await until(() => t.port.handledBy('light').length === 2, 'light ran');
  await t.bus.idle();
  await ticks(10);
  assert.ok(!clock.armed.has(first!), "the timer armed before light's batch was cleared when that batch was taken");
  assert.equal(clock.clearedCount, 1);
  assert.deepEqual(t.port.handledBy('heavy'), ['h0'], 'still deferred');
  // The pass after light's batch found only the debtor again: a new wait, from then.
  assert.equal(clock.armed.size, 1, 'one timer armed for the new idle wait, not two');
  clock.advance(IDLE_MS - 1);
  await ticks(10);
  assert.deepEqual(t.port.handledBy('heavy'), ['h0'], 'not before fairIdleMs');
  clock.advance(1);
  await until(() => t.port.handledBy('heavy').length === 2, 'the debtor ran when the timer fired');
  assert.equal(clock.armed.size, 0, 'nothing left armed');
  await t.bus.stopDispatching();
  await t.bus.stop();
});

test('fuel-fair: stopping or freezing the loop clears the idle timer: no wake-up after, nothing keeps a stopped node alive (decision 2140)', async () => {
  for (const end of ['stop', 'freeze'] as const) {
    const clock = new ManualClock();
    const t = await debtorBeside(clock);
    await feedHeavy(t, 'h1');
    assert.equal(clock.armed.size, 1, `${end}: deferred, the idle timer armed`);
    if (end === 'stop') await t.bus.stopDispatching();
    else await t.bus.freezeDispatch();
    assert.equal(clock.armed.size, 0, `${end}: the idle timer cleared`);
    clock.advance(10 * IDLE_MS);
    await ticks(10);
    assert.deepEqual(t.port.handledBy('heavy'), ['h0'], `${end}: no debtor run after it`);
    if (end === 'freeze') await t.bus.stopDispatching();
    await t.bus.stop();
  }
});

test("the default clock's idle timer does not keep the process alive (unref'd): a stopped node exits", () => {
  let fired = false;
  const timer = MONOTONIC_CLOCK.setTimer(() => {
    fired = true;
  }, 60_000) as NodeJS.Timeout;
  try {
    assert.equal(timer.hasRef(), false);
  } finally {
    MONOTONIC_CLOCK.clearTimer(timer);
  }
  assert.equal(fired, false);
});
