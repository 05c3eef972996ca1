/**
 * Agent state in the embedded log (decision 1600): committed in the completion's frame(s), read
 * back at once, rebuilt at recovery, carried forward by retention, all-or-nothing across a torn
 * tail; and logs written in format version 2 stay readable.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { StateWrite } from '@caxton/core';
import { crc32 } from '../../../src/log/embedded/checksum.js';
import { encodeKeyedPayload } from '../../../src/log/embedded/payload.js';
import {
  FILE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  FORMAT_VERSION,
  FileKind,
  FrameReader,
  FrameStatus,
  RecordType,
  decodeFileHeader,
  encodeFileHeader,
  encodeFrame,
} from '../../../src/log/embedded/record-format.js';
import { writeSharedPayload, sharedEntryBytes, SHARED_COUNT_BYTES } from '../../../src/log/embedded/shared-payload.js';
import {
  StateTransactionReader,
  changesState,
  decodeStateFrame,
  encodeStateTransaction,
  lastWritePerKey,
} from '../../../src/log/embedded/state-frames.js';
import { StateView } from '../../../src/log/embedded/state-view.js';
import { MemoryMessageLog } from '../../../src/log/memory/memory-message-log.js';
import { completions, deliveries, delivery, openLog, segmentFiles, tempDir, waitFor } from './helpers.js';

const set = (key: string, value: string): StateWrite => ({ key, value });
const del = (key: string): StateWrite => ({ key, value: null });
const entries = (map: ReadonlyMap<string, string>): [string, string][] => [...map].sort(([a], [b]) => (a < b ? -1 : 1));

/** Frames of a segment file, in order. */
async function frames(file: string): Promise<{ type: RecordType; offset: number; end: number }[]> {
  const buf = await fs.readFile(file);
  const reader = new FrameReader(buf);
  const out: { type: RecordType; offset: number; end: number }[] = [];
  for (let offset = FILE_HEADER_BYTES; offset < buf.length; offset = reader.next) {
    assert.equal(reader.read(offset), FrameStatus.Ok);
    out.push({ type: reader.type, offset, end: reader.next });
  }
  return out;
}

