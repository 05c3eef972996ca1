/**
 * Reading one agent's recorded history out of a real embedded log's segment files (issue 57): the
 * log is written through EmbeddedMessageLog the way the bus writes it (delivery ids `<message>><receiver>`,
 * senders `<name>@<platform>`, sends under derived ids, timers recorded in commits), closed, then read.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { timerDoneStateKey, timerSetStateKey, type StateWrite } from '@caxton/core';
import { FrameReader, FrameStatus, RecordType } from '../../src/log/embedded/record-format.js';
import { decodeStateFrame } from '../../src/log/embedded/state-frames.js';
import { derivedMessageId } from '../../src/bus/ids.js';
import { deliveriesOf, deliveryTo, msg, PLATFORM, T0 } from './recorded-traffic.js';
import { readEmbeddedHistory, type EmbeddedHistoryOptions, type EmbeddedHistorySummary } from '../../src/replay/embedded-history.js';
import { ReplayError } from '../../src/replay/errors.js';
import { scanSegmentFrames } from '../../src/replay/segment-frames.js';
import type { RecordedEvent } from '../../src/replay/recorded.js';
import { openLog, segmentFiles, tempDir, waitFor } from '../log/embedded/helpers.js';

interface Read {
  events: RecordedEvent[];
  summary: EmbeddedHistorySummary;
  start: Parameters<NonNullable<EmbeddedHistoryOptions['onStart']>>[0];
}

async function readAll(dir: string, agent: string, opts: EmbeddedHistoryOptions = {}): Promise<Read> {
  const events: RecordedEvent[] = [];
  let summary: EmbeddedHistorySummary | undefined;
  let start: Read['start'] | undefined;
  const history = readEmbeddedHistory(dir, agent, { ...opts, onEnd: (s) => (summary = s), onStart: (s) => (start = s) });
  for (;;) {
    const step = await history.next();
    if (step.done) {
      assert.deepEqual(step.value, summary, 'the generator returns the summary onEnd was given');
      break;
    }
    events.push(step.value);
  }
  return { events, summary: summary!, start: start! };
}

/** Events without their positions (checked on their own), and the positions. */
function withoutPositions(events: readonly RecordedEvent[]): { events: unknown[]; positions: string[] } {
  return {
    events: events.map(({ position: _, ...rest }) => rest),
    positions: events.map((e) => e.position),
  };
}

/** The frame a position names: its type, and its payload decoded as a state frame when it is one. */
async function frameAt(dir: string, position: string): Promise<{ type: RecordType; completes?: string | undefined }> {
  const [no, offset] = position.split('.').map(Number) as [number, number];
  const name = (await segmentFiles(dir)).find((f) => Number(f.slice(0, -4)) === no)!;
  const buf = await fs.readFile(path.join(dir, name));
  const reader = new FrameReader(buf);
  assert.equal(reader.read(offset), FrameStatus.Ok, `a frame starts at ${position}`);
  if (reader.type !== RecordType.State) return { type: reader.type };
  return { type: reader.type, completes: decodeStateFrame(buf.toString('utf8', reader.payloadStart, reader.payloadEnd))!.completes };
}

/** Every file of the directory with its size and modification time. */
async function listing(dir: string): Promise<string[]> {
  const names = (await fs.readdir(dir)).sort();
  const rows = [`. ${(await fs.stat(dir)).mtimeMs}`];
  for (const name of names) {
    const s = await fs.stat(path.join(dir, name));
    rows.push(`${name} ${s.size} ${s.mtimeMs}`);
  }
  return rows;
}

