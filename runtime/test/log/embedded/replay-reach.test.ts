/**
 * How far back a replay reaches (issue 57, `replayReach`): the creation of the oldest segment still
 * holding a record. It moves forward as retention deletes the oldest segments, stays while they are
 * history (decision 2179), and is dated from the files' times after a reopen. On real files. The
 * memory and Kafka logs, which a replay does not read, say they hold nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { KafkaMessageLog } from '../../../src/log/kafka/kafka-message-log.js';
import { MemoryMessageLog } from '../../../src/log/memory/memory-message-log.js';
import type { Delivery } from '@caxton/core';
import { completions, deliveries as helperDeliveries, openLog, segmentFiles, tempDir, waitFor } from './helpers.js';

const SMALL = 2048; // seven of these deliveries per segment

/** The helpers' deliveries padded to ~290-byte frames, as in retention.test.ts: ten always rotate a segment. */
const PAD = 'x'.repeat(170);
function deliveries(from: number, count: number): Delivery[] {
  return helperDeliveries(from, count).map((d) => ({ ...d, message: { ...d.message, content: `${d.message.content} ${PAD}` } }));
}

describe('replay reach', () => {
  test('an empty log holds no record: no time, one segment of a header; the configured history is said', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SMALL, historyMs: 3_600_000, historyBytes: 4096 });
    assert.deepEqual(log.replayReach(), { source: 'embedded', segments: 1, heldBytes: 24, historySeconds: 3600, historyBytes: 4096 });
    await log.close();
  });

  test('moves forward when retention deletes the oldest segments', async (t) => {
    const dir = await tempDir(t);
    const started = Date.now();
    const { log } = await openLog(dir, { segmentBytes: SMALL });
    const first = deliveries(0, 20);
    for (const d of first) await log.append([d]);
    const before = log.replayReach();
    assert.ok(before.oldestRecordAt !== undefined && before.oldestRecordAt >= started - 1 && before.oldestRecordAt <= Date.now());
    assert.ok(before.segments >= 3, `several segments: ${before.segments}`);
    assert.equal(before.segments, (await segmentFiles(dir)).length);
    assert.equal(before.heldBytes, log.sizeBytes());
    assert.equal(before.historySeconds, 0, 'no history by default');

    await sleep(20); // the next segments are created measurably later
    const later = Date.now();
    const second = deliveries(100, 20);
    for (const d of second) await log.append([d]);
    await log.complete(completions([...first, ...second]));
    await waitFor('old segments deleted', () => log.stats().segments === 1);

    const after = log.replayReach();
    assert.equal(after.segments, 1);
    assert.ok(after.heldBytes < before.heldBytes, `${after.heldBytes} < ${before.heldBytes}`);
    assert.ok(
      after.oldestRecordAt !== undefined && after.oldestRecordAt >= later - 1 && after.oldestRecordAt <= Date.now(),
      `the reach is the remaining segment's creation, after the first segments: ${after.oldestRecordAt} vs ${later}`,
    );
    await log.close();
  });

  test('stays while the segments are history, and moves once they age out', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SMALL, historyMs: 1000, historyBytes: 1024 * 1024 });
    const batch = deliveries(0, 30);
    for (const d of batch) await log.append([d]);
    const kept = log.replayReach();
    assert.equal(kept.historySeconds, 1);
    await sleep(20);
    const mid = Date.now();
    const more = deliveries(100, 10); // at least one segment created from `mid` on
    for (const d of more) await log.append([d]);
    await log.complete(completions([...batch, ...more]));
    await log.append(deliveries(200, 1)); // a write after the completions: retention runs again
    assert.equal(log.stats().segmentsDeleted, 0, 'all of it is history');
    assert.equal(log.replayReach().oldestRecordAt, kept.oldestRecordAt);

    await sleep(1100);
    const aged = Date.now();
    await log.append(deliveries(300, 1)); // history ages out at the next write
    await waitFor('aged segments deleted', () => log.stats().segmentsDeleted > 0 && log.stats().segments <= 2);
    const reach = log.replayReach().oldestRecordAt!;
    assert.ok(kept.oldestRecordAt! < mid && reach >= mid, `the reach moved forward past ${mid}: ${kept.oldestRecordAt} -> ${reach}`);
    assert.ok(reach <= aged, 'to a segment created before the history aged out');
    await log.close();
  });

  test('after a reopen, a segment is dated by its predecessor’s file time (rotation creates it as that one closes)', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SMALL });
    const batch = deliveries(0, 20);
    for (const d of batch) await log.append([d]);
    const before = log.replayReach();
    await log.close();
    const files = await segmentFiles(dir);
    const mtimes = new Map<string, number>();
    for (const f of files) mtimes.set(f, (await fs.stat(path.join(dir, f))).mtimeMs);

    const reopenedAt = Date.now();
    const { log: reopened } = await openLog(dir, { segmentBytes: SMALL });
    const reach = reopened.replayReach();
    assert.equal(reach.segments, files.length);
    // The oldest one on disk has no predecessor: its file's birth time, where the file system keeps one.
    if (reach.oldestRecordAt !== undefined)
      assert.ok(reach.oldestRecordAt <= mtimes.get(files[0]!)! && reach.oldestRecordAt >= before.oldestRecordAt! - 1000);

    // Everything completed: every segment but the newest goes, and the newest is dated by the one before it.
    await reopened.complete(completions(batch));
    await waitFor('old segments deleted', () => reopened.stats().segments === 1);
    const [left] = await segmentFiles(dir);
    const after = reopened.replayReach().oldestRecordAt!;
    const i = files.indexOf(left!);
    if (i > 0) assert.equal(after, Math.floor(mtimes.get(files[i - 1]!)!), 'its predecessor’s close time');
    else assert.ok(after >= reopenedAt, 'a segment created after the reopen: its creation');
    await reopened.close();
  });

  test('the memory log holds nothing a replay reads; a Kafka log says its deliveries topic keeps them', async () => {
    const log = new MemoryMessageLog();
    await log.open();
    assert.deepEqual(log.replayReach(), { source: 'memory', segments: 0, heldBytes: 0, historySeconds: 0, historyBytes: 0 });
    await log.close();
    // Not opened: the answer needs no broker. A replay reads the cluster's topics, kept for the topic's retention.
    const kafka = new KafkaMessageLog({ brokers: ['127.0.0.1:1'], retentionMs: 3 * 24 * 3600_000 });
    assert.deepEqual(kafka.replayReach(), { source: 'kafka', segments: 0, heldBytes: 0, historySeconds: 3 * 24 * 3600, historyBytes: 0 });
  });
});