describe('state frames (pure)', () => {
  test('a transaction round-trips through one frame, reset and completion included', () => {
    const tx = {
      agent: 'counter',
      reset: true,
      writes: [set('a', '1'), del('b'), set('ü\u0000x', '"quoted"\n')],
      completes: 'm-1:counter',
    };
    const payloads = encodeStateTransaction(tx, 4096);
    assert.equal(payloads.length, 1);
    const part = decodeStateFrame(payloads[0]!)!;
    assert.deepEqual(part, { agent: 'counter', reset: true, more: false, continues: false, completes: 'm-1:counter', writes: tx.writes });
  });

  test('a transaction larger than a record is split; the reader applies it only with its last part', () => {
    const writes = Array.from({ length: 30 }, (_, i) => set(`key-${i}`, 'v'.repeat(100)));
    const payloads = encodeStateTransaction({ agent: 'big', reset: false, writes, completes: 'd-1' }, 512);
    assert.ok(payloads.length > 5, `${payloads.length} parts`);
    for (const p of payloads) assert.ok(Buffer.byteLength(p) <= 512, `part of ${Buffer.byteLength(p)} bytes`);
    const parts = payloads.map((p) => decodeStateFrame(p)!);
    assert.deepEqual(
      parts.map((p) => p.completes),
      [...Array(parts.length - 1).fill(undefined), 'd-1'],
      'only the last part completes',
    );

    const reader = new StateTransactionReader();
    for (const part of parts.slice(0, -1)) assert.equal(reader.part(part), undefined);
    const tx = reader.part(parts.at(-1)!);
    assert.deepEqual(tx?.writes, writes);
    assert.equal(tx?.completes, 'd-1');

    // The same parts with the last one missing (torn), then another transaction: dropped whole.
    const torn = new StateTransactionReader();
    for (const part of parts.slice(0, -1)) torn.part(part);
    torn.interrupt();
    assert.equal(torn.dropped, 1);
    // A continuation without its head (skipped damage) is dropped too.
    const headless = new StateTransactionReader();
    assert.equal(headless.part(parts[1]!), undefined);
    assert.equal(headless.part(parts.at(-1)!), undefined);
    assert.equal(headless.dropped, 1);
  });

  test("a completion's clock read (decision 2178) rides in its one frame, or in the last part of a split one", () => {
    const one = encodeStateTransaction({ agent: 'broker', reset: false, writes: [], completes: 'd-1', clockAt: 1_790_000_000_123 }, 4096);
    assert.equal(one.length, 1);
    assert.deepEqual(decodeStateFrame(one[0]!), {
      agent: 'broker',
      reset: false,
      more: false,
      continues: false,
      completes: 'd-1',
      clockAt: 1_790_000_000_123,
      writes: [],
    });
    const writes = Array.from({ length: 30 }, (_, i) => set(`key-${i}`, 'v'.repeat(100)));
    const payloads = encodeStateTransaction({ agent: 'big', reset: false, writes, completes: 'd-2', clockAt: 42 }, 512);
    for (const p of payloads) assert.ok(Buffer.byteLength(p) <= 512, `part of ${Buffer.byteLength(p)} bytes`);
    const parts = payloads.map((p) => decodeStateFrame(p)!);
    assert.deepEqual(
      parts.map((p) => p.clockAt),
      [...Array(parts.length - 1).fill(undefined), 42],
      'only the last part, with the completion',
    );
    const reader = new StateTransactionReader();
    let tx: ReturnType<StateTransactionReader['part']>;
    for (const part of parts) tx = reader.part(part);
    assert.equal(tx!.clockAt, 42);
    // A time that is not one is left out, the frame still read (it only informs a replay).
    assert.equal(decodeStateFrame('{"a":"x","d":"d-3","t":"soon","w":[]}')?.clockAt, undefined);
    assert.equal(decodeStateFrame('{"a":"x","d":"d-3","t":-5,"w":[]}')?.completes, 'd-3');
  });

  test('an entry that cannot fit a record is refused with a typed error', () => {
    assert.throws(
      () => encodeStateTransaction({ agent: 'a', reset: false, writes: [set('k', 'x'.repeat(1000))] }, 256),
      (e: Error & { code?: string }) => e.code === 'log.invalid-state',
    );
  });

  test('malformed payloads are not state frames', () => {
    for (const text of ['', '{', 'null', '{"w":[]}', '{"a":"x","w":[["k",1]]}', '{"a":"x","w":[[2,"v"]]}', '{"a":"x","d":3,"w":[]}']) {
      assert.equal(decodeStateFrame(text), undefined, text);
    }
  });

  test('last write per key wins', () => {
    assert.deepEqual(lastWritePerKey([set('a', '1'), set('b', '2'), del('a'), set('b', '3')]), [del('a'), set('b', '3')]);
  });

  test('the view tracks the segment each agent depends on; an emptied agent needs no snapshot', () => {
    const view = new StateView();
    const s1 = { no: 1, live: 0, appended: 0, stateBytes: 0, basedBytes: 0 };
    const s2 = { no: 2, live: 0, appended: 0, stateBytes: 0, basedBytes: 0 };
    view.apply({ agent: 'a', reset: false, writes: [set('k', 'v')] });
    view.placed('a', false, s1);
    view.apply({ agent: 'b', reset: false, writes: [set('k', 'v')] });
    view.placed('b', false, s1);
    view.apply({ agent: 'b', reset: false, writes: [set('j', 'w')] });
    view.placed('b', false, s2); // a later delta keeps the older base
    view.apply({ agent: 'a', reset: false, writes: [del('k')] });
    view.placed('a', false, s2);
    assert.deepEqual(view.dependingOn(new Set([s1])), ['b'], 'a is empty: forgotten, not snapshotted');
    view.apply({ agent: 'b', reset: true, writes: view.snapshot('b') });
    view.placed('b', true, s2);
    assert.deepEqual(view.dependingOn(new Set([s1])), []);
    assert.deepEqual(entries(view.read('b')), [
      ['j', 'w'],
      ['k', 'v'],
    ]);
  });
});

