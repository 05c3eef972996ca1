/**
 * The embedded log's dead-letter marks (decision 1860): durable in their own file beside the
 * letters (same framing), the newest mark per letter wins, they survive a reopen, and the letters
 * file keeps only letters (a build that predates marks reads it as before).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { Delivery } from '@caxton/core';
import { EmbeddedMessageLog } from '../../../src/log/embedded/embedded-message-log.js';
import { DEAD_LETTER_FILE, DEAD_LETTER_MARKS_FILE } from '../../../src/log/embedded/segment-files.js';
import { FILE_HEADER_BYTES, FrameReader, FrameStatus, RecordType } from '../../../src/log/embedded/record-format.js';
import { readKeyedId } from '../../../src/log/embedded/payload.js';
import { tempDir } from '../../registry/helpers/tmp.js';

function delivery(id: string): Delivery {
  return {
    id: `${id}>fragile`,
    messageId: id,
    receiver: 'fragile',
    acceptedAt: 1,
    message: {
      performative: 'request',
      sender: { name: 'operator@caxton' },
      receivers: [{ name: 'fragile@caxton' }],
      content: 'poison pill',
    },
  };
}

/** Record types and ids of every frame in one of the log's files. */
async function frames(file: string): Promise<[RecordType, string][]> {
  const buf = await readFile(file);
  const body = buf.subarray(FILE_HEADER_BYTES);
  const reader = new FrameReader(body, body.length);
  const out: [RecordType, string][] = [];
  for (let offset = 0; offset < body.length && reader.read(offset) === FrameStatus.Ok; offset = reader.next)
    out.push([reader.type, readKeyedId(body, reader.payloadStart)]);
  return out;
}

test('marks are durable beside the letters, the newest per letter wins, and survive a reopen', async () => {
  const tmp = await tempDir('caxton-dl-marks-');
  const dir = tmp.path;
  const log = new EmbeddedMessageLog({ dir });
  await log.open();
  const a = delivery('m-a');
  const b = delivery('m-b');
  await log.append([a, b]);
  await log.deadLetter({ delivery: a, reason: 'handler crashed 3 times', attempts: 3, at: 10 });
  await log.deadLetter({ delivery: b, reason: 'handler crashed 3 times', attempts: 3, at: 11 });
  assert.deepEqual(await log.deadLetterMarks(), new Map());
  await log.markDeadLetters([{ id: a.id, state: 'redriven', deliveryId: 'r-1>steady', receiver: 'steady', at: 20 }]);
  await log.markDeadLetters([
    { id: a.id, state: 'purged', at: 21 },
    { id: b.id, state: 'redriven', deliveryId: 'r-2>fragile', receiver: 'fragile', at: 21 },
  ]);
  const before = await log.deadLetterMarks();
  assert.deepEqual(before.get(a.id), { id: a.id, state: 'purged', at: 21 });
  assert.deepEqual(before.get(b.id), { id: b.id, state: 'redriven', deliveryId: 'r-2>fragile', receiver: 'fragile', at: 21 });
  await log.close();

  assert.deepEqual(
    await frames(path.join(dir, DEAD_LETTER_FILE)),
    [
      [RecordType.DeadLetter, a.id],
      [RecordType.DeadLetter, b.id],
    ],
    'the letters file holds letters only',
  );
  assert.deepEqual(
    (await frames(path.join(dir, DEAD_LETTER_MARKS_FILE))).map(([type, id]) => [type, id]),
    [
      [RecordType.DeadLetterMark, a.id],
      [RecordType.DeadLetterMark, a.id],
      [RecordType.DeadLetterMark, b.id],
    ],
  );

  const again = new EmbeddedMessageLog({ dir });
  await again.open();
  try {
    assert.deepEqual(await again.deadLetterMarks(), before);
    assert.deepEqual(
      (await again.deadLetters()).map((l) => l.delivery.id),
      [a.id, b.id],
    );
    assert.equal(again.stats().pending, 0);
  } finally {
    await again.close();
    await tmp.remove();
  }
});
