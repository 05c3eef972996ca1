/** Segment rotation, retention (oldest-first deletion) and compaction of stragglers, on real files. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Delivery } from '@caxton/core';
import { EmbeddedMessageLog } from '../../../src/log/embedded/embedded-message-log.js';
import { completions, deliveries as helperDeliveries, openLog, pendingAfterReopen, segmentFiles, tempDir, waitFor } from './helpers.js';

const SMALL = 2048; // a few deliveries per segment

/**
 * The helpers' deliveries with their content padded so that each Appended frame is ~290 bytes, as
 * their JSON frames were before binary bodies (decision 2092): SMALL holds seven, and the counts
 * of segments these tests rely on stay what they were.
 */
const PAD = 'x'.repeat(170);
function deliveries(from: number, count: number): Delivery[] {
  return helperDeliveries(from, count).map((d) => ({ ...d, message: { ...d.message, content: `${d.message.content} ${PAD}` } }));
}

describe('retention', () => {
  test('segments are rotated at segmentBytes and deleted once everything in them is completed', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SMALL });
    const batch = deliveries(0, 40);
    for (const d of batch) await log.append([d]);
    const rotated = (await segmentFiles(dir)).length;
    assert.ok(rotated >= 5, `expected several segments, got ${rotated}`);
    await log.complete(completions(batch));
    await waitFor('old segments deleted', async () => (await segmentFiles(dir)).length === 1);
    assert.equal(log.stats().segmentsDeleted, rotated - 1);
    assert.equal(log.stats().segments, 1);
    await log.close();
    assert.deepEqual((await pendingAfterReopen(dir, { segmentBytes: SMALL })).ids, []);
  });

  test('with history kept for replay (decision 2179), completed segments stay until they age out, across a reopen', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SMALL, historyMs: 60_000 });
    const batch = deliveries(0, 40);
    for (const d of batch) await log.append([d]);
    const rotated = (await segmentFiles(dir)).length;
    assert.ok(rotated >= 5, `expected several segments, got ${rotated}`);
    await log.complete(completions(batch));
    await log.append(deliveries(100, 1)); // a write after the completions: retention runs again
    assert.equal(log.stats().segmentsDeleted, 0, 'nothing deleted: all of it is history');
    assert.ok((await segmentFiles(dir)).length >= rotated);
    await log.close();
    // Reopened with a history of 0 s (the default), the same segments go at the next write.
    const { log: reopened } = await openLog(dir, { segmentBytes: SMALL });
    await reopened.append(deliveries(200, 1));
    await waitFor('old segments deleted', async () => (await segmentFiles(dir)).length <= 2);
    await reopened.close();
  });

  test('a history bound below one segment would keep nothing: refused when the log is made, with what to set', () => {
    assert.throws(
      () => new EmbeddedMessageLog({ dir: 'unused', segmentBytes: 4096, historyMs: 1_000, historyBytes: 4095 }),
      (err: unknown) =>
        (err as { code?: string }).code === 'log.invalid-options' &&
        /historyBytes \(4095\) must be at least segmentBytes \(4096\)/.test((err as Error).message),
    );
    assert.doesNotThrow(
      () => new EmbeddedMessageLog({ dir: 'unused', segmentBytes: 4096, historyMs: 0, historyBytes: 0 }),
      'no history: no bound',
    );
  });

  test('a newer dead segment is kept while an older one still has pending deliveries (no resurrection)', async (t) => {
    const dir = await tempDir(t);
    // Compaction off: the straggler must pin its segment and everything after it.
    const { log } = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    const batch = deliveries(0, 30);
    for (const d of batch) await log.append([d]);
    const straggler = batch[0]!;
    await log.complete(completions(batch.slice(1)));
    // Let any retention run: nothing may be deleted because segment 1 holds the straggler.
    await log.append(deliveries(100, 1));
    const before = await segmentFiles(dir);
    assert.ok(before.length >= 5);
    assert.equal(log.stats().segmentsDeleted, 0);
    await log.close();

    // Completions of segment-1 deliveries live in later segments: had those been deleted first,
    // this reopen would hand the completed deliveries out again.
    const reopened = await pendingAfterReopen(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    assert.deepEqual(reopened.ids, [straggler.id, deliveries(100, 1)[0]!.id]);

    const again = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    await again.log.complete(completions([straggler, ...deliveries(100, 1)]));
    await again.log.append(deliveries(200, 1)); // a write after the completions triggers retention
    await waitFor('pinned segments deleted', async () => (await segmentFiles(dir)).length === 1);
    await again.log.close();
    assert.deepEqual((await pendingAfterReopen(dir, { segmentBytes: SMALL })).ids, [deliveries(200, 1)[0]!.id]);
  });

  test('completion records whose appends were deleted resurrect nothing after a restart', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    const early = deliveries(0, 12);
    for (const d of early) await log.append([d]);
    const late = deliveries(100, 12);
    for (const d of late) await log.append([d]);
    // Completing the early ones writes their completion records into the newest segment; the
    // segments holding their appends get deleted, the completion records stay.
    await log.complete(completions(early));
    await log.append(deliveries(300, 1));
    await waitFor('early segments deleted', () => log.stats().segmentsDeleted > 0);
    await log.close();
    const { ids } = await pendingAfterReopen(dir, { segmentBytes: SMALL });
    assert.deepEqual(
      ids,
      [...late, ...deliveries(300, 1)].map((d) => d.id),
    );
  });
});

