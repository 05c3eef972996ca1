/** Recovery from torn writes and corruption, on real segment files damaged byte by byte. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { EmbeddedMessageLog, type EmbeddedLogError } from '../../../src/log/embedded/index.js';
import { FILE_HEADER_BYTES, FrameReader, FrameStatus } from '../../../src/log/embedded/record-format.js';
import { deliveries, openLog, pendingAfterReopen, segmentFiles, tempDir } from './helpers.js';

/** Start offsets of the frames of a log file. */
function frameStarts(buf: Buffer): number[] {
  const reader = new FrameReader(buf);
  const starts: number[] = [];
  for (let offset = FILE_HEADER_BYTES; offset < buf.length && reader.read(offset) === FrameStatus.Ok; offset = reader.next)
    starts.push(offset);
  return starts;
}

/** A one-segment log holding `count` deliveries; returns its segment's bytes. */
async function writeLog(dir: string, count: number): Promise<{ segment: Buffer; name: string; ids: string[] }> {
  const { log } = await openLog(dir);
  const batch = deliveries(0, count);
  for (const d of batch) await log.append([d]); // one commit group per record
  await log.close();
  const [name] = await segmentFiles(dir);
  return { segment: await fs.readFile(path.join(dir, name!)), name: name!, ids: batch.map((d) => d.id) };
}

/** A directory holding just this segment (a damaged copy of the original). */
async function dirWithSegment(parent: string, label: string, name: string, bytes: Buffer): Promise<string> {
  const dir = path.join(parent, label);
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, name), bytes);
  return dir;
}

describe('torn tail', () => {
  test('cut at every byte offset inside the last record: open succeeds with the earlier records and a warning', async (t) => {
    const root = await tempDir(t);
    const { segment, name, ids } = await writeLog(path.join(root, 'original'), 12);
    const starts = frameStarts(segment);
    assert.equal(starts.length, 12);
    const lastStart = starts[11]!;
    for (let cut = lastStart; cut < segment.length; cut++) {
      const dir = await dirWithSegment(root, `cut-${cut}`, name, segment.subarray(0, cut));
      const { log, consumed, warnings } = await openLog(dir);
      assert.deepEqual(
        consumed.map((d) => d.id),
        ids.slice(0, 11),
        `cut at ${cut}`,
      );
      if (cut === lastStart) {
        assert.deepEqual(warnings, [], 'a cut exactly between records is a clean end');
      } else {
        assert.deepEqual(
          warnings.map((w) => w.code),
          ['log.torn-tail-truncated'],
          `cut at ${cut}`,
        );
        assert.equal(warnings[0]!.context['offset'], lastStart);
      }
      assert.equal((await fs.stat(path.join(dir, name))).size, lastStart, 'the file is cut at the last good record');
      // The log keeps working after the repair: new appends land after the cut and survive.
      await log.append(deliveries(500, 1));
      await log.close();
      assert.deepEqual((await pendingAfterReopen(dir)).ids, [...ids.slice(0, 11), deliveries(500, 1)[0]!.id]);
      await fs.rm(dir, { recursive: true });
    }
  });

  test("repairs are fsynced under 'always' and the log reopens cleanly", async (t) => {
    const root = await tempDir(t);
    const { segment, name, ids } = await writeLog(path.join(root, 'original'), 5);
    const dir = await dirWithSegment(root, 'torn', name, segment.subarray(0, segment.length - 3));
    const first = await pendingAfterReopen(dir, { fsync: 'always' });
    assert.deepEqual(first.ids, ids.slice(0, 4));
    assert.deepEqual(
      first.warnings.map((w) => w.code),
      ['log.torn-tail-truncated'],
    );
    assert.deepEqual(await pendingAfterReopen(dir, { fsync: 'always' }), { ids: ids.slice(0, 4), warnings: [] });
  });

  test('a flipped byte anywhere in the last record is detected and that record dropped', async (t) => {
    const root = await tempDir(t);
    const { segment, name, ids } = await writeLog(path.join(root, 'original'), 6);
    const lastStart = frameStarts(segment)[5]!;
    for (let at = lastStart; at < segment.length; at++) {
      const damaged = Buffer.from(segment);
      damaged[at]! ^= 0x5a;
      const dir = await dirWithSegment(root, `flip-${at}`, name, damaged);
      const { ids: replayed, warnings } = await pendingAfterReopen(dir);
      assert.deepEqual(replayed, ids.slice(0, 5), `flip at ${at}`);
      assert.deepEqual(
        warnings.map((w) => w.code),
        ['log.torn-tail-truncated'],
        `flip at ${at}`,
      );
      await fs.rm(dir, { recursive: true });
    }
  });

  test('a newest segment without a complete header (crash right after creating it) is re-initialised', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: 1024 });
    const batch = deliveries(0, 12);
    for (const d of batch) await log.append([d]);
    await log.close();
    const names = await segmentFiles(dir);
    assert.ok(names.length >= 2);
    const next = `${String(Number(names.at(-1)!.slice(0, 20)) + 1).padStart(20, '0')}.seg`;
    await fs.writeFile(path.join(dir, next), Buffer.alloc(10)); // torn creation: 10 zero bytes
    const { ids, warnings } = await pendingAfterReopen(dir, { segmentBytes: 1024 });
    assert.deepEqual(
      ids,
      batch.map((d) => d.id),
    );
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['log.header-reinitialised'],
    );
  });
});

