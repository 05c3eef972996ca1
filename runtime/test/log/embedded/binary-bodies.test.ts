/**
 * Appended frames carry a binary body since format version 4 (decision 2092): every field of a
 * delivery comes back exactly, a delivery that is not exactly the typed shape is written as JSON
 * (no field is ever dropped), JSON bodies written by version 3 are still read, and a body no
 * writer writes is refused, never misread.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { AclMessage, AgentId, Delivery } from '@caxton/core';
import { BINARY_BODY_V1, readDeliveryBody, writeBinaryBody } from '../../../src/log/embedded/delivery-body.js';
import { encodeKeyedPayload, keyedBodyStart } from '../../../src/log/embedded/payload.js';
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
import { FieldWriter, RecordFormatError } from '../../../src/log/records/binary-fields.js';
import { ACL_FIELD_NAMES, STRING_FIELD_NAMES, type AclFieldName } from '../../../src/log/records/acl-binary.js';
import { EmbeddedMessageLog, type EmbeddedLogError } from '../../../src/log/embedded/index.js';
import { delivery, openLog, segmentFiles, tempDir } from './helpers.js';

/** A delivery with every field of Delivery, AclMessage and AgentId set, non-ASCII text included. */
function everyField(n: number): Delivery {
  const message: AclMessage = {
    performative: 'propose',
    sender: {
      name: `sénder-${n}@platform`,
      addresses: ['http://a.example/acc', 'http://b.example/ä'],
      resolvers: [{ name: 'ams@platform', addresses: [], resolvers: [{ name: 'deep', userParams: {} }], userParams: { 'X-r': '1' } }],
      userParams: { 'X-tier': 'gold', 'X-☃': 'snow' },
    },
    receivers: [{ name: 'r1@platform' }, { name: 'r2@platform', addresses: ['http://c.example'] }],
    replyTo: [{ name: 'sink@platform' }],
    content: `(action (agent-identifier :name r1) (deliver box-${n} (loc 12 19))) — naïve ${'x'.repeat(300)}`,
    language: 'fipa-sl0',
    encoding: 'utf-8',
    ontology: 'logistics',
    protocol: 'fipa-contract-net',
    conversationId: `conv-${n}`,
    replyWith: `rw-${n}`,
    inReplyTo: `irt-${n}`,
    replyBy: 1_700_000_123_456.5,
    userParams: { 'X-traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'X-empty': '' },
  };
  return { id: `m-${n}>r1@platform`, messageId: `m-${n}`, receiver: 'r1@platform', message, acceptedAt: 1_700_000_000_000 + n + 0.25 };
}

/** An agent id whose resolvers nest `depth` levels deep (deeper than the binary reader takes). */
function nested(depth: number): AgentId {
  return depth === 0 ? { name: 'leaf' } : { name: `level-${depth}`, resolvers: [nested(depth - 1)] };
}

/** Encode as the log does, then read back from a keyed payload. */
function roundTrip(d: Delivery): { binary: boolean; back: Delivery } {
  const w = new FieldWriter(16);
  const binary = writeBinaryBody(w, d);
  const body = binary ? Buffer.from(w.view(0, w.length)) : JSON.stringify(d);
  const payload = encodeKeyedPayload(7, d.id, body);
  return { binary, back: readDeliveryBody(payload, keyedBodyStart(payload, 0), payload.length, d.id) };
}

/** Record types and first body bytes of the Appended frames in a segment file. */
async function appendedBodies(file: string): Promise<number[]> {
  const buf = await fs.readFile(file);
  const reader = new FrameReader(buf);
  const firsts: number[] = [];
  for (let offset = FILE_HEADER_BYTES; offset < buf.length; offset = reader.next) {
    assert.equal(reader.read(offset), FrameStatus.Ok, `frame at ${offset}`);
    if (reader.type === RecordType.Appended) firsts.push(buf[keyedBodyStart(buf, reader.payloadStart)]!);
  }
  return firsts;
}

describe('delivery bodies (pure)', () => {
  test('every field of a delivery comes back exactly from the binary layout', () => {
    for (let n = 0; n < 20; n++) {
      const d = everyField(n);
      const { binary, back } = roundTrip(d);
      assert.equal(binary, true);
      assert.deepEqual(back, d);
    }
    // The smallest message: no optional field at all, and an empty receiver list.
    const bare: Delivery = { id: 'a>b', messageId: 'a', receiver: 'b', message: { performative: 'inform', receivers: [] }, acceptedAt: 0 };
    assert.deepEqual(roundTrip(bare), { binary: true, back: bare });
  });

  test('a delivery that is not exactly the typed shape is written as JSON, whole', () => {
    const base = everyField(1);
    const odd: Delivery[] = [
      { ...base, extra: 'kept' } as Delivery,
      { ...base, message: { ...base.message, 'X-unknown': 'kept' } as AclMessage },
      { ...base, message: { ...base.message, content: 42 as unknown as string } },
      { ...base, message: { ...base.message, replyBy: '2026-01-01' as unknown as number } },
      { ...base, message: { ...base.message, receivers: [{ name: 'a', nickname: 'kept' } as never] } },
      { ...base, message: { ...base.message, receivers: [, { name: 'b' }] as never } },
      { ...base, message: { ...base.message, userParams: { 'X-n': 5 as unknown as string } } },
      { ...base, message: { ...base.message, content: 'lone \ud800 surrogate' } },
      { ...base, message: Object.assign(Object.create({ inherited: 1 }), base.message) as AclMessage },
      { ...base, message: { ...base.message, sender: nested(12) } },
      { ...base, message: { ...base.message, replyTo: [{ name: 'a', addresses: ['x', 7 as unknown as string] }] } },
    ];
    for (const d of odd) {
      const { binary, back } = roundTrip(d);
      assert.equal(binary, false, JSON.stringify(d).slice(0, 80));
      assert.deepEqual(back, JSON.parse(JSON.stringify(d)), 'exactly what JSON kept before');
    }
    // Undefined properties are left out by both layouts.
    const sparse = { ...base, message: { ...base.message, ontology: undefined } };
    const { binary, back } = roundTrip(sparse);
    assert.equal(binary, true);
    assert.equal('ontology' in back.message, false);
  });

  test('every field the binary writer knows is one the shape guard accepts, and comes back', () => {
    // One sample value per field of the writer's tag table. A field added to the writer without a
    // sample fails here; one the guard does not count sends the delivery as JSON and fails here.
    const samples: Record<AclFieldName, unknown> = {
      performative: 'inform',
      sender: { name: 's@platform' },
      receivers: [{ name: 'r@platform' }],
      replyTo: [{ name: 'sink@platform' }],
      replyBy: 1_700_000_000_000,
      userParams: { 'X-a': 'b' },
      content: 'c',
      language: 'l',
      encoding: 'e',
      ontology: 'o',
      protocol: 'p',
      conversationId: 'cv',
      replyWith: 'rw',
      inReplyTo: 'irt',
    };
    assert.deepEqual(Object.keys(samples).sort(), [...ACL_FIELD_NAMES].sort());
    for (const field of ACL_FIELD_NAMES) {
      const message = { performative: 'inform', receivers: [], [field]: samples[field] } as AclMessage;
      const d: Delivery = { id: 'a>b', messageId: 'a', receiver: 'b', message, acceptedAt: 1 };
      assert.deepEqual(roundTrip(d), { binary: true, back: d }, field);
    }
    // The guard checks each string field's type; a number there goes as JSON.
    for (const field of STRING_FIELD_NAMES) {
      const message = { performative: 'inform', receivers: [], [field]: 5 } as unknown as AclMessage;
      assert.equal(roundTrip({ id: 'a>b', messageId: 'a', receiver: 'b', message, acceptedAt: 1 }).binary, false, field);
    }
  });

  test('numbers come back exactly as appended (-0, NaN, ±Infinity, which JSON turned into 0 or null)', () => {
    const base = everyField(5);
    for (const n of [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const d: Delivery = { ...base, acceptedAt: n, message: { ...base.message, replyBy: n } };
      const { binary, back } = roundTrip(d);
      assert.equal(binary, true);
      assert.ok(Object.is(back.acceptedAt, n) && Object.is(back.message.replyBy, n), String(n));
    }
    // A recovered message's keys come in the layout's (tag) order, not the order appended.
    const { back } = roundTrip({ ...base, message: { content: 'c', receivers: [], performative: 'inform' } as AclMessage });
    assert.deepEqual(Object.keys(back.message), ['performative', 'receivers', 'content']);
  });

  test('a __proto__ user-parameter key (as JSON.parse makes it) goes binary and comes back as an own data property', () => {
    const params = () => JSON.parse('{"__proto__":"polluted?","X-a":"b"}') as Record<string, string>;
    const base = everyField(4);
    const d: Delivery = {
      ...base,
      message: { ...base.message, sender: { ...base.message.sender!, userParams: params() }, userParams: params() },
    };
    const { binary, back } = roundTrip(d);
    assert.equal(binary, true);
    assert.deepEqual(back, d);
    for (const got of [back.message.userParams!, back.message.sender!.userParams!]) {
      assert.equal(Object.getPrototypeOf(got), Object.prototype, 'the prototype is not replaced');
      assert.deepEqual(Object.getOwnPropertyDescriptor(got, '__proto__'), {
        value: 'polluted?',
        enumerable: true,
        writable: true,
        configurable: true,
      });
      assert.deepEqual(Object.keys(got), ['__proto__', 'X-a']);
    }
    assert.equal(({} as Record<string, unknown>)['polluted?'], undefined);
  });

  test('a body no writer writes is refused, not misread', () => {
    const d = everyField(3);
    const w = new FieldWriter();
    assert.equal(writeBinaryBody(w, d), true);
    const good = Buffer.from(w.view(0, w.length));
    assert.equal(good[0], BINARY_BODY_V1);
    assert.throws(() => readDeliveryBody(good, 0, good.length - 3, d.id), RecordFormatError, 'cut short');
    assert.throws(
      () => readDeliveryBody(Buffer.concat([good, Buffer.from([0])]), 0, good.length + 1, d.id),
      RecordFormatError,
      'trailing bytes',
    );
    const unknown = Buffer.from(good);
    unknown[0] = 0x09;
    assert.throws(() => readDeliveryBody(unknown, 0, unknown.length, d.id), RecordFormatError, 'unknown layout');
    assert.throws(() => readDeliveryBody(good, 0, 0, d.id), RecordFormatError, 'empty');
    const json = Buffer.from(JSON.stringify(d));
    assert.throws(() => readDeliveryBody(json, 0, json.length, 'another-id'), TypeError, 'a JSON body for another id');
  });
});

describe('binary bodies in the embedded log', () => {
  test('appends are written binary and replay exactly after a restart, every field included', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const all = [everyField(1), delivery(2), everyField(3), delivery(4)];
    await log.append([all[0]!]);
    await log.append(all.slice(1)); // several single deliveries in one call
    await log.close();
    const [file] = await segmentFiles(dir);
    assert.deepEqual(await appendedBodies(path.join(dir, file!)), [BINARY_BODY_V1, BINARY_BODY_V1, BINARY_BODY_V1, BINARY_BODY_V1]);
    const { log: reopened, consumed } = await openLog(dir);
    assert.deepEqual(consumed, all);
    await reopened.close();
  });

  test('an odd-shaped delivery goes as JSON in the same log and replays as JSON kept it', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const odd = { ...delivery(1), message: { ...delivery(1).message, 'X-extra': 'kept' } as AclMessage };
    await log.append([delivery(0), odd]);
    await log.close();
    const [file] = await segmentFiles(dir);
    assert.deepEqual(await appendedBodies(path.join(dir, file!)), [BINARY_BODY_V1, '{'.charCodeAt(0)]);
    const { log: reopened, consumed } = await openLog(dir);
    assert.deepEqual(consumed, [delivery(0), odd]);
    await reopened.close();
  });

  test('a version-3 log (JSON bodies) is read, and new appends go to a fresh version-4 segment', async (t) => {
    const dir = await tempDir(t);
    const header = encodeFileHeader(FileKind.Segment, 0);
    header.writeUInt16LE(3, 8);
    header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
    const old = [everyField(1), delivery(2), delivery(3)];
    const frames = old.map((d, seq) => encodeFrame(RecordType.Appended, encodeKeyedPayload(seq, d.id, JSON.stringify(d))));
    frames.push(encodeFrame(RecordType.Completed, Buffer.from(old[1]!.id)));
    await fs.writeFile(path.join(dir, '00000000000000000001.seg'), Buffer.concat([header, ...frames]));

    const { log, consumed } = await openLog(dir);
    assert.deepEqual(consumed, [old[0], old[2]]);
    await log.append([delivery(9)]);
    await log.close();
    const files = await segmentFiles(dir);
    assert.deepEqual(files, ['00000000000000000001.seg', '00000000000000000002.seg']);
    const second = await fs.readFile(path.join(dir, files[1]!));
    assert.deepEqual(decodeFileHeader(second.subarray(0, FILE_HEADER_BYTES)), {
      ok: true,
      header: { kind: FileKind.Segment, version: FORMAT_VERSION, baseSeq: 3 },
    });
    assert.equal(FORMAT_VERSION, 4);
    assert.deepEqual(await appendedBodies(path.join(dir, files[1]!)), [BINARY_BODY_V1]);
    const { log: reopened, consumed: again } = await openLog(dir);
    assert.deepEqual(again, [old[0], old[2], delivery(9)]);
    await reopened.close();
  });

  test('a binary body with a valid checksum but unreadable inside is refused at open (log.corrupt), the file untouched', async (t) => {
    const w = new FieldWriter();
    assert.equal(writeBinaryBody(w, delivery(1)), true);
    const good = Buffer.from(w.view(0, w.length));
    const crafted: [string, Buffer][] = [
      ['garbage after the layout byte', Buffer.from([BINARY_BODY_V1, 0xff, 0xff, 0xff])],
      ['an unknown layout byte', Buffer.from([0x02, 1, 2, 3])],
      ['a trailing byte', Buffer.concat([good, Buffer.from([0])])],
      ['an unknown ACL tag', Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([0x63, 0])])],
    ];
    for (const [what, body] of crafted) {
      const dir = await tempDir(t);
      const frames = [
        encodeFrame(RecordType.Appended, encodeKeyedPayload(0, delivery(0).id, good)),
        encodeFrame(RecordType.Appended, encodeKeyedPayload(1, delivery(1).id, body)),
      ];
      const file = path.join(dir, '00000000000000000001.seg');
      const bytes = Buffer.concat([encodeFileHeader(FileKind.Segment, 0), ...frames]);
      await fs.writeFile(file, bytes);
      const log = new EmbeddedMessageLog({ dir, fsync: 'never' });
      await assert.rejects(log.open(), (e: EmbeddedLogError) => {
        assert.equal(e.code, 'log.corrupt', what);
        assert.match(e.message, /delivery body/, what);
        return true;
      });
      assert.deepEqual(await fs.readFile(file), bytes, `${what}: a refused open changes nothing on disk`);
      await log.close();
    }
  });

  test('the reused write buffer grows within one append, is replaced after a huge one, and every delivery replays', async (t) => {
    const dir = await tempDir(t);
    const options = { maxRecordBytes: 4 * 1024 * 1024 };
    const { log } = await openLog(dir, options);
    // 40 deliveries of ~1.5 KB in one call: well past the 16 KiB the buffer starts with, with JSON
    // bodies (an extra key) between binary ones, so views into it are taken before and after growth.
    const mixed = Array.from({ length: 40 }, (_, i) => {
      const d = delivery(i, `agent-${i}`, `é${'z'.repeat(1500)}-${i}`);
      return i % 7 === 3 ? { ...d, message: { ...d.message, 'X-odd': 'json' } as AclMessage } : d;
    });
    await log.append(mixed);
    const huge = delivery(100, 'agent-x', 'h'.repeat(2 * 1024 * 1024)); // the buffer is not kept at this size
    await log.append([huge]);
    const after = [delivery(101), delivery(102, 'agent-y')];
    await log.append(after);
    await log.close();
    const [file] = await segmentFiles(dir);
    const firsts = await appendedBodies(path.join(dir, file!));
    assert.deepEqual(
      firsts.slice(0, 40),
      mixed.map((_, i) => (i % 7 === 3 ? '{'.charCodeAt(0) : BINARY_BODY_V1)),
    );
    const { log: reopened, consumed } = await openLog(dir, options);
    assert.deepEqual(consumed, [...mixed, huge, ...after]);
    await reopened.close();
  });

  test('the record size limit applies to binary bodies, before anything is queued', async (t) => {
    const dir = await tempDir(t);
    const { log, consumed } = await openLog(dir, { maxRecordBytes: 4096 });
    const big = { ...delivery(1), message: { ...delivery(1).message, content: 'y'.repeat(5000) } };
    await assert.rejects(log.append([delivery(0), big]), /maxRecordBytes/);
    await log.append([delivery(0)]); // nothing of the refused call was queued
    assert.deepEqual(
      consumed.map((d) => d.id),
      [delivery(0).id],
    );
    await log.close();
  });
});
