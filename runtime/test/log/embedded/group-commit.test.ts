/** fsync policies, group commit under concurrency, and what happens when a write fails. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { EmbeddedLogError } from '../../../src/log/embedded/index.js';
import { completions, deliveries, openLog, pendingAfterReopen, segmentFiles, tempDir, waitFor } from './helpers.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fsync policies', () => {
  for (const fsync of ['always', 'interval', 'never'] as const) {
    test(`${fsync}: concurrent appends and completions are all recovered after reopen`, async (t) => {
      const dir = await tempDir(t);
      const { log } = await openLog(dir, { fsync, fsyncIntervalMs: 5 });
      const batch = deliveries(0, 300);
      await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(batch.slice(i * 10, i * 10 + 10))));
      await Promise.all(Array.from({ length: 15 }, (_, i) => log.complete(completions(batch.slice(i * 20, i * 20 + 10)))));
      const stats = log.stats();
      if (fsync === 'always') assert.equal(stats.fsyncs, stats.commitGroups, 'one fsync per group');
      if (fsync === 'never') assert.equal(stats.fsyncs, 0);
      await log.close();
      const expected = batch.filter((_, i) => i % 20 >= 10).map((d) => d.id);
      assert.deepEqual((await pendingAfterReopen(dir)).ids, expected);
    });
  }

  test('interval: append resolves after the write, before any fsync; the timer and close() fsync', async (t) => {
    const dir = await tempDir(t);
    const slow = await openLog(dir, { fsync: 'interval', fsyncIntervalMs: 60_000 });
    await slow.log.append(deliveries(0, 10));
    assert.equal(slow.log.stats().fsyncs, 0, 'acknowledged without waiting for an fsync');
    await slow.log.close();
    assert.equal(slow.log.stats().fsyncs, 1, 'close() makes the tail durable');

    const fast = await openLog(dir, { fsync: 'interval', fsyncIntervalMs: 10 });
    await fast.log.append(deliveries(10, 10));
    await waitFor('the interval fsync', () => fast.log.stats().fsyncs >= 1);
    await fast.log.close();
    assert.equal((await pendingAfterReopen(dir)).ids.length, 20);
  });

  test('interval: old segments are deleted only after an fsync covered their completions', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'interval', fsyncIntervalMs: 20, segmentBytes: 2048 });
    const batch = deliveries(0, 30);
    for (const d of batch) await log.append([d]);
    // Counted before the completions are written: the interval timer may fsync while complete()
    // is still settling (on a loaded machine), and that fsync covers them too.
    const fsyncsAtCompletion = log.stats().fsyncs;
    await log.complete(completions(batch));
    await waitFor('retention after the interval fsync', async () => (await segmentFiles(dir)).length === 1);
    assert.ok(log.stats().fsyncs > fsyncsAtCompletion, 'deletion waited for a later fsync');
    await log.close();
  });
});

describe('group commit', () => {
  test('everything that arrives while a write+fsync is in flight shares the next group and fsync', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { fsync: 'always' });
    const first = deliveries(0, 1);
    let firstDone = false;
    const inFlight = log.append(first).then(() => (firstDone = true));
    await nextTurn(); // the flush of `first` has started (write + fdatasync take milliseconds)
    assert.equal(firstDone, false, 'the first group is still in flight');

    const later = deliveries(1, 100);
    const promises = later.map((d) => log.append([d]));
    const completion = log.complete(completions(first)); // completes a delivery that is not durable yet
    assert.ok(promises.every((p) => p === promises[0]) && completion === promises[0], 'one promise per group, shared');
    await Promise.all([inFlight, ...promises, completion]);

    const stats = log.stats();
    assert.equal(stats.commitGroups, 2);
    assert.equal(stats.fsyncs, 2);
    assert.deepEqual(
      consumed.map((d) => d.id),
      [...first, ...later].map((d) => d.id),
      'handed out in append order',
    );
    await log.close();
    assert.deepEqual(
      (await pendingAfterReopen(dir)).ids,
      later.map((d) => d.id),
    );
  });

  test('concurrent producers that each wait for their append are batched together', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { fsync: 'always' });
    const producers = 20;
    const perProducer = 25;
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let i = 0; i < perProducer; i++) await log.append(deliveries(p * 1000 + i, 1));
      }),
    );
    const stats = log.stats();
    assert.equal(consumed.length, producers * perProducer);
    assert.ok(stats.commitGroups <= perProducer * 2, `expected ~${perProducer} groups of ${producers}, got ${stats.commitGroups}`);
    // Per producer (a receiver's sender), deliveries are handed out in the order they were appended.
    for (let p = 0; p < producers; p++) {
      const mine = consumed.filter((d) => Math.floor(Number(d.messageId.slice(2)) / 1000) === p).map((d) => d.messageId);
      assert.deepEqual(
        mine,
        Array.from({ length: perProducer }, (_, i) => `m-${p * 1000 + i}`),
      );
    }
    await log.close();
  });

  test('a failed write stops the log: waiting and later callers get log.failed; reopen recovers what was acknowledged', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'always', segmentBytes: 1024 });
    const acknowledged = deliveries(0, 3);
    for (const d of acknowledged) await log.append([d]);
    // The next rotation will try to create this name: make that fail for real (EISDIR).
    const segments = await segmentFiles(dir);
    const next = `${String(Number(segments.at(-1)!.slice(0, 20)) + 1).padStart(20, '0')}.seg`;
    await fs.mkdir(path.join(dir, next));
    let failure: EmbeddedLogError | undefined;
    for (let n = 3; n < 20 && failure === undefined; n++) {
      await log.append(deliveries(n, 1)).then(
        () => acknowledged.push(deliveries(n, 1)[0]!),
        (e: EmbeddedLogError) => (failure = e),
      );
    }
    assert.equal(failure?.code, 'log.failed');
    assert.match(failure?.hint ?? '', /restart/);
    await assert.rejects(log.append(deliveries(99, 1)), (e: EmbeddedLogError) => e.code === 'log.failed');
    await assert.rejects(log.complete(completions(acknowledged)), (e: EmbeddedLogError) => e.code === 'log.failed');
    await log.close();

    await fs.rmdir(path.join(dir, next));
    const { ids } = await pendingAfterReopen(dir);
    for (const d of acknowledged) assert.ok(ids.includes(d.id), `acknowledged ${d.id} survived`);
  });
});

describe("completeInOrder's callback (decision 2111)", () => {
  test('called once per call, in call order, as the group settles and before any reaction to its promise', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'always' });
    const batch = deliveries(0, 6);
    await log.append(batch);
    const seen: string[] = [];
    // Three calls in one group: a reaction to the group's promise is registered before any of them.
    const first = log.completeInOrder(completions(batch.slice(0, 2)), (error) => seen.push(`callback 1 ${String(error)}`));
    void first.then(() => seen.push('reaction'));
    const second = log.completeInOrder(completions(batch.slice(2, 4)), (error) => seen.push(`callback 2 ${String(error)}`));
    void log.completeInOrder(completions(batch.slice(4, 6)), (error) => seen.push(`callback 3 ${String(error)}`));
    assert.deepEqual(seen, [], 'nothing is called before the group is durable');
    await Promise.all([first, second]);
    assert.deepEqual(seen, ['callback 1 undefined', 'callback 2 undefined', 'callback 3 undefined', 'reaction']);
    await log.close();
  });

  test('a failed write calls back with the error the promise rejects with', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'always', segmentBytes: 1024 });
    const acknowledged = deliveries(0, 20);
    await log.append(acknowledged.slice(0, 3));
    const segments = await segmentFiles(dir);
    const next = `${String(Number(segments.at(-1)!.slice(0, 20)) + 1).padStart(20, '0')}.seg`;
    await fs.mkdir(path.join(dir, next));
    t.after(() => fs.rmdir(path.join(dir, next)).catch(() => undefined));
    let failure: unknown;
    let calledBack: unknown[] = [];
    for (let n = 3; n < 20 && failure === undefined; n++) {
      // Appends fill the segment until the rotation fails; each one shares its group with a completion.
      const appended = log.append([acknowledged[n]!]);
      calledBack = [];
      const completed = log.completeInOrder(completions([acknowledged[n - 3]!]), (error) => calledBack.push(error));
      await Promise.all([appended, completed]).catch((e: unknown) => (failure = e));
    }
    assert.equal((failure as EmbeddedLogError | undefined)?.code, 'log.failed');
    assert.deepEqual(calledBack, [failure], 'called once, with the rejection');
    await log.close();
  });
});

describe("appendInOrder's callback (decision 2118)", () => {
  test("called as the group settles, in call order with completeInOrder's, before any reaction; a refused append calls nothing", async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'always' });
    const batch = deliveries(0, 5);
    await log.append(batch.slice(0, 2));
    const seen: string[] = [];
    // One group: an append of one delivery, a completion, an append of two (the runs' path).
    const first = log.appendInOrder(batch.slice(2, 3), (error) => seen.push(`append 1 ${String(error)}`));
    void first.then(() => seen.push('reaction'));
    void log.completeInOrder(completions(batch.slice(0, 2)), (error) => seen.push(`complete ${String(error)}`));
    void log.appendInOrder(batch.slice(3, 5), (error) => seen.push(`append 2 ${String(error)}`));
    assert.throws(() => log.appendInOrder([{ ...batch[0]!, id: '' }], () => seen.push('refused called back')));
    assert.deepEqual(seen, [], 'nothing is called before the group is durable');
    await first;
    assert.deepEqual(seen, ['append 1 undefined', 'complete undefined', 'append 2 undefined', 'reaction']);
    await log.close();
    const ids = batch.slice(2).map((d) => d.id);
    assert.deepEqual((await pendingAfterReopen(dir)).ids, ids, 'the three appended in order are pending after a reopen');
  });
});

describe('group-committed events (metrics, decision 1301)', () => {
  test("one event per group: its frames add up to the records appended, its bytes to the log's growth", async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'always' });
    const before = log.stats();
    const groups: { frames: number; bytes: number; seconds: number }[] = [];
    log.events.onType('group-committed', (g) => groups.push({ frames: g.frames, bytes: g.bytes, seconds: g.seconds }));
    const batch = deliveries(0, 200);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(batch.slice(i * 10, i * 10 + 10))));
    const after = log.stats();
    assert.equal(groups.length, after.commitGroups - before.commitGroups, 'one event per written group');
    assert.ok(groups.length < 20, `appends of one turn share groups (${groups.length} groups)`);
    assert.equal(
      groups.reduce((n, g) => n + g.frames, 0),
      200,
      'every record in exactly one group',
    );
    assert.equal(
      groups.reduce((n, g) => n + g.bytes, 0),
      after.bytes - before.bytes,
      "the groups' bytes are what the segments grew by",
    );
    assert.ok(groups.every((g) => g.seconds > 0 && g.seconds < 60));
    await log.close();
  });

  test('without a listener nothing is emitted, and bytes still counts the segments', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'never' });
    assert.equal(log.events.wants('group-committed'), false);
    await log.append(deliveries(0, 5));
    const sizes = await Promise.all((await segmentFiles(dir)).map(async (f) => (await fs.stat(path.join(dir, f))).size));
    assert.equal(
      log.stats().bytes,
      sizes.reduce((a, b) => a + b, 0),
    );
    await log.close();
  });
});
