/**
 * A multi-receiver message is stored once (decision 1202): one AppendedShared frame per append,
 * recovery rebuilds exactly the deliveries still pending, compaction carries only those forward,
 * and logs written in format version 1 stay readable.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { AclMessage, Delivery } from '@caxton/core';
import { encodeKeyedPayload } from '../../../src/log/embedded/payload.js';
import {
  FILE_HEADER_BYTES,
  FORMAT_VERSION,
  FileKind,
  FrameReader,
  FrameStatus,
  RecordType,
  decodeFileHeader,
  encodeFileHeader,
  encodeFrame,
} from '../../../src/log/embedded/record-format.js';
import { crc32 } from '../../../src/log/embedded/checksum.js';
import {
  readSharedEntries,
  sharedEntryBytes,
  writeSharedPayload,
  parseSharedBody,
  SHARED_COUNT_BYTES,
} from '../../../src/log/embedded/shared-payload.js';
import { completions, delivery, openLog, segmentFiles, tempDir, waitFor } from './helpers.js';

/** The deliveries the bus appends for one message to `receivers`: one message object, shared. */
function fanout(n: number, receivers: string[]): Delivery[] {
  const messageId = `fan-${n}`;
  const message: AclMessage = {
    performative: 'inform',
    sender: { name: 'sender@test' },
    receivers: receivers.map((r) => ({ name: `${r}@test` })),
    content: `news ${n}`,
    conversationId: `c-${n}`,
  };
  const acceptedAt = 1_700_000_000_000 + n;
  return receivers.map((receiver) => ({ id: `${messageId}:${receiver}`, messageId, receiver, message, acceptedAt }));
}

const names = (count: number, prefix = 'sink'): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** Record types of every frame in a segment file, in file order. */
async function frameTypes(file: string): Promise<RecordType[]> {
  const buf = await fs.readFile(file);
  const reader = new FrameReader(buf);
  const types: RecordType[] = [];
  for (let offset = FILE_HEADER_BYTES; offset < buf.length; offset = reader.next) {
    assert.equal(reader.read(offset), FrameStatus.Ok, `frame at ${offset}`);
    types.push(reader.type);
  }
  return types;
}

describe('shared payload (pure)', () => {
  test('round-trips entries and body, and the size it reports is exact', () => {
    const entries = [
      { seq: 2 ** 40 + 1, id: 'm:ä-1', receiver: 'ä-1' },
      { seq: 7, id: 'm:b', receiver: 'b' },
    ];
    const body = JSON.stringify({
      messageId: 'm',
      acceptedAt: 5,
      message: { performative: 'inform', receivers: [{ name: 'ä-1' }, { name: 'b' }] },
    });
    const size = SHARED_COUNT_BYTES + entries.reduce((n, e) => n + sharedEntryBytes(e.id, e.receiver), 0) + Buffer.byteLength(body);
    const buf = Buffer.alloc(size + 10);
    assert.equal(writeSharedPayload(buf, 3, entries, body), size);
    const read = readSharedEntries(buf, 3, 3 + size);
    assert.deepEqual(read?.entries, entries);
    assert.deepEqual(parseSharedBody(buf, read!.bodyStart, 3 + size), JSON.parse(body));
  });

  test('a count or length that points past the payload is malformed, not a huge read', () => {
    const buf = Buffer.alloc(64);
    const length = writeSharedPayload(buf, 0, [{ seq: 1, id: 'a:x', receiver: 'x' }], '{}');
    assert.ok(readSharedEntries(buf, 0, length));
    const badCount = Buffer.from(buf);
    badCount.writeUInt32LE(1000, 0);
    assert.equal(readSharedEntries(badCount, 0, length), undefined);
    const badId = Buffer.from(buf);
    badId.writeUInt16LE(500, SHARED_COUNT_BYTES + 6);
    assert.equal(readSharedEntries(badId, 0, length), undefined);
    const empty = Buffer.alloc(8);
    assert.equal(readSharedEntries(empty, 0, 8), undefined, 'a shared frame lists at least one delivery');
  });
});