describe('compaction', () => {
  test('stragglers are copied forward, old segments deleted, and the stragglers replayed in append order', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0.5 });
    const batch = deliveries(0, 80);
    for (const d of batch) await log.append([d]);
    const stragglers = batch.filter((_, i) => i % 10 === 3);
    await log.complete(completions(batch.filter((_, i) => i % 10 !== 3)));
    await waitFor('compaction done', () => log.stats().segments <= 2);
    const stats = log.stats();
    assert.ok(stats.compactions > 0 && stats.movedDeliveries >= stragglers.length - 1, JSON.stringify(stats));
    assert.equal(stats.pending, stragglers.length);
    assert.equal(consumed.length, batch.length, 'moved deliveries are not handed out again in this run');
    await log.close();

    const reopened = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0.5 });
    assert.deepEqual(reopened.consumed, stragglers, 'replayed once each, in append order, bodies intact');
    await reopened.log.complete(completions(stragglers));
    await reopened.log.append(deliveries(500, 1));
    await waitFor('everything deleted', async () => (await segmentFiles(dir)).length === 1);
    await reopened.log.close();
    assert.deepEqual((await pendingAfterReopen(dir, { segmentBytes: SMALL })).ids, [deliveries(500, 1)[0]!.id]);
  });

  test('a crash after the copy but before the old segment was deleted keeps each straggler once', async (t) => {
    const dir = await tempDir(t);
    const first = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    const batch = deliveries(0, 8);
    for (const d of batch) await first.log.append([d]);
    const straggler = batch[1]!;
    await first.log.complete(completions(batch.filter((d) => d !== straggler)));
    await first.log.close();
    const names = await segmentFiles(dir);
    const oldest = names[0]!;
    const saved = await fs.readFile(path.join(dir, oldest));

    // Open with compaction on: the straggler is copied forward and the oldest segment deleted ...
    const second = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0.5 });
    await waitFor('oldest segment compacted away', async () => !(await segmentFiles(dir)).includes(oldest));
    await second.log.close();
    // ... but pretend the unlink never reached the disk.
    await fs.writeFile(path.join(dir, oldest), saved);

    const { ids, warnings } = await pendingAfterReopen(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    assert.deepEqual(ids, [straggler.id]);
    assert.deepEqual(warnings, []);
  });
});
