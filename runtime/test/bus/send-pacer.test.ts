/**
 * One agent's send work is paced (decision 2099, issue 25's send storm): a large outbox is started
 * `sendsPerTurn` messages per event-loop turn, turns of several agents alternate, and the agent gets
 * no new work until all of its burst started. Counts and order, not time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRAFFIC_LIMIT_TABLE, resolveTrafficLimits } from '@caxton/core';
import { SendPacer } from '../../src/bus/send-pacer.js';
import { inform, openBus, operator, until } from './scripted-port.js';

/** A turn boundary the test steps by hand. */
function steppedTurns(): { next: () => Promise<void>; step: () => Promise<void>; waiting: () => number } {
  let opens: (() => void)[] = [];
  return {
    next: () => new Promise<void>((resolve) => opens.push(resolve)),
    step: async () => {
      const now = opens;
      opens = [];
      for (const open of now) open();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
    waiting: () => opens.length,
  };
}

test('the pacer starts perTurn sends of an agent per turn, in the order they were taken', async () => {
  const turns = steppedTurns();
  const idle: string[] = [];
  const pacer = new SendPacer(3, (a) => idle.push(a), turns.next);
  assert.equal(pacer.paces(3), false, 'an outbox of one turn is sent at once');
  assert.equal(pacer.paces(4), true);
  const started: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 8; i++) {
    const wait = pacer.take('a');
    if (wait === undefined) started.push(i);
    else all.push(wait.then(() => void started.push(i)));
  }
  assert.deepEqual(started, [0, 1, 2], 'the first turn');
  assert.equal(pacer.busy('a'), true);
  await turns.step();
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5], 'the second turn, in order');
  assert.deepEqual(idle, []);
  await turns.step();
  await Promise.all(all);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(pacer.busy('a'), false);
  assert.deepEqual(idle, ['a'], 'told once, when the last waiting send started');
  assert.equal(pacer.pacing, 0, 'nothing kept once the burst started');
});

test('a send taken while others wait goes behind them; agents are paced apart', async () => {
  const turns = steppedTurns();
  const pacer = new SendPacer(2, () => {}, turns.next);
  const order: string[] = [];
  const take = (agent: string, label: string): void => {
    const wait = pacer.take(agent);
    if (wait === undefined) order.push(label);
    else void wait.then(() => order.push(label));
  };
  take('a', 'a0');
  take('a', 'a1');
  take('a', 'a2');
  take('b', 'b0');
  take('b', 'b1');
  take('b', 'b2');
  assert.deepEqual(order, ['a0', 'a1', 'b0', 'b1'], 'each agent its own turn budget');
  await turns.step();
  take('a', 'a3');
  assert.deepEqual(order, ['a0', 'a1', 'b0', 'b1', 'a2', 'b2', 'a3'], 'a3 came after a2 had started and took what was left of the turn');
});

test('sendsPerTurn is a traffic limit: default, ceiling, refused out of range', () => {
  assert.equal(resolveTrafficLimits().sendsPerTurn, TRAFFIC_LIMIT_TABLE.sendsPerTurn.default);
  assert.equal(resolveTrafficLimits({ sendsPerTurn: 5 }).sendsPerTurn, 5);
  assert.throws(() => resolveTrafficLimits({ sendsPerTurn: 0 }), { code: 'limits.out-of-range' });
  assert.throws(() => resolveTrafficLimits({ sendsPerTurn: TRAFFIC_LIMIT_TABLE.sendsPerTurn.ceiling + 1 }), {
    code: 'limits.out-of-range',
  });
});