describe('readEmbeddedHistory', () => {
  test("yields the agent's handlings, state commits, timer firings and dead letters in log order, with their sends", async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    // Small records: the large commit below is split over several state frames.
    const { log } = await openLog(dir, { maxRecordBytes: 1024 });

    // alice's init sends a message: under a fresh id, never claimed by a commit.
    await log.append(deliveriesOf('n-init-1', msg('alice', ['bob'], 'hello from init')));

    const d1 = deliveryTo('alice', 'n-1', 'ping 1');
    await log.append([d1]);
    // Handling d1: two messages under ids derived from it (the first to two receivers: one shared frame).
    const s10 = msg('alice', ['bob', 'carol'], 'pong 1');
    const s11 = msg('alice', ['bob'], 'pong 1 again');
    await log.append(deliveriesOf(derivedMessageId(d1.id, 0), s10));
    await log.append(deliveriesOf(derivedMessageId(d1.id, 1), s11));
    // ... and a timer, recorded in its commit (plan/timer-intents.ts), with its due time.
    const timerId = derivedMessageId(`${d1.id}#timer`, 0);
    const d1State: StateWrite[] = [
      { key: 'count', value: '1' },
      { key: timerSetStateKey(timerId), value: JSON.stringify({ token: 'tick', delayMs: 500 }) },
    ];
    await log.complete([{ id: d1.id, receiver: 'alice', state: d1State }]);
    // The timer is in the registry: its record is removed (before it fires).
    const removal: StateWrite[] = [{ key: timerSetStateKey(timerId), value: null }];
    await log.commitState('alice', removal);

    // Another agent's traffic, interleaved: not alice's.
    const b1 = deliveryTo('bob', 'n-2', 'hi bob', 'carol');
    await log.append([b1]);
    await log.complete([{ id: b1.id, receiver: 'bob', state: [{ key: 'k', value: 'v' }] }]);
    await log.commitState('bob', [{ key: 'count', value: '7' }]);

    const d2 = deliveryTo('alice', 'n-3', 'ping 2');
    await log.append([d2]);
    await log.complete([{ id: d2.id, receiver: 'alice' }]);

    // The timer fires: it sends under ids derived from `<agent>:timer:<id>`, commits with its done marker.
    const sTimer = msg('alice', ['bob'], 'tick!');
    await log.append(deliveriesOf(derivedMessageId(`alice:timer:${timerId}`, 0), sTimer));
    const firing: StateWrite[] = [
      { key: 'count', value: '2' },
      { key: timerDoneStateKey(timerId), value: String(T0 + 501) }, // the done marker records the due time (decision 2174)
      { key: timerSetStateKey(timerId), value: null },
    ];
    await log.commitState('alice', firing);
    // Forgotten by the registry: its done marker goes.
    const forgotten: StateWrite[] = [{ key: timerDoneStateKey(timerId), value: null }];
    await log.commitState('alice', forgotten);

    const d3 = deliveryTo('alice', 'n-4', 'poison');
    await log.append([d3]);
    await log.deadLetter({ delivery: d3, reason: 'crashed 3 times', attempts: 3, at: T0 + 9 });

    // An operator's commit, then a clear.
    await log.commitState('alice', [{ key: 'x', value: 'y' }]);
    await log.clearState('alice');

    // A commit larger than a record: several frames, applied as one.
    const d4 = deliveryTo('alice', 'n-5', 'big one');
    const big: StateWrite[] = Array.from({ length: 8 }, (_, i) => ({ key: `big-${i}`, value: 'v'.repeat(300) }));
    await log.append([d4]);
    await log.complete([{ id: d4.id, receiver: 'alice', state: big }]);

    // Still pending at the end: no event.
    const d5 = deliveryTo('alice', 'n-6', 'later');
    await log.append([d5]);
    await log.close();

    const before = await listing(dir);
    const read = await readAll(dir, 'alice');
    assert.deepEqual(await listing(dir), before, 'the directory is unchanged: same files, sizes and times');

    const { events, positions } = withoutPositions(read.events);
    assert.deepEqual(events, [
      { kind: 'handled', work: { kind: 'message', delivery: d1 }, state: d1State, sends: [s10, s11], sendIndexes: [0, 1] },
      { kind: 'state', reset: false, writes: removal },
      { kind: 'handled', work: { kind: 'message', delivery: d2 }, state: [], sends: [], sendIndexes: [] },
      {
        kind: 'handled',
        work: { kind: 'timer', timerId, token: 'tick', dueAt: T0 + 501 },
        state: firing,
        sends: [sTimer],
        sendIndexes: [0],
      },
      { kind: 'state', reset: false, writes: forgotten },
      { kind: 'dead-lettered', delivery: d3 },
      { kind: 'state', reset: false, writes: [{ key: 'x', value: 'y' }] },
      { kind: 'state', reset: true, writes: [] },
      { kind: 'handled', work: { kind: 'message', delivery: d4 }, state: big, sends: [], sendIndexes: [] },
    ]);

    // Positions: `<segment>.<offset>` of the frame that committed, in log order.
    for (const p of positions) assert.match(p, /^\d+\.\d+$/);
    const ordinal = (p: string): number => Number(p.split('.')[0]) * 1e12 + Number(p.split('.')[1]);
    assert.deepEqual(
      positions.map(ordinal),
      [...positions.map(ordinal)].sort((a, b) => a - b),
    );
    assert.deepEqual(await frameAt(dir, positions[0]!), { type: RecordType.State, completes: d1.id });
    assert.deepEqual(await frameAt(dir, positions[2]!), { type: RecordType.Completed });
    assert.deepEqual(await frameAt(dir, positions[5]!), { type: RecordType.DeadLettered });
    // The large commit's position is its LAST frame (the one that completes), after its first ones.
    assert.deepEqual(await frameAt(dir, positions[8]!), { type: RecordType.State, completes: d4.id });

    assert.deepEqual(read.start, { agent: 'alice', segments: [1], segment: 1, position: '1.24' });
    assert.deepEqual(read.summary, {
      segmentsRead: 1,
      segmentsVanished: 0,
      segmentsCut: [],
      events: 9,
      droppedDeliveries: 0,
      droppedSends: 0,
      droppedTimerIntents: 0,
      pendingDeliveries: 1,
      unclaimedSends: 1, // init's
      orphanCompletions: 0,
      timersWithoutRecord: 0,
      incompleteStateTransactions: 0,
      malformedFrames: 0,
    });

    // The agent named with its platform reads the same; another agent reads its own.
    assert.deepEqual((await readAll(dir, `alice@${PLATFORM}`)).events, read.events);
    const bob = await readAll(dir, 'bob');
    assert.deepEqual(withoutPositions(bob.events).events, [
      { kind: 'handled', work: { kind: 'message', delivery: b1 }, state: [{ key: 'k', value: 'v' }], sends: [], sendIndexes: [] },
      { kind: 'state', reset: false, writes: [{ key: 'count', value: '7' }] },
    ]);
    // Named on another platform, alice's sends are not hers: nothing claimed.
    const elsewhere = await readAll(dir, 'alice@elsewhere');
    assert.deepEqual(
      elsewhere.events.map((e) => (e.kind === 'handled' ? e.sends.length : 0)),
      [0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.equal(elsewhere.summary.unclaimedSends, 0);
  });

  test('a timer firing whose record is not in the log is yielded with no token and counted', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    const { log } = await openLog(dir);
    const noAt = derivedMessageId('x#timer', 0);
    await log.commitState('alice', [{ key: timerSetStateKey(noAt), value: JSON.stringify({ token: 'old-style', delayMs: 5 }) }]);
    await log.commitState('alice', [{ key: timerDoneStateKey(noAt), value: '1' }]);
    await log.commitState('alice', [{ key: timerDoneStateKey('t-unknown'), value: '1' }]);
    await log.close();
    const { events, summary } = await readAll(dir, 'alice');
    assert.deepEqual(
      events.map((e) => (e.kind === 'handled' ? e.work : e.kind)),
      [
        'state',
        { kind: 'timer', timerId: noAt, token: 'old-style', dueAt: undefined },
        { kind: 'timer', timerId: 't-unknown', token: undefined, dueAt: undefined },
      ],
    );
    assert.equal(summary.timersWithoutRecord, 1);
  });

  test('a pending delivery copied forward by compaction is yielded once', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    const SMALL = 2048;
    const pad = 'x'.repeat(170); // ~7 appends per segment
    const first = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0 });
    const straggler = deliveryTo('alice', 'n-straggler', `wait ${pad}`);
    await first.log.append([straggler]);
    // alice handled a message and sent bob one, which bob has not handled: copied forward too.
    const asked = deliveryTo('alice', 'n-ask', 'ask bob');
    const toBob = msg('alice', ['bob'], 'for bob');
    await first.log.append([asked]);
    await first.log.append(deliveriesOf(derivedMessageId(asked.id, 0), toBob));
    await first.log.complete([{ id: asked.id, receiver: 'alice' }]);
    const others = Array.from({ length: 30 }, (_, i) => deliveryTo('bob', `n-o${i}`, `other ${i} ${pad}`));
    for (const d of others) await first.log.append([d]);
    await first.log.complete(others.map((d) => ({ id: d.id, receiver: d.receiver })));
    await first.log.close();
    const oldest = (await segmentFiles(dir))[0]!;
    const saved = await fs.readFile(path.join(dir, oldest));

    // Compaction on: the straggler is copied into the active segment, the oldest segments deleted.
    const second = await openLog(dir, { segmentBytes: SMALL, compactionRatio: 0.5 });
    await waitFor('the oldest segment compacted away', async () => !(await segmentFiles(dir)).includes(oldest));
    assert.ok(second.log.stats().movedDeliveries >= 1);
    await second.log.complete([{ id: straggler.id, receiver: 'alice', state: [{ key: 'done', value: '1' }] }]);
    await second.log.close();
    // A reader that listed the directory before the deletion sees both the original and the copy.
    await fs.writeFile(path.join(dir, oldest), saved);
    let appends = 0;
    for (const name of await segmentFiles(dir)) {
      const bytes = await fs.readFile(path.join(dir, name));
      for (let at = bytes.indexOf(straggler.id); at >= 0; at = bytes.indexOf(straggler.id, at + 1)) appends++;
    }
    assert.ok(appends >= 3, `original, copy and completion on disk (found ${appends} mentions)`);

    const { events, summary } = await readAll(dir, 'alice');
    assert.deepEqual(withoutPositions(events).events, [
      { kind: 'handled', work: { kind: 'message', delivery: asked }, state: [], sends: [toBob], sendIndexes: [0] },
      { kind: 'handled', work: { kind: 'message', delivery: straggler }, state: [{ key: 'done', value: '1' }], sends: [], sendIndexes: [] },
    ]);
    assert.equal(summary.pendingDeliveries, 0);
    // The copy of alice's message to bob (its sequence number an old one) is not taken for a new send.
    assert.equal(summary.unclaimedSends, 0);
  });

  test('a completion whose delivery retention deleted is skipped; its state writes still come, marked', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    const SMALL = 2048;
    const pad = 'x'.repeat(170);
    const { log } = await openLog(dir, { segmentBytes: SMALL });
    const early = Array.from({ length: 12 }, (_, i) => deliveryTo('alice', `n-e${i}`, `early ${i} ${pad}`));
    for (const d of early) await log.append([d]);
    const late = deliveryTo('alice', 'n-late', `late ${pad}`);
    await log.append([late]);
    // Completed in the newest segment; the segments holding their appends then go (the first
    // append, early[0], is in the first segment for sure).
    await log.complete([{ id: early[0]!.id, receiver: 'alice', state: [{ key: 'n', value: '1' }] }]);
    await log.complete(early.slice(1).map((d) => ({ id: d.id, receiver: 'alice' })));
    await log.append([deliveryTo('bob', 'n-kick', 'a write after the completions')]);
    await waitFor('early segments deleted', () => log.stats().segmentsDeleted > 0);
    await log.complete([{ id: late.id, receiver: 'alice' }]);
    await log.close();

    const { events, summary, start } = await readAll(dir, 'alice');
    assert.ok(start.segment! > 1, 'the history starts at the oldest segment left');
    assert.equal(start.position, `${start.segment}.24`);
    const plain = withoutPositions(events).events;
    assert.deepEqual(plain[0], { kind: 'state', reset: false, writes: [{ key: 'n', value: '1' }], completes: early[0]!.id });
    assert.deepEqual(plain[plain.length - 1], {
      kind: 'handled',
      work: { kind: 'message', delivery: late },
      state: [],
      sends: [],
      sendIndexes: [],
    });
    // Between them, only the early deliveries whose appends are still on disk (a later segment's).
    const between = events.slice(1, -1);
    assert.ok(between.length < early.length - 1, `some completions were skipped (${between.length} kept)`);
    for (const e of between) {
      const id = e.kind === 'handled' && e.work.kind === 'message' ? e.work.delivery.id : undefined;
      assert.ok(early.slice(1).some((d) => d.id === id));
    }
    assert.equal(summary.orphanCompletions, 1);
  });

  test('bounded: past the caps the oldest pending delivery and unclaimed send are dropped, and counted', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    const { log } = await openLog(dir);
    // Three init sends (never claimed) and four deliveries, all completed at the end.
    for (let i = 0; i < 3; i++) await log.append(deliveriesOf(`n-init-${i}`, msg('alice', ['bob'], `init ${i}`)));
    const ds = Array.from({ length: 4 }, (_, i) => deliveryTo('alice', `n-${i}`, `ping ${i}`));
    for (const d of ds) await log.append([d]);
    // The last handling sends one message: claimed, cap or not (the newest is never the one dropped).
    const reply = msg('alice', ['bob'], 'pong 3');
    await log.append(deliveriesOf(derivedMessageId(ds[3]!.id, 0), reply));
    await log.complete(ds.map((d) => ({ id: d.id, receiver: 'alice' })));
    await log.close();

    const { events, summary } = await readAll(dir, 'alice', { maxPendingDeliveries: 2, maxUnclaimedSends: 1 });
    assert.deepEqual(withoutPositions(events).events, [
      { kind: 'handled', work: { kind: 'message', delivery: ds[2] }, state: [], sends: [], sendIndexes: [] },
      { kind: 'handled', work: { kind: 'message', delivery: ds[3] }, state: [], sends: [reply], sendIndexes: [0] },
    ]);
    assert.equal(summary.droppedDeliveries, 2);
    assert.equal(summary.droppedSends, 3, 'the three init sends, one by one, as newer sends came');
    assert.equal(summary.unclaimedSends, 0);

    const unbounded = await readAll(dir, 'alice');
    assert.equal(unbounded.events.length, 4);
    assert.equal(unbounded.summary.unclaimedSends, 3);
    assert.equal(unbounded.summary.droppedSends + unbounded.summary.droppedDeliveries, 0);
  });

  test('a torn tail ends its segment, a segment deleted meanwhile is skipped: both reported', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    // Compaction off, and each segment mostly live (a large delivery to bob left pending in each):
    // retention neither deletes nor compacts any.
    const { log } = await openLog(dir, { segmentBytes: 1024, compactionRatio: 0 });
    const ds = Array.from({ length: 12 }, (_, i) => deliveryTo('alice', `n-${i}`, `ping ${i} ${'y'.repeat(100)}`));
    for (const [i, d] of ds.entries()) {
      // One commit group, so a delivery and its completion share a segment.
      const appended = log.append([d, deliveryTo('bob', `n-bob-${i}`, 'q'.repeat(600))]);
      const completed = log.complete([{ id: d.id, receiver: 'alice', state: [{ key: 'last', value: d.id }] }]);
      await Promise.all([appended, completed]);
    }
    await log.close();
    const names = await segmentFiles(dir);
    assert.ok(names.length >= 3, `several segments (${names.length})`);
    const full = await readAll(dir, 'alice');
    assert.equal(full.events.length, 12);

    // A write torn by a crash at the end of the newest segment.
    const tail = path.join(dir, names[names.length - 1]!);
    const tailSize = (await fs.stat(tail)).size;
    await fs.appendFile(tail, Buffer.from([0x12, 0x34, 0x56, 0x78, 0xff, 0, 0, 0, 2, 1, 2]));
    // The second segment goes while the reader is in the first.
    const events: RecordedEvent[] = [];
    let summary: EmbeddedHistorySummary | undefined;
    for await (const e of readEmbeddedHistory(dir, 'alice', { onEnd: (s) => (summary = s) })) {
      if (events.length === 0) await fs.rm(path.join(dir, names[1]!));
      events.push(e);
    }
    const inSecond = full.events.filter((e) => e.position.startsWith(`${Number(names[1]!.slice(0, -4))}.`));
    assert.ok(inSecond.length > 0);
    assert.deepEqual(
      events,
      full.events.filter((e) => !inSecond.includes(e)),
    );
    assert.equal(summary!.segmentsVanished, 1);
    assert.deepEqual(summary!.segmentsCut, [
      { segment: Number(names[names.length - 1]!.slice(0, -4)), offset: tailSize, reason: 'record cut short' },
    ]);
  });

  test('small chunks: frames larger than a chunk are read whole', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    const { log } = await openLog(dir);
    const ds = Array.from({ length: 5 }, (_, i) => deliveryTo('alice', `n-${i}`, 'z'.repeat(5000 + i)));
    for (const d of ds) await log.append([d]);
    await log.complete(ds.map((d) => ({ id: d.id, receiver: 'alice', state: [{ key: d.id, value: 'w'.repeat(3000) }] })));
    await log.close();
    let frames = 0;
    const scan = scanSegmentFrames(path.join(dir, (await segmentFiles(dir))[0]!), () => frames++, 64);
    let step = await scan.next();
    while (!step.done) step = await scan.next();
    assert.deepEqual(step.value.ending, { kind: 'end' });
    assert.equal(frames, 10);
    const read = await readAll(dir, 'alice');
    assert.deepEqual(
      read.events.map((e) => e.kind === 'handled' && e.work.kind === 'message' && e.work.delivery.id),
      ds.map((d) => d.id),
    );
  });

  test('a directory without a log is a typed error with a hint', async (t) => {
    const dir = await tempDir(t, 'caxton-replay-');
    const missing = path.join(dir, 'nope');
    const refusal = (code: string) => (err: unknown) => {
      assert.ok(err instanceof ReplayError, String(err));
      assert.equal(err.code, code);
      assert.ok(err.hint && err.hint.length > 0);
      return true;
    };
    await assert.rejects(readAll(missing, 'alice'), refusal('replay.no-log'));
    await assert.rejects(readAll(dir, 'alice'), refusal('replay.no-log'), 'an empty directory holds no log either');
    await fs.writeFile(path.join(dir, 'file'), 'x');
    await assert.rejects(readAll(path.join(dir, 'file'), 'alice'), refusal('replay.no-log'));
    assert.deepEqual(await fs.readdir(dir), ['file'], 'nothing created');

    const { log } = await openLog(dir);
    await log.close();
    await assert.rejects(readAll(dir, ''), refusal('replay.invalid-argument'));
    await assert.rejects(readAll(dir, 'alice@'), refusal('replay.invalid-argument'));
    await assert.rejects(readAll(dir, 'alice', { maxPendingDeliveries: 0 }), refusal('replay.invalid-argument'));
    // A segment that is not one.
    await fs.writeFile(path.join(dir, '00000000000000000009.seg'), Buffer.alloc(64, 7));
    await assert.rejects(readAll(dir, 'alice'), refusal('replay.bad-segment'));
  });
});
