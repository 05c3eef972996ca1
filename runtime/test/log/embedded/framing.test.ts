import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { crc32, crc32Portable, hasNativeCrc32 } from '../../../src/log/embedded/checksum.js';
import { ChunkPool, FrameBatch } from '../../../src/log/embedded/frame-batch.js';
import {
  encodeKeyedPayload,
  isWellFormedKeyedPayload,
  readIdPayload,
  readKeyedBody,
  readKeyedId,
  readKeyedSeq,
} from '../../../src/log/embedded/payload.js';
import {
  FILE_HEADER_BYTES,
  FORMAT_VERSION,
  FRAME_HEADER_BYTES,
  FileKind,
  FrameReader,
  FrameStatus,
  RecordType,
  decodeFileHeader,
  encodeFileHeader,
  encodeFrame,
} from '../../../src/log/embedded/record-format.js';

describe('crc32', () => {
  test('matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32Portable(Buffer.from('123456789')), 0xcbf43926);
  });

  test('the portable fallback computes the same checksum as the native one', () => {
    assert.ok(hasNativeCrc32, 'Node 20.20 ships zlib.crc32');
    for (let size = 0; size < 600; size += 7) {
      const data = randomBytes(size);
      assert.equal(crc32Portable(data), crc32(data), `size ${size}`);
    }
  });
});

describe('file header', () => {
  test('round-trips kind and a base sequence above 2^32', () => {
    const buf = encodeFileHeader(FileKind.Segment, 2 ** 40 + 17);
    assert.equal(buf.length, FILE_HEADER_BYTES);
    assert.deepEqual(decodeFileHeader(buf), {
      ok: true,
      header: { kind: FileKind.Segment, version: FORMAT_VERSION, baseSeq: 2 ** 40 + 17 },
    });
  });

  test('rejects short files, foreign magic and flipped bytes', () => {
    const good = encodeFileHeader(FileKind.DeadLetters, 0);
    assert.equal(decodeFileHeader(good.subarray(0, 10)).ok, false);
    const foreign = Buffer.from(good);
    foreign.write('NOTCAXTN', 0, 'latin1');
    assert.match((decodeFileHeader(foreign) as { reason: string }).reason, /magic/);
    for (let i = 8; i < FILE_HEADER_BYTES; i++) {
      const flipped = Buffer.from(good);
      flipped[i]! ^= 0x10;
      assert.equal(decodeFileHeader(flipped).ok, false, `flip at ${i}`);
    }
  });
});

describe('frames', () => {
  test('encode then read gives type and payload back', () => {
    const frame = encodeFrame(RecordType.Completed, Buffer.from('delivery-1'));
    const reader = new FrameReader(frame);
    assert.equal(reader.read(0), FrameStatus.Ok);
    assert.equal(reader.type, RecordType.Completed);
    assert.equal(readIdPayload(frame, reader.payloadStart, reader.payloadEnd), 'delivery-1');
    assert.equal(reader.next, frame.length);
  });

  test('every proper prefix of a frame reads as truncated', () => {
    const frame = encodeFrame(RecordType.Appended, encodeKeyedPayload(3, 'id', '{"x":1}'));
    for (let cut = 0; cut < frame.length; cut++) {
      assert.equal(new FrameReader(frame.subarray(0, cut)).read(0), FrameStatus.Truncated, `cut at ${cut}`);
    }
  });

  test('a flipped bit anywhere in a frame is detected', () => {
    const frame = encodeFrame(RecordType.Appended, encodeKeyedPayload(3, 'id', '{"content":"hello"}'));
    for (let i = 0; i < frame.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const damaged = Buffer.from(frame);
        damaged[i]! ^= bit;
        assert.notEqual(new FrameReader(damaged).read(0), FrameStatus.Ok, `byte ${i} bit ${bit}`);
      }
    }
  });

  test('implausible lengths and unknown types are reported as such', () => {
    const frame = encodeFrame(RecordType.Completed, Buffer.from('x'));
    const huge = Buffer.from(frame);
    huge.writeUInt32LE(0xffffffff, 4);
    assert.equal(new FrameReader(huge).read(0), FrameStatus.BadLength);
    // A frame with a valid checksum but a type from the future.
    const future = Buffer.from(frame);
    future[8] = 99;
    future.writeUInt32LE(crc32(future.subarray(4)), 0);
    assert.equal(new FrameReader(future).read(0), FrameStatus.BadType);
  });

  test('findNextValidFrame skips garbage and zeros to the next real frame', () => {
    const a = encodeFrame(RecordType.Completed, Buffer.from('a'));
    const b = encodeFrame(RecordType.Completed, Buffer.from('b'));
    const buf = Buffer.concat([a, randomBytes(37), Buffer.alloc(64), b]);
    const reader = new FrameReader(buf);
    const found = reader.findNextValidFrame(a.length);
    assert.equal(found, a.length + 37 + 64);
    assert.equal(reader.findNextValidFrame(found), -1);
  });
});