test("a storming agent's outbox enters the bus a turn at a time: the operator's message gets in after at most one turn of it, and the agent gets no new work until all of it started", async () => {
  const STORM = 1_000;
  const perTurn = TRAFFIC_LIMIT_TABLE.sendsPerTurn.default;
  /** Who entered the bus (routed a receiver), in order: 'storm' or 'probe'. */
  const entered: string[] = [];
  let sendProbe: (() => void) | undefined;
  const stormStartedAtSecondCommand: number[] = [];
  const { bus, port } = await openBus(['stormer', 'neighbour', 'bystander'], {
    capacity: 5_000, // the stormer's share, a quarter, holds its 1,000
    dispatch: { maxPerAgent: 1 },
    port: (p) => {
      const route = p.route.bind(p);
      p.route = (name) => {
        if (name === 'neighbour') {
          // The storm's first send queues the operator's probe behind whatever runs now.
          if (!entered.includes('storm')) queueMicrotask(() => sendProbe!());
          entered.push('storm');
        }
        if (name === 'bystander') entered.push('probe');
        return route(name);
      };
    },
  });
  sendProbe = () => void bus.send(inform('bystander', 'probe'), operator);
  let commands = 0;
  port.script = (item) => {
    // Only the operator's commands storm (a failure the stormer may be owed does not).
    if (item.agent !== 'stormer' || item.kind !== 'delivery' || !item.delivery.message.content?.startsWith('go')) return {};
    commands++;
    if (commands === 2) stormStartedAtSecondCommand.push(entered.filter((e) => e === 'storm').length);
    return { outbox: Array.from({ length: STORM }, (_, i) => inform('neighbour', `storm ${commands}.${i}`)) };
  };
  await bus.send(inform('stormer', 'go'), operator);
  await bus.send(inform('stormer', 'go again'), operator);
  await until(
    () => entered.filter((e) => e === 'storm').length === 2 * STORM && entered.includes('probe'),
    'both storms and the probe entered',
    10_000,
  );

  await bus.stop();
  const before = entered.indexOf('probe');
  assert.ok(before <= perTurn, `the probe entered after ${before} of the storm's sends (at most one turn, ${perTurn})`);
  assert.deepEqual(stormStartedAtSecondCommand, [STORM], 'the second command ran only after every send of the first had started');
});

test('an agent whose last batch sent a paced outbox gets one delivery per batch until it sends less; others keep their runs', async () => {
  const { bus, port } = await openBus(['stormer', 'neighbour', 'light'], { capacity: 5_000, dispatch: { maxPerAgent: 16 } });
  const perTurn = TRAFFIC_LIMIT_TABLE.sendsPerTurn.default;
  port.script = (item) => {
    if (item.kind !== 'delivery') return {};
    const content = item.delivery.message.content ?? '';
    if (item.agent === 'stormer' && content.startsWith('go'))
      return { outbox: Array.from({ length: perTurn + 1 }, (_, i) => inform('neighbour', `${content} ${i}`)) };
    if (item.agent === 'stormer' && content.startsWith('quiet')) return { outbox: [inform('neighbour', content)] };
    return {};
  };
  const handledBy = (agent: string): number => port.items.filter((i) => i.agent === agent && i.kind === 'delivery').length;
  const runsOf = (agent: string): number[] => port.batches.map((b) => b.filter((i) => i.agent === agent).length).filter((n) => n > 0);
  /** Queue `contents` for `agent` while nothing is dispatched, then let them go; resolves when all are handled. */
  const queued = async (agent: string, contents: string[]): Promise<void> => {
    const before = handledBy(agent);
    await bus.freezeDispatch();
    for (const c of contents) await bus.send(inform(agent, c), operator);
    bus.thawDispatch();
    await until(() => handledBy(agent) === before + contents.length, `${contents.join(', ')} handled`, 10_000);
  };
  await queued('stormer', ['go 0', 'go 1', 'go 2']);
  assert.deepEqual(runsOf('stormer'), [3], 'not known as a heavy sender yet: one run of three');
  await queued('stormer', ['go 3', 'go 4', 'go 5']);
  assert.deepEqual(runsOf('stormer').slice(1), [1, 1, 1], 'one delivery per batch once its outbox was paced');
  await queued('stormer', ['quiet 0']);
  await queued('stormer', ['quiet 1', 'quiet 2', 'quiet 3']);
  assert.equal(runsOf('stormer').at(-1), 3, 'a batch that sent less ended it: a run of three again');
  await queued('light', ['m 0', 'm 1', 'm 2', 'm 3', 'm 4']);
  assert.deepEqual(runsOf('light'), [5], 'an agent with small outboxes keeps its runs');
  await bus.stop();
});