describe('state in the embedded log', () => {
  test('a completion commits its state: read at once (before durable), after reopen, and in one frame with the completion', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const [d1, d2] = [delivery(1, 'counter'), delivery(2, 'counter')];
    await log.append([d1, d2]);
    const done = log.complete([{ id: d1.id, receiver: 'counter', state: [set('count', '1'), set('last', d1.id)] }]);
    assert.deepEqual(
      entries(await log.readState('counter')),
      [
        ['count', '1'],
        ['last', d1.id],
      ],
      'read-your-writes before the commit is durable',
    );
    await done;
    await log.complete([{ id: d2.id, receiver: 'counter', state: [set('count', '2'), del('last')] }]);
    assert.deepEqual(entries(await log.readState('counter')), [['count', '2']]);
    assert.deepEqual(entries(await log.readState('nobody')), []);
    await log.close();
    const [segment] = await segmentFiles(dir);
    assert.deepEqual(
      (await frames(path.join(dir, segment!))).map((f) => f.type),
      [RecordType.Appended, RecordType.Appended, RecordType.State, RecordType.State],
      'no separate Completed frame',
    );

    const { log: reopened, consumed } = await openLog(dir);
    assert.deepEqual(consumed, [], 'both completions are durable with their state');
    assert.deepEqual(entries(await reopened.readState('counter')), [['count', '2']]);
    await reopened.close();
  });

  test('a completion that records a clock read but writes nothing completes in a state frame of no writes, durable across reopen (decision 2178)', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const [d1, d2] = [delivery(1, 'broker'), delivery(2, 'broker')];
    await log.append([d1, d2]);
    await log.complete([
      { id: d1.id, receiver: 'broker', clockAt: 1_790_000_000_001 },
      { id: d2.id, receiver: 'broker' },
    ]);
    assert.deepEqual(entries(await log.readState('broker')), [], 'no state written');
    await log.close();
    const [segment] = await segmentFiles(dir);
    const written = await frames(path.join(dir, segment!));
    assert.deepEqual(
      written.map((f) => f.type),
      [RecordType.Appended, RecordType.Appended, RecordType.State, RecordType.Completed],
      'the one that read the clock completes in a state frame; the other as before',
    );
    const buf = await fs.readFile(path.join(dir, segment!));
    const state = written[2]!;
    assert.deepEqual(decodeStateFrame(buf.toString('utf8', state.offset + FRAME_HEADER_BYTES, state.end)), {
      agent: 'broker',
      reset: false,
      more: false,
      continues: false,
      completes: d1.id,
      clockAt: 1_790_000_000_001,
      writes: [],
    });
    const { log: reopened, consumed } = await openLog(dir);
    assert.deepEqual(consumed, [], 'both completions are durable');
    assert.deepEqual(entries(await reopened.readState('broker')), []);
    await reopened.close();
    // It changes no state, so the agent's state does not come to depend on its segment (which would
    // pin that segment against retention for as long as the agent lives).
    assert.equal(changesState({ reset: false, writes: [] }), false);
    assert.equal(changesState({ reset: true, writes: [] }), true);
    assert.equal(changesState({ reset: false, writes: [set('k', 'v')] }), true);
  });

  test('a clock read is never a reason to refuse a completion: one whose frame might not fit a record completes without it', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { maxRecordBytes: 256 });
    const agent = `b${'r'.repeat(19)}`; // its delivery fits a 256-byte record; six bytes a character of its name and id do not
    const d = delivery(1, agent);
    await log.append([d]);
    await log.complete([{ id: d.id, receiver: agent, clockAt: 1_790_000_000_001 }]);
    await log.close();
    const [segment] = await segmentFiles(dir);
    assert.deepEqual(
      (await frames(path.join(dir, segment!))).map((f) => f.type),
      [RecordType.Appended, RecordType.Completed],
    );
    const { log: reopened, consumed } = await openLog(dir, { maxRecordBytes: 256 });
    assert.deepEqual(consumed, [], 'completed');
    await reopened.close();
  });

  test('a duplicate completion does not apply its state again; unknown deliveries commit nothing', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const d = delivery(1, 'a');
    await log.append([d]);
    await log.complete([{ id: d.id, receiver: 'a', state: [set('k', 'first')] }]);
    await log.complete([{ id: d.id, receiver: 'a', state: [set('k', 'second')] }]);
    await log.complete([{ id: 'never-appended', receiver: 'a', state: [set('k', 'third')] }]);
    assert.equal((await log.readState('a')).get('k'), 'first');
    await log.close();
  });

  test('invalid state rejects the whole complete() call and queues nothing', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    const [d1, d2] = [delivery(1, 'a'), delivery(2, 'a')];
    await log.append([d1, d2]);
    const bad = { key: 'k', value: 42 } as unknown as StateWrite;
    await assert.rejects(
      log.complete([
        { id: d1.id, receiver: 'a', state: [set('x', '1')] },
        { id: d2.id, receiver: 'a', state: [bad] },
      ]),
      (e: Error & { code?: string }) => e.code === 'log.invalid-state',
    );
    assert.equal(log.stats().pending, 2);
    assert.deepEqual(entries(await log.readState('a')), []);
    await log.complete([{ id: d1.id, receiver: 'a', state: [set('x', '1')] }]);
    assert.equal(log.stats().pending, 1);
    await log.close();
  });

  test('commitRefusal says exactly what a completion would meet, queueing nothing (issue 55)', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { maxRecordBytes: 1024 });
    const cases: [string, StateWrite[]][] = [
      ['small', [set('x', '1')]],
      ['one entry past a record', [set('big', 'x'.repeat(2000))]],
      ['escapes past a record (6 bytes a character)', [set('ctl', '\u0001'.repeat(200))]],
      ['many entries, each within a record (several frames)', Array.from({ length: 40 }, (_, i) => set(`k${i}`, 'y'.repeat(100)))],
      ['an entry past a record, then overwritten (the last write counts)', [set('big', 'x'.repeat(2000)), set('big', 'small')]],
      ['not a string', [{ key: 'k', value: 42 } as unknown as StateWrite]],
    ];
    const ds = cases.map((_, i) => delivery(i, 'a'));
    await log.append(ds);
    for (const [i, [what, writes]] of cases.entries()) {
      const refusal = log.commitRefusal('a', writes, ds[i]!.id);
      assert.equal(log.stats().pending, cases.length - i, `${what}: asking queued nothing`);
      const committed = await log.complete([{ id: ds[i]!.id, receiver: 'a', state: writes }]).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      assert.equal(refusal?.message, committed?.message, `${what}: the refusal asked is the refusal met`);
      if (committed !== undefined) {
        assert.equal((refusal as Error & { code?: string }).code, 'log.invalid-state');
        await log.complete([{ id: ds[i]!.id, receiver: 'a' }]); // completed without it, for the count above
      }
    }
    assert.deepEqual(
      cases.map(([, writes], i) => log.commitRefusal('a', writes, ds[i]!.id) === undefined),
      [true, false, false, true, true, false],
    );
    await log.close();
  });

  test('commitState and clearState are durable on their own', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir);
    await log.commitState('timer-agent', [set('ticks', '1'), set('x', 'y')]);
    await log.commitState('timer-agent', [set('ticks', '2')]);
    await log.commitState('other', [set('k', 'v')]);
    await log.clearState('other');
    await log.close();
    const { log: reopened } = await openLog(dir);
    assert.deepEqual(entries(await reopened.readState('timer-agent')), [
      ['ticks', '2'],
      ['x', 'y'],
    ]);
    assert.deepEqual(entries(await reopened.readState('other')), []);
    assert.deepEqual(reopened.stats().state, { agents: 1, entries: 2, snapshots: 0 });
    await reopened.close();
  });

  test('a completion whose state spans several frames is all there or not there when the tail is torn at any point', async (t) => {
    const root = await tempDir(t);
    const options = { maxRecordBytes: 512 };
    const source = path.join(root, 'source');
    const { log } = await openLog(source, options);
    const d = delivery(1, 'big');
    await log.append([d]);
    const writes = Array.from({ length: 12 }, (_, i) => set(`key-${i}`, 'v'.repeat(120)));
    await log.complete([{ id: d.id, receiver: 'big', state: writes }]);
    await log.close();
    const [name] = await segmentFiles(source);
    const bytes = await fs.readFile(path.join(source, name!));
    const all = await frames(path.join(source, name!));
    const stateFrames = all.filter((f) => f.type === RecordType.State);
    assert.ok(stateFrames.length >= 3, `${stateFrames.length} state frames`);

    // Cut inside and between every state frame: the state and the completion come back together.
    const cuts = [...stateFrames.map((f) => f.offset + 1), ...stateFrames.map((f) => f.end), ...stateFrames.map((f) => f.end - 2)];
    for (const cut of cuts) {
      const dir = path.join(root, `cut-${cut}`);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, name!), bytes.subarray(0, cut));
      const { log: reopened, consumed, warnings } = await openLog(dir, options);
      const state = await reopened.readState('big');
      const whole = cut >= stateFrames.at(-1)!.end;
      assert.equal(state.size, whole ? 12 : 0, `cut at ${cut}: ${state.size} keys`);
      assert.deepEqual(
        consumed.map((c) => c.id),
        whole ? [] : [d.id],
        `cut at ${cut}: the delivery is pending iff its state is absent`,
      );
      if (!whole)
        assert.ok(
          warnings.some((w) => w.code === 'log.torn-tail-truncated' || w.code === 'log.state-dropped'),
          `cut at ${cut}: ${warnings.map((w) => w.code)}`,
        );
      // The log keeps working after the repair, and the next transaction is not mixed with the torn one.
      await reopened.complete([{ id: d.id, receiver: 'big', state: [set('again', '1')] }]);
      await reopened.close();
      const { log: third } = await openLog(dir, options);
      const after = await third.readState('big');
      assert.equal(after.size, whole ? 12 : 1, `cut at ${cut} then a new commit: ${[...after.keys()]}`);
      await third.close();
    }
  });

  test('retention carries live state forward: segments deleted, state intact after reopen', async (t) => {
    const dir = await tempDir(t);
    const options = { segmentBytes: 2048 };
    const { log } = await openLog(dir, options);
    await log.commitState('keeper', [set('precious', 'yes'), set('n', '0')]);
    await log.commitState('emptied', [set('gone', 'soon')]);
    await log.commitState('emptied', [del('gone')]);
    const [first] = await segmentFiles(dir);
    for (const d of deliveries(0, 60)) {
      await log.append([d]);
      await log.complete([{ id: d.id, receiver: d.receiver, state: [set('last', d.id)] }]);
    }
    await waitFor('the first segment deleted', async () => !(await segmentFiles(dir)).includes(first!));
    await waitFor('old segments deleted', async () => (await segmentFiles(dir)).length <= 3);
    assert.ok(log.stats().state.snapshots > 0, 'snapshots were written');
    const expected = new Map<string, [string, string][]>();
    for (const agent of ['keeper', 'emptied', 'agent-0', 'agent-1', 'agent-2']) expected.set(agent, entries(await log.readState(agent)));
    assert.deepEqual(expected.get('keeper'), [
      ['n', '0'],
      ['precious', 'yes'],
    ]);
    await log.close();
    const { log: reopened } = await openLog(dir, options);
    for (const [agent, want] of expected) assert.deepEqual(entries(await reopened.readState(agent)), want, agent);
    await reopened.close();
  });

  test('a log written in format version 2 is still read; state goes into a new version-3 segment', async (t) => {
    const dir = await tempDir(t);
    // Exactly what the previous build wrote: a version-2 header, Appended, AppendedShared and
    // Completed frames.
    const header = encodeFileHeader(FileKind.Segment, 0);
    header.writeUInt16LE(2, 8);
    header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
    const single = delivery(1, 'solo');
    const message = delivery(2, 'x').message;
    const shared = ['a', 'b'].map((receiver, i) => ({ id: `m-2:${receiver}`, messageId: 'm-2', receiver, message, acceptedAt: 5 + i * 0 }));
    const body = JSON.stringify({ messageId: 'm-2', acceptedAt: 5, message });
    const sharedEntries = shared.map((d, i) => ({ seq: 1 + i, id: d.id, receiver: d.receiver }));
    const size = SHARED_COUNT_BYTES + sharedEntries.reduce((n, e) => n + sharedEntryBytes(e.id, e.receiver), 0) + Buffer.byteLength(body);
    const sharedPayload = Buffer.alloc(size);
    writeSharedPayload(sharedPayload, 0, sharedEntries, body);
    const v2 = [
      encodeFrame(RecordType.Appended, encodeKeyedPayload(0, single.id, JSON.stringify(single))),
      encodeFrame(RecordType.AppendedShared, sharedPayload),
      encodeFrame(RecordType.Completed, Buffer.from(shared[0]!.id)),
    ];
    await fs.writeFile(path.join(dir, '00000000000000000001.seg'), Buffer.concat([header, ...v2]));

    const { log, consumed } = await openLog(dir);
    assert.deepEqual(
      consumed.map((d) => d.id),
      [single.id, shared[1]!.id],
    );
    await log.complete([{ id: single.id, receiver: 'solo', state: [set('k', 'v')] }]);
    await log.close();
    const files = await segmentFiles(dir);
    assert.deepEqual(files, ['00000000000000000001.seg', '00000000000000000002.seg']);
    const first = await fs.readFile(path.join(dir, files[0]!));
    assert.equal(first.length, FILE_HEADER_BYTES + Buffer.concat(v2).length, 'the version-2 file is untouched');
    const second = await fs.readFile(path.join(dir, files[1]!));
    assert.deepEqual(decodeFileHeader(second.subarray(0, FILE_HEADER_BYTES)), {
      ok: true,
      header: { kind: FileKind.Segment, version: FORMAT_VERSION, baseSeq: 3 },
    });
    assert.equal(FORMAT_VERSION, 4);
    const { log: reopened, consumed: again } = await openLog(dir);
    assert.deepEqual(
      again.map((d) => d.id),
      [shared[1]!.id],
    );
    assert.equal((await reopened.readState('solo')).get('k'), 'v');
    await reopened.close();
  });
});

describe('state in the memory log', () => {
  test('commits with completions, once per delivery id; commitState and clearState', async () => {
    const log = new MemoryMessageLog();
    await log.complete([{ id: 'd1', receiver: 'a', state: [set('k', '1'), set('j', '2')] }]);
    await log.complete([{ id: 'd1', receiver: 'a', state: [set('k', 'dup')] }]);
    await log.complete([{ id: 'd2', receiver: 'a', state: [del('j')] }]);
    assert.deepEqual(entries(await log.readState('a')), [['k', '1']]);
    await log.commitState('a', [set('t', 'x')]);
    assert.deepEqual(entries(await log.readState('a')), [
      ['k', '1'],
      ['t', 'x'],
    ]);
    await log.clearState('a');
    assert.deepEqual(entries(await log.readState('a')), []);
    assert.deepEqual(completions([delivery(1)]).length, 1);
  });
});