describe('keyed payload', () => {
  test('keeps seq, a non-ASCII id and the body apart', () => {
    const payload = encodeKeyedPayload(2 ** 47 + 5, 'm-ü-1:agent-λ', '{"content":"naïve ☃"}');
    const frame = encodeFrame(RecordType.Appended, payload);
    const reader = new FrameReader(frame);
    assert.equal(reader.read(0), FrameStatus.Ok);
    assert.ok(isWellFormedKeyedPayload(frame, reader.payloadStart, reader.payloadEnd));
    assert.equal(readKeyedSeq(frame, reader.payloadStart), 2 ** 47 + 5);
    assert.equal(readKeyedId(frame, reader.payloadStart), 'm-ü-1:agent-λ');
    assert.equal(readKeyedBody(frame, reader.payloadStart, reader.payloadEnd), '{"content":"naïve ☃"}');
  });

  test('an id length pointing past the payload is malformed', () => {
    const payload = encodeKeyedPayload(1, 'abc', '');
    payload.writeUInt16LE(200, 6);
    assert.equal(isWellFormedKeyedPayload(payload, 0, payload.length), false);
  });
});

describe('FrameBatch', () => {
  test('frames spread over several chunks read back in order at the offsets it reported', () => {
    const pool = new ChunkPool(1024, 4);
    const batch = new FrameBatch(pool);
    const expected: { offset: number; id: string; body: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const body = JSON.stringify({ n: i, pad: 'x'.repeat(i % 50) });
      expected.push({ offset: batch.addKeyed(RecordType.Appended, i, `id-${i}`, body), id: `id-${i}`, body });
    }
    const big = 'y'.repeat(5000); // larger than a chunk: gets its own buffer
    const bigOffset = batch.addId(RecordType.Completed, big);
    const raw = encodeFrame(RecordType.DeadLettered, Buffer.from('raw'));
    const rawOffset = batch.addRaw(raw);
    const bytes = Buffer.concat(batch.buffers());
    assert.equal(bytes.length, batch.byteLength);
    assert.equal(batch.count, 202);

    const reader = new FrameReader(bytes);
    for (const [i, e] of expected.entries()) {
      assert.equal(reader.read(e.offset), FrameStatus.Ok);
      assert.equal(readKeyedSeq(bytes, reader.payloadStart), i);
      assert.equal(readKeyedId(bytes, reader.payloadStart), e.id);
      assert.equal(readKeyedBody(bytes, reader.payloadStart, reader.payloadEnd), e.body);
    }
    assert.equal(reader.read(bigOffset), FrameStatus.Ok);
    assert.equal(readIdPayload(bytes, reader.payloadStart, reader.payloadEnd), big);
    assert.equal(reader.read(rawOffset), FrameStatus.Ok);
    assert.equal(reader.type, RecordType.DeadLettered);
    assert.equal(reader.next, bytes.length);
  });

  test('released chunks are reused by the next batch', () => {
    const pool = new ChunkPool(4096, 4);
    const first = new FrameBatch(pool);
    first.addId(RecordType.Completed, 'a');
    const chunk = first.buffers()[0]!;
    first.release();
    const second = new FrameBatch(pool);
    second.addId(RecordType.Completed, 'b');
    const reused = second.buffers()[0]!;
    assert.equal(reused.buffer, chunk.buffer);
    assert.equal(reused.byteOffset, chunk.byteOffset);
    assert.equal(FRAME_HEADER_BYTES + 1, second.byteLength);
  });
});
