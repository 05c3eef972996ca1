// One loop tells a log's in-order callbacks (the embedded log's commit group, the memory log's
// turn end): each in order, a throw neither stopping the ones after it nor going unseen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callEachInOrder } from '../../src/log/in-order-callbacks.js';

test('tells every callback the same error, in order', () => {
  const told: Array<[number, unknown]> = [];
  const failure = new Error('disk full');
  callEachInOrder(
    [0, 1, 2].map((i) => (error: unknown) => void told.push([i, error])),
    failure,
  );
  assert.deepEqual(told, [
    [0, failure],
    [1, failure],
    [2, failure],
  ]);
});

test('a throwing callback does not stop the ones after it, and its throw surfaces on a later microtask', async () => {
  const told: number[] = [];
  const thrown = new Error('callback bug');
  const surfaced = new Promise<unknown>((resolve) => {
    // node:test would report the uncaught error as this test's failure: take it over for the turn.
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.once('uncaughtException', (err) => {
      for (const l of listeners) process.on('uncaughtException', l);
      resolve(err);
    });
  });
  callEachInOrder(
    [
      () => void told.push(0),
      () => {
        throw thrown;
      },
      () => void told.push(2),
    ],
    undefined,
  );
  assert.deepEqual(told, [0, 2], 'the callback after the throwing one was told synchronously');
  assert.equal(await surfaced, thrown);
});
