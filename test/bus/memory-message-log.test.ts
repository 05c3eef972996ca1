/** MemoryMessageLog (persistence 'memory'): hand-out, completion, the bounded dedup window, dead letters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryMessageLog } from '@caxton/runtime';
import type { Delivery } from '@caxton/core';

const delivery = (id: string): Delivery => ({
  id,
  messageId: id,
  receiver: 'a',
  message: { performative: 'inform', receivers: [{ name: 'a@p' }] },
  acceptedAt: 0,
});

test('appended deliveries reach the consumer after append resolves', async () => {
  const log = new MemoryMessageLog();
  const seen: string[] = [];
  log.consume((batch) => seen.push(...batch.map((d) => d.id)));
  await log.open();
  await log.append([delivery('x'), delivery('y')]);
  await Promise.resolve();
  assert.deepEqual(seen, ['x', 'y']);
});

test('the dedup window remembers the last N completions, oldest evicted first', async () => {
  const log = new MemoryMessageLog(3);
  for (const id of ['a', 'b', 'c']) await log.complete([{ id, receiver: 'r' }]);
  assert.deepEqual(
    ['a', 'b', 'c'].map((id) => log.hasCompleted(id)),
    [true, true, true],
  );
  await log.complete([{ id: 'd', receiver: 'r' }]);
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((id) => log.hasCompleted(id)),
    [false, true, true, true],
  );
  // Completing a remembered id again does not evict anything.
  await log.complete([{ id: 'c', receiver: 'r' }]);
  assert.deepEqual(
    ['b', 'c', 'd'].map((id) => log.hasCompleted(id)),
    [true, true, true],
  );
  for (let i = 0; i < 10; i++) await log.complete([{ id: `n${i}`, receiver: 'r' }]);
  assert.deepEqual(
    ['n7', 'n8', 'n9', 'b', 'n6'].map((id) => log.hasCompleted(id)),
    [true, true, true, false, false],
  );
});

test('dead letters count as completed and are kept (bounded)', async () => {
  const log = new MemoryMessageLog(10, 2);
  for (const id of ['p', 'q', 'r']) await log.deadLetter({ delivery: delivery(id), reason: `bad ${id}`, attempts: 3, at: 1 });
  assert.equal(log.hasCompleted('p'), true);
  assert.deepEqual(
    (await log.deadLetters()).map((l) => l.reason),
    ['bad q', 'bad r'],
  );
});

test("in-order calls (decision 2125): held at once, their callbacks told at the end of the turn, in call order, after the turn's appends were handed out and before any reaction to their promises", async () => {
  const log = new MemoryMessageLog();
  const seen: string[] = [];
  log.consume((batch) => seen.push(`handed:${batch.map((d) => d.id).join(',')}`));
  await log.open();
  const told =
    (what: string) =>
    (error: unknown): void =>
      void seen.push(`${what}:${error === undefined ? 'ok' : 'failed'}`);
  const sent = log.appendInOrder([delivery('x')], told('append-x'));
  const completed = log.completeInOrder([{ id: 'w', receiver: 'a' }], told('complete-w'));
  log.appendInOrder([delivery('y')], told('append-y'));
  void sent.then(() => seen.push('reaction-x'));
  void completed.then(() => seen.push('reaction-w'));
  // Held during the call: a completion is known to the dedup window at once, nothing told yet.
  assert.equal(log.hasCompleted('w'), true);
  assert.deepEqual(seen, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['handed:x,y', 'append-x:ok', 'complete-w:ok', 'append-y:ok', 'reaction-x', 'reaction-w']);
});

test("an in-order call made from a callback is told at the end of the next turn, after that turn's appends", async () => {
  const log = new MemoryMessageLog();
  const seen: string[] = [];
  log.consume((batch) => seen.push(`handed:${batch.map((d) => d.id).join(',')}`));
  await log.open();
  log.appendInOrder([delivery('x')], () => {
    seen.push('x told');
    log.appendInOrder([delivery('z')], () => seen.push('z told'));
  });
  log.completeInOrder([{ id: 'x', receiver: 'a' }], () => seen.push('completion told'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['handed:x', 'x told', 'completion told', 'handed:z', 'z told']);
});