describe('multi-receiver messages in the embedded log', () => {
  test('one append of a 50-receiver message writes one frame; the consumer gets 50 deliveries sharing one message', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir);
    const batch = fanout(1, names(50));
    await log.append(batch);
    await waitFor('handed out', () => consumed.length === 50);
    assert.deepEqual(
      consumed.map((d) => d.id),
      batch.map((d) => d.id),
    );
    await log.close();
    const [segment] = await segmentFiles(dir);
    assert.deepEqual(await frameTypes(path.join(dir, segment!)), [RecordType.AppendedShared]);
    // The message (50 receiver names) is on disk once, not 50 times.
    const bytes = (await fs.stat(path.join(dir, segment!))).size;
    assert.ok(bytes < 2 * JSON.stringify(batch[0]).length + 50 * 64, `segment holds ${bytes} bytes`);
  });

  test('some receivers completed, restart: exactly the rest is replayed, each with the full message', async (t) => {
    const dir = await tempDir(t);
    const receivers = names(10);
    const batch = fanout(2, receivers);
    const { log } = await openLog(dir);
    await log.append([delivery(1), ...batch, delivery(3)]);
    const done = batch.filter((_, i) => i % 3 === 0);
    await log.complete(completions([delivery(1), ...done]));
    await log.close();

    const { log: reopened, consumed } = await openLog(dir);
    const rest = batch.filter((_, i) => i % 3 !== 0);
    assert.deepEqual(
      consumed.map((d) => d.id),
      [...rest, delivery(3)].map((d) => d.id),
      'in append order, completed ones left out',
    );
    for (const d of consumed.slice(0, rest.length)) {
      assert.deepEqual(
        d,
        batch.find((b) => b.id === d.id),
        'the same delivery as appended',
      );
      assert.equal(d.message.receivers.length, 10, 'each receiver still sees every receiver of the message');
    }
    assert.equal(new Set(consumed.slice(0, rest.length).map((d) => d.message)).size, 1, 'replayed deliveries share one message object');
    // A completed delivery is not accepted again (dedup survives the restart), a pending one is not stored twice.
    await reopened.append(batch);
    await reopened.close();
    const again = await openLog(dir);
    assert.deepEqual(
      again.consumed.map((d) => d.id),
      [...rest, delivery(3)].map((d) => d.id),
    );
    await again.log.close();
  });

  test('compaction copies only the still-pending receivers forward; after the old segment is gone they alone come back', async (t) => {
    const dir = await tempDir(t);
    const options = { segmentBytes: 4096, compactionRatio: 0.5 };
    const { log } = await openLog(dir, options);
    const batch = fanout(4, names(40, 'r'));
    await log.append(batch);
    const [first] = await segmentFiles(dir);
    const stragglers = batch.filter((_, i) => i % 8 === 5);
    await log.complete(completions(batch.filter((_, i) => i % 8 !== 5)));
    // Traffic that fills and rotates segments, completed at once: the shared frame's segment ends
    // up the oldest, mostly garbage, and is compacted then deleted.
    for (let n = 100; n < 160; n++) {
      const d = delivery(n);
      await log.append([d]);
      await log.complete(completions([d]));
    }
    await waitFor('the first segment compacted and deleted', async () => !(await segmentFiles(dir)).includes(first!));
    // Stragglers may be carried forward more than once (compaction concentrates them), but every
    // compaction copies exactly the pending ones.
    const { compactions, movedDeliveries } = log.stats();
    assert.ok(compactions > 0);
    assert.equal(movedDeliveries, compactions * stragglers.length, 'only pending deliveries are copied');
    await log.close();

    const { log: reopened, consumed } = await openLog(dir, options);
    assert.deepEqual(
      consumed.map((d) => d.id),
      stragglers.map((d) => d.id),
    );
    for (const d of consumed)
      assert.deepEqual(
        d,
        batch.find((b) => b.id === d.id),
      );
    await reopened.close();
  });

  test('receivers whose entries outgrow maxRecordBytes are split over several shared frames, each with the message', async (t) => {
    const dir = await tempDir(t);
    const options = { maxRecordBytes: 4096 };
    const { log, consumed } = await openLog(dir, options);
    // The message (100 names) fits a record; with the 100 delivery entries it does not.
    const batch = fanout(6, names(100, 'r'));
    await log.append(batch);
    await waitFor('handed out', () => consumed.length === 100);
    await log.complete(completions(batch.slice(0, 50)));
    await log.close();
    const [segment] = await segmentFiles(dir);
    const types = await frameTypes(path.join(dir, segment!));
    const shared = types.filter((type) => type === RecordType.AppendedShared).length;
    assert.ok(shared > 1, `expected several shared frames, got ${shared}`);
    const { log: reopened, consumed: replayed } = await openLog(dir, options);
    assert.deepEqual(
      replayed.map((d) => d.id),
      batch.slice(50).map((d) => d.id),
    );
    for (const d of replayed)
      assert.deepEqual(
        d,
        batch.find((b) => b.id === d.id),
      );
    await reopened.close();
  });

  test('a delivery that cannot be stored rejects the whole multi-receiver append and leaves no trace', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { maxRecordBytes: 1024 });
    const batch = fanout(7, names(5));
    const tooLong = { ...batch[3]!, id: `fan-7:${'x'.repeat(1100)}`, receiver: 'x'.repeat(1100) };
    const bad = [...batch.slice(0, 3), tooLong, batch[4]!];
    await assert.rejects(log.append(bad), (error: Error & { code?: string }) => error.code === 'log.invalid-delivery');
    assert.equal(log.stats().pending, 0);
    await log.append(batch); // the same deliveries are accepted afterwards: nothing was half-queued
    await waitFor('handed out', () => consumed.length === 5);
    await log.close();
  });

  test('a log written in format version 1 (one Appended frame per delivery) is still read', async (t) => {
    const dir = await tempDir(t);
    const header = encodeFileHeader(FileKind.Segment, 0);
    header.writeUInt16LE(1, 8);
    header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
    assert.deepEqual(decodeFileHeader(header), { ok: true, header: { kind: FileKind.Segment, version: 1, baseSeq: 0 } });
    const old = fanout(5, names(3));
    const frames = old.map((d, seq) => encodeFrame(RecordType.Appended, encodeKeyedPayload(seq, d.id, JSON.stringify(d))));
    frames.push(encodeFrame(RecordType.Completed, Buffer.from(old[1]!.id)));
    await fs.writeFile(path.join(dir, '00000000000000000001.seg'), Buffer.concat([header, ...frames]));
    const [file] = await segmentFiles(dir);
    assert.equal(file, '00000000000000000001.seg', 'the segment name this build expects');

    const { log, consumed } = await openLog(dir);
    assert.deepEqual(consumed, [old[0], old[2]]);
    // New frames never land in the version-1 file: an old build reading it after a downgrade
    // would take an AppendedShared frame at its tail for a torn write.
    await log.append(fanout(6, names(3)));
    await log.close();
    const files = await segmentFiles(dir);
    assert.deepEqual(files, ['00000000000000000001.seg', '00000000000000000002.seg']);
    const first = await fs.readFile(path.join(dir, files[0]!));
    const second = await fs.readFile(path.join(dir, files[1]!));
    assert.equal(first.length, FILE_HEADER_BYTES + Buffer.concat(frames).length, 'the version-1 file is untouched');
    assert.deepEqual(decodeFileHeader(second.subarray(0, FILE_HEADER_BYTES)), {
      ok: true,
      header: { kind: FileKind.Segment, version: FORMAT_VERSION, baseSeq: 3 },
    });
  });

  test('a file from a newer format version is refused by its header', () => {
    const header = encodeFileHeader(FileKind.Segment, 0);
    header.writeUInt16LE(FORMAT_VERSION + 1, 8);
    header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
    const decoded = decodeFileHeader(header);
    assert.equal(decoded.ok, false);
    assert.match((decoded as { reason: string }).reason, /unsupported format version/);
  });
});
