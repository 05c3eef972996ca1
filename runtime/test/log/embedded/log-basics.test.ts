/** Append / complete / reopen, replay order, dedup, dead letters, misuse — on real files. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DeadLetterFile } from '../../../src/log/embedded/dead-letter-file.js';
import { EmbeddedLogError, EmbeddedMessageLog } from '../../../src/log/embedded/index.js';
import type { Delivery } from '@caxton/core';
import { deliveries, delivery, openLog, pendingAfterReopen, tempDir } from './helpers.js';

describe('append, complete, reopen', () => {
  test('new deliveries reach the consumer once durable, in append order, and survive a reopen', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { fsync: 'always' });
    const batch = deliveries(0, 50);
    await log.append(batch.slice(0, 20));
    await log.append(batch.slice(20));
    assert.deepEqual(consumed, batch, 'the consumer gets the deliveries themselves, in order');
    await log.complete(batch.slice(0, 10).map((d) => ({ id: d.id, receiver: d.receiver })));
    await log.close();

    const reopened = await openLog(dir);
    assert.deepEqual(reopened.consumed, batch.slice(10), 'replay = appended − completed, bodies intact');
    for (const d of batch.slice(0, 10)) assert.ok(reopened.log.hasCompleted(d.id), `${d.id} remembered as completed`);
    assert.equal(reopened.log.hasCompleted(batch[10]!.id), false);
    await reopened.log.close();
  });

  test('after a restart, pending deliveries come first, then new ones, per receiver in append order', async (t) => {
    const dir = await tempDir(t);
    const first = await openLog(dir);
    const all = deliveries(0, 30);
    await Promise.all([first.log.append(all.slice(0, 10)), first.log.append(all.slice(10, 20)), first.log.append(all.slice(20))]);
    // Complete every third, out of order.
    const done = all.filter((_, i) => i % 3 === 0).reverse();
    await first.log.complete(done.map((d) => ({ id: d.id, receiver: d.receiver })));
    await first.log.close();

    const second = await openLog(dir, { replayBatchSize: 4 });
    const expected = all.filter((_, i) => i % 3 !== 0);
    assert.deepEqual(
      second.consumed.map((d) => d.id),
      expected.map((d) => d.id),
    );
    assert.ok(
      second.batches.every((size) => size <= 4),
      'replay arrives in batches of replayBatchSize',
    );
    const fresh = deliveries(100, 3);
    await second.log.append(fresh);
    assert.deepEqual(
      second.consumed.slice(-3).map((d) => d.id),
      fresh.map((d) => d.id),
    );
    await second.log.close();
  });

  test('a consumer attached after open gets the replay first, then later appends', async (t) => {
    const dir = await tempDir(t);
    const first = await openLog(dir);
    await first.log.append(deliveries(0, 5));
    await first.log.close();

    const log = new EmbeddedMessageLog({ dir, fsync: 'never' });

    log.events.on(() => {}, ['warning']);
    await log.open();
    await log.append(deliveries(5, 2)); // durable before anyone consumes: queued behind the replay
    const seen: string[] = [];
    log.consume((batch) => seen.push(...batch.map((d) => d.id)));
    await log.append(deliveries(7, 1));
    assert.deepEqual(
      seen,
      deliveries(0, 8).map((d) => d.id),
    );
    assert.throws(
      () => log.consume(() => {}),
      (e: EmbeddedLogError) => e.code === 'log.already-consuming',
    );
    await log.close();
  });

  test('a completed delivery is never handed out again, across several restarts', async (t) => {
    const dir = await tempDir(t);
    const d = delivery(1);
    let opened = await openLog(dir);
    await opened.log.append([d]);
    await opened.log.close();
    for (let round = 0; round < 3; round++) {
      opened = await openLog(dir);
      if (round === 0) {
        assert.deepEqual(
          opened.consumed.map((x) => x.id),
          [d.id],
        );
        await opened.log.complete([{ id: d.id, receiver: d.receiver }]);
      } else {
        assert.deepEqual(opened.consumed, [], `round ${round}`);
      }
      await opened.log.close();
    }
  });

  test('append is idempotent per delivery id: retries of pending or completed deliveries are not stored twice', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir);
    const [a, b] = deliveries(0, 2) as [Delivery, Delivery];
    await log.append([a, a]);
    await log.append([a]);
    await log.complete([{ id: a.id, receiver: a.receiver }]);
    await log.append([a, b]); // a was completed: still a duplicate
    assert.deepEqual(
      consumed.map((d) => d.id),
      [a.id, b.id],
    );
    assert.equal(log.stats().pending, 1);
    await log.close();
    assert.deepEqual((await pendingAfterReopen(dir)).ids, [b.id]);
  });

  test('completing unknown ids or the same id twice writes nothing harmful', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const d = delivery(1);
    await log.append([d]);
    await Promise.all([log.complete([{ id: d.id, receiver: d.receiver }]), log.complete([{ id: d.id, receiver: d.receiver }])]);
    await log.complete([{ id: 'never-appended', receiver: 'x' }]);
    assert.equal(log.stats().pending, 0);
    await log.close();
    assert.deepEqual((await pendingAfterReopen(dir)).ids, []);
  });
});

describe('dead letters', () => {
  test('a dead-lettered delivery counts as completed, and its letter is readable after reopen', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { fsync: 'always' });
    const [a, b, c] = deliveries(0, 3) as [Delivery, Delivery, Delivery];
    await log.append([a, b, c]);
    await log.deadLetter({ delivery: a, reason: 'agent trapped', attempts: 3, at: 1 });
    await log.deadLetter({ delivery: c, reason: 'out of fuel', attempts: 5, at: 2 });
    assert.ok(log.hasCompleted(a.id));
    assert.deepEqual(
      (await log.deadLetters()).map((l) => l.reason),
      ['agent trapped', 'out of fuel'],
    );
    await log.close();

    const reopened = await openLog(dir);
    assert.deepEqual(
      reopened.consumed.map((d) => d.id),
      [b.id],
    );
    const letters = await reopened.log.deadLetters(1);
    assert.deepEqual(letters, [{ delivery: c, reason: 'out of fuel', attempts: 5, at: 2 }], 'limit keeps the newest');
    assert.equal(reopened.log.stats().deadLetters, 2);
    await reopened.log.close();
  });

  test('a letter written just before a crash (delivery not yet marked) is reconciled at open', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const [a, b] = deliveries(0, 2) as [Delivery, Delivery];
    await log.append([a, b]);
    await log.close();
    // Simulate the crash window: the letter reached its file, the segment record did not.
    const { file } = await DeadLetterFile.open(dir, { fsync: 'always', onCorruption: 'refuse', warn: () => {} });
    await file.append(a.id, JSON.stringify({ delivery: a, reason: 'boom', attempts: 1, at: 3 }));
    await file.close();

    const reopened = await openLog(dir);
    assert.deepEqual(
      reopened.consumed.map((d) => d.id),
      [b.id],
      'the dead-lettered delivery is not replayed',
    );
    assert.deepEqual(
      reopened.warnings.map((w) => w.code),
      ['log.dead-letter-reconciled'],
    );
    await reopened.log.close();
    const again = await pendingAfterReopen(dir);
    assert.deepEqual(again, { ids: [b.id], warnings: [] }, 'the repair was made durable');
  });
});

describe('misuse and errors', () => {
  test('a second log on the same directory is refused while the first is open', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const second = new EmbeddedMessageLog({ dir });
    second.events.on(() => {}, ['warning']);
    await assert.rejects(second.open(), (e: EmbeddedLogError) => e.code === 'log.locked' && e.hint !== undefined);
    await log.close();
    const third = await openLog(dir);
    await third.log.close();
  });

  test('a lock left by a dead process is taken over with a warning', async (t) => {
    const dir = await tempDir(t);
    await fs.writeFile(path.join(dir, 'LOCK'), '999999999\n');
    const { log, warnings } = await openLog(dir);
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['log.stale-lock-taken'],
    );
    await log.close();
  });

  test('warnings are events on log.events: typed, a throwing listener dropped, console.warn when nobody listens', async (t) => {
    const dir = await tempDir(t);
    await fs.writeFile(path.join(dir, 'LOCK'), '999999999\n');
    const log = new EmbeddedMessageLog({ dir, fsync: 'never' });
    const seen: string[] = [];
    log.events.on(() => {
      throw new Error('faulty observer');
    });
    log.events.onType('warning', (e) => void seen.push(`${e.type} ${e.warning.code}`));
    await log.open(); // the faulty listener does not break recovery
    assert.deepEqual(seen, ['warning log.stale-lock-taken']);
    assert.equal(log.events.active, true, 'only the throwing listener was removed');
    await log.close();

    await fs.writeFile(path.join(dir, 'LOCK'), '999999999\n');
    const quiet = new EmbeddedMessageLog({ dir, fsync: 'never' });
    const warned = t.mock.method(console, 'warn', () => {});
    await quiet.open();
    warned.mock.restore();
    assert.equal(warned.mock.callCount(), 1);
    assert.match(String(warned.mock.calls[0]!.arguments[0]), /^\[caxton log\] log.stale-lock-taken: /);
    await quiet.close();
  });

  test('a lock holding our own pid that this process did not take (restarted container, pid 1) is stale', async (t) => {
    const dir = await tempDir(t);
    await fs.writeFile(path.join(dir, 'LOCK'), `${process.pid}\n`);
    const { log, warnings } = await openLog(dir);
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['log.stale-lock-taken'],
    );
    const second = new EmbeddedMessageLog({ dir });
    second.events.on(() => {}, ['warning']);
    await assert.rejects(second.open(), (e: EmbeddedLogError) => e.code === 'log.locked' && /already opened/.test(e.hint ?? ''));
    await log.close();
  });

  test('invalid deliveries are rejected as a whole call, with a typed error', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { maxRecordBytes: 4096 });
    const circular = delivery(2) as Delivery & { self?: unknown };
    circular.self = circular;
    const cases: Delivery[][] = [
      [delivery(1), { ...delivery(2), id: '' }],
      [delivery(1), circular],
      [delivery(1), delivery(3, 'r', 'x'.repeat(5000))],
    ];
    for (const batch of cases) {
      await assert.rejects(log.append(batch), (e: EmbeddedLogError) => e instanceof EmbeddedLogError && e.code === 'log.invalid-delivery');
    }
    assert.deepEqual(consumed, [], 'nothing of a rejected call is stored');
    await log.close();
  });

  test('calls before open and after close fail with clear codes', async (t) => {
    const dir = await tempDir(t);
    const log = new EmbeddedMessageLog({ dir });
    log.events.on(() => {}, ['warning']);
    await assert.rejects(log.append([delivery(1)]), (e: EmbeddedLogError) => e.code === 'log.not-open');
    await log.open();
    await log.close();
    await assert.rejects(log.append([delivery(1)]), (e: EmbeddedLogError) => e.code === 'log.closed');
    await assert.rejects(log.complete([]), (e: EmbeddedLogError) => e.code === 'log.closed');
    await assert.rejects(log.deadLetters(), (e: EmbeddedLogError) => e.code === 'log.closed');
    await log.close(); // idempotent
  });

  test('options are validated', () => {
    assert.throws(
      () => new EmbeddedMessageLog({ dir: '/tmp/x', fsync: 'sometimes' as never }),
      (e: EmbeddedLogError) => e.code === 'log.invalid-options',
    );
    assert.throws(
      () => new EmbeddedMessageLog({ dir: '/tmp/x', segmentBytes: 10 }),
      (e: EmbeddedLogError) => e.code === 'log.invalid-options',
    );
    // The dedup window's index is allocated up front: a huge window is refused typed, not a RangeError.
    assert.throws(
      () => new EmbeddedMessageLog({ dir: '/tmp/x', dedupWindow: 3_000_000_000 }),
      (e: EmbeddedLogError) => e.code === 'log.invalid-options' && /dedupWindow/.test(e.message),
    );
  });
});