test('a burst taken one send at a time before awaiting any (as the applier does): idle told once, no entry left', async () => {
  for (const n of [65, 100, 129, 130, 1_000]) {
    let idles = 0;
    const pacer = new SendPacer(64, () => idles++);
    const started: number[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const turn = pacer.take('a');
      if (turn === undefined) started.push(i);
      else all.push(turn.then(() => void started.push(i)));
    }
    await Promise.all(all);
    assert.deepEqual(
      started,
      Array.from({ length: n }, (_, i) => i),
      `${n}: started in the order taken`,
    );
    assert.equal(idles, 1, `${n}: idle told once, when the last waiting send started`);
    assert.equal(pacer.pacing, 0, `${n}: no entry left`);
    assert.equal(pacer.busy('a'), false);
  }
});

test('a flush starts every waiting send of the agent at once, in order; later takes go behind them', async () => {
  const turns = steppedTurns();
  let idles = 0;
  const pacer = new SendPacer(3, () => idles++, turns.next);
  const started: number[] = [];
  const all: Promise<void>[] = [];
  const take = (i: number): void => {
    const turn = pacer.take('a');
    if (turn === undefined) started.push(i);
    else all.push(turn.then(() => void started.push(i)));
  };
  for (let i = 0; i < 10; i++) take(i);
  assert.deepEqual(started, [0, 1, 2]);
  pacer.flush('a');
  take(10);
  await Promise.all(all);
  assert.deepEqual(
    started,
    Array.from({ length: 11 }, (_, i) => i),
    'all started without a turn passing, in the order taken',
  );
  assert.equal(idles, 1);
  assert.equal(pacer.pacing, 0);
});

/** The neighbour's receive order when the stormer handles `contents` (outbox sizes in `sizes`) in one batch. */
async function receivedInOneBatch(contents: string[], sizes: Record<string, number>): Promise<{ got: string[]; runs: number[] }> {
  const { bus, port } = await openBus(['stormer', 'neighbour'], { capacity: 5_000, dispatch: { maxPerAgent: 16 } });
  port.script = (item) => {
    if (item.kind !== 'delivery' || item.agent !== 'stormer') return {};
    const c = item.delivery.message.content ?? '';
    return { outbox: Array.from({ length: sizes[c]! }, (_, i) => inform('neighbour', `${c}.${i}`)) };
  };
  await bus.freezeDispatch();
  for (const c of contents) await bus.send(inform('stormer', c), operator);
  bus.thawDispatch();
  const total = contents.reduce((a, c) => a + sizes[c]!, 0);
  await until(() => port.handledBy('neighbour').length === total, 'all received', 20_000);
  const got = port.handledBy('neighbour');
  await bus.stop();
  return { got, runs: port.batches.map((b) => b.filter((i) => i.agent === 'stormer').length).filter((n) => n > 0) };
}

const inHandledOrder = (contents: string[], sizes: Record<string, number>): string[] =>
  contents.flatMap((c) => Array.from({ length: sizes[c]! }, (_, i) => `${c}.${i}`));

test('one batch of a paced outbox then a small one: the neighbour receives them in handled order', async () => {
  const perTurn = TRAFFIC_LIMIT_TABLE.sendsPerTurn.default;
  const sizes = { big: perTurn * 3 + 7, small: 1 };
  const { got, runs } = await receivedInOneBatch(['big', 'small'], sizes);
  assert.deepEqual(runs, [2], 'both handled in one batch');
  assert.deepEqual(got, inHandledOrder(['big', 'small'], sizes));
});

test('one batch of two paced outboxes: the neighbour receives the first whole, then the second', async () => {
  const perTurn = TRAFFIC_LIMIT_TABLE.sendsPerTurn.default;
  const sizes = { a: perTurn * 3 + 5, b: perTurn * 2 + 3, c: 2 };
  const { got, runs } = await receivedInOneBatch(['a', 'b', 'c'], sizes);
  assert.deepEqual(runs, [3], 'all handled in one batch');
  assert.deepEqual(got, inHandledOrder(['a', 'b', 'c'], sizes));
});
