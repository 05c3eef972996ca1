/**
 * ConsumerRestarts (consumer-restarts.ts): a consumer's restart never outlives close(). The leak it
 * closes: a restart whose connect or join was in flight when a node stopped ran on afterwards, a
 * consumer nobody stopped (the replica-mode test's process did not exit). Pure logic: the connect
 * and run it drives are functions here, whose settling each test controls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsumerRestarts } from '../../../src/log/kafka/consumer-restarts.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
  fail(e: Error): void;
}
function gate(): Gate {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function harness() {
  const calls: string[] = [];
  const connects: Gate[] = [];
  const runs: Gate[] = [];
  const restarts = new ConsumerRestarts({
    connect: () => {
      calls.push('connect');
      const g = gate();
      connects.push(g);
      return g.promise;
    },
    run: () => {
      calls.push('run');
      const g = gate();
      runs.push(g);
      return g.promise;
    },
    failed: (e) => calls.push(`failed:${e.message}`),
    beforeRestart: () => calls.push('before-restart'),
    delayMs: () => 1,
  });
  const disconnect = async () => {
    calls.push('disconnect');
  };
  return { calls, connects, runs, restarts, disconnect };
}

test("close() during a restart's connect waits for it, then disconnects; the consumer is never run", async () => {
  const h = harness();
  h.restarts.later(1);
  await tick();
  assert.deepEqual(h.calls, ['before-restart', 'connect']);
  let closed = false;
  const closing = h.restarts.close(h.disconnect).then(() => {
    closed = true;
  });
  await tick();
  assert.equal(closed, false, 'close() waits for the connect in flight');
  assert.equal(h.restarts.closed, true);
  h.connects[0]!.open();
  await closing;
  assert.deepEqual(h.calls, ['before-restart', 'connect', 'disconnect']);
});

test('close() during a run (the group join) waits for it to settle before disconnecting', async () => {
  const h = harness();
  h.restarts.start();
  assert.deepEqual(h.calls, ['run']);
  const closing = h.restarts.close(h.disconnect);
  await tick();
  assert.deepEqual(h.calls, ['run'], 'nothing disconnected while the join is in flight');
  h.runs[0]!.open();
  await closing;
  assert.deepEqual(h.calls, ['run', 'disconnect']);
});

test('a failed run is reported and retried with a reconnect; once closed nothing is retried', async () => {
  const h = harness();
  h.restarts.start();
  h.runs[0]!.fail(new Error('join refused'));
  await tick(20);
  assert.deepEqual(h.calls, ['run', 'failed:join refused', 'before-restart', 'connect']);
  h.connects[0]!.fail(new Error('no broker'));
  await tick(20);
  assert.deepEqual(h.calls.slice(4), ['failed:no broker', 'before-restart', 'connect']);
  const closing = h.restarts.close(h.disconnect);
  h.connects[1]!.fail(new Error('late'));
  await closing;
  await tick(20);
  assert.deepEqual(h.calls.slice(7), ['failed:late', 'disconnect'], 'reported, not retried after close');
});

test('one restart is pending at a time, and close() cancels a pending one', async () => {
  const h = harness();
  h.restarts.later(1);
  h.restarts.later(1);
  await tick(20);
  assert.deepEqual(h.calls, ['before-restart', 'connect'], 'two crashes in a row restart once');
  h.connects[0]!.open();
  await tick();
  h.runs[0]!.open();
  await tick();
  let connects = 0;
  const pending = new ConsumerRestarts({
    connect: async () => {
      connects++;
    },
    run: async () => {},
    failed: () => {},
    delayMs: () => 30,
  });
  pending.later(1);
  await pending.close(async () => {});
  await tick(80);
  assert.equal(connects, 0, 'the restart pending at close() never ran');
});

test('close() waits for an attempt in flight at most closeWaitMs, then disconnects, and again once it settles', async () => {
  const calls: string[] = [];
  let openRun!: () => void;
  const restarts = new ConsumerRestarts({
    connect: async () => {},
    run: () =>
      new Promise<void>((resolve) => {
        openRun = resolve;
      }),
    failed: () => {},
    closeWaitMs: 30,
  });
  restarts.start();
  const started = Date.now();
  await restarts.close(async () => {
    calls.push('disconnect');
  });
  assert.ok(Date.now() - started < 1_000, 'close() did not wait for the join in flight past its bound');
  assert.deepEqual(calls, ['disconnect']);
  openRun();
  await tick(10);
  assert.deepEqual(calls, ['disconnect', 'disconnect'], 'the attempt that settled late is disconnected too');
});