describe('corruption that is not a torn tail', () => {
  test('damage in the middle of the newest segment is refused by default, with where and a hint', async (t) => {
    const root = await tempDir(t);
    const { segment, name } = await writeLog(path.join(root, 'original'), 6);
    const third = frameStarts(segment)[2]!;
    const damaged = Buffer.from(segment);
    damaged[third + 20]! ^= 0xff;
    const dir = await dirWithSegment(root, 'mid', name, damaged);
    const log = new EmbeddedMessageLog({ dir, fsync: 'never' });
    log.events.on(() => {}, ['warning']);
    await assert.rejects(log.open(), (e: EmbeddedLogError) => {
      assert.equal(e.code, 'log.corrupt');
      assert.equal(e.context['offset'], third);
      assert.match(e.hint ?? '', /onCorruption: 'skip'/);
      return true;
    });
    assert.deepEqual(await fs.readFile(path.join(dir, name)), damaged, 'a refused open changes nothing on disk');
    await log.close();
  });

  test("with onCorruption 'skip' the damaged record is skipped loudly and the rest recovered", async (t) => {
    const root = await tempDir(t);
    const { segment, name, ids } = await writeLog(path.join(root, 'original'), 6);
    const third = frameStarts(segment)[2]!;
    const damaged = Buffer.from(segment);
    damaged[third + 20]! ^= 0xff;
    const dir = await dirWithSegment(root, 'mid', name, damaged);
    const { ids: replayed, warnings } = await pendingAfterReopen(dir, { onCorruption: 'skip' });
    assert.deepEqual(replayed, [...ids.slice(0, 2), ...ids.slice(3)]);
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['log.corruption-skipped'],
    );
  });

  test('damage in an older (closed, fsynced) segment is refused even at its end', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: 1024 });
    for (const d of deliveries(0, 12)) await log.append([d]);
    await log.close();
    const [oldest] = await segmentFiles(dir);
    const file = path.join(dir, oldest!);
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 4));
    const reopened = new EmbeddedMessageLog({ dir, fsync: 'never', segmentBytes: 1024 });
    reopened.events.on(() => {}, ['warning']);
    await assert.rejects(reopened.open(), (e: EmbeddedLogError) => e.code === 'log.corrupt' && e.context['file'] === file);
  });

  test('a torn dead letter at the end of the dead-letter file is cut; earlier letters stay readable', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const batch = deliveries(0, 3);
    await log.append(batch);
    await log.deadLetter({ delivery: batch[0]!, reason: 'first', attempts: 1, at: 1 });
    await log.deadLetter({ delivery: batch[1]!, reason: 'second', attempts: 1, at: 2 });
    await log.close();
    const file = path.join(dir, 'dead-letters.dlq');
    const bytes = await fs.readFile(file);
    const starts = frameStarts(bytes);
    await fs.appendFile(file, bytes.subarray(starts[1]!, bytes.length - 5)); // half of a third letter

    const reopened = await openLog(dir);
    assert.deepEqual(
      reopened.warnings.map((w) => w.code),
      ['log.torn-tail-truncated'],
    );
    assert.deepEqual(
      (await reopened.log.deadLetters()).map((l) => l.reason),
      ['first', 'second'],
    );
    assert.deepEqual(
      reopened.consumed.map((d) => d.id),
      [batch[2]!.id],
    );
    await reopened.log.close();
  });
});
