/** The pure parts of recovery: damage verdicts, state rebuild, retention planning, dedup window. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdWindow } from '../../../src/log/id-window.js';
import { scanFrames, type ScanOptions } from '../../../src/log/embedded/frame-scan.js';
import { encodeKeyedPayload, readIdPayload } from '../../../src/log/embedded/payload.js';
import { RecordType, encodeFrame } from '../../../src/log/embedded/record-format.js';
import type { SegmentRef } from '../../../src/log/embedded/pending-entry.js';
import { RecoveryPlanner } from '../../../src/log/embedded/recovery-planner.js';
import { planRetention } from '../../../src/log/embedded/retention-plan.js';

function completedFrames(ids: string[]): Buffer[] {
  return ids.map((id) => encodeFrame(RecordType.Completed, Buffer.from(id)));
}

function scanIds(buf: Buffer, options: ScanOptions): { ids: string[]; result: ReturnType<typeof scanFrames> } {
  const ids: string[] = [];
  const result = scanFrames(buf, 0, options, (reader) => {
    ids.push(readIdPayload(reader.buf, reader.payloadStart, reader.payloadEnd));
    return true;
  });
  return { ids, result };
}

describe('scanFrames', () => {
  const frames = completedFrames(['a', 'b', 'c', 'd']);
  const clean = Buffer.concat(frames);
  const tail: ScanOptions = { isTail: true, policy: 'refuse' };

  test('a clean file yields every frame and no verdict', () => {
    const { ids, result } = scanIds(clean, tail);
    assert.deepEqual(ids, ['a', 'b', 'c', 'd']);
    assert.deepEqual(result, { end: clean.length, tornAt: undefined, tornReason: undefined, skipped: [], refused: undefined });
  });

  test('a torn last frame in the tail is cut at the previous frame', () => {
    const { ids, result } = scanIds(clean.subarray(0, clean.length - 2), tail);
    assert.deepEqual(ids, ['a', 'b', 'c']);
    assert.equal(result.tornAt, clean.length - frames[3]!.length);
    assert.equal(result.tornReason, 'record cut short');
  });

  test('garbage after the last frame of the tail is a torn write', () => {
    const { ids, result } = scanIds(Buffer.concat([clean, Buffer.alloc(100)]), tail);
    assert.deepEqual(ids, ['a', 'b', 'c', 'd']);
    assert.equal(result.tornAt, clean.length);
  });

  test('damage with valid frames after it is corruption: refused by default', () => {
    const damaged = Buffer.from(clean);
    damaged[frames[0]!.length + 9]! ^= 0xff; // the payload byte of frame b
    const { ids, result } = scanIds(damaged, tail);
    assert.deepEqual(ids, ['a']);
    assert.deepEqual(result.refused, { offset: frames[0]!.length, reason: 'checksum mismatch' });
    assert.equal(result.tornAt, undefined);
  });

  test("policy 'skip' jumps over the damage and reports the range", () => {
    const damaged = Buffer.from(clean);
    const bStart = frames[0]!.length;
    damaged[bStart + 9]! ^= 0xff;
    const { ids, result } = scanIds(damaged, { isTail: true, policy: 'skip' });
    assert.deepEqual(ids, ['a', 'c', 'd']);
    assert.deepEqual(result.skipped, [{ from: bStart, to: bStart + frames[1]!.length, reason: 'checksum mismatch' }]);
    assert.equal(result.end, clean.length);
  });

  test('in an older segment even a bad end is corruption, not a torn write', () => {
    const { result } = scanIds(clean.subarray(0, clean.length - 2), { isTail: false, policy: 'refuse' });
    assert.equal(result.tornAt, undefined);
    assert.equal(result.refused?.reason, 'record cut short');
  });

  test('a frame the visitor rejects counts as damage', () => {
    const result = scanFrames(clean, 0, tail, (reader) => readIdPayload(reader.buf, reader.payloadStart, reader.payloadEnd) !== 'd');
    assert.equal(result.tornAt, clean.length - frames[3]!.length);
    assert.equal(result.tornReason, 'malformed payload');
  });
});

describe('RecoveryPlanner', () => {
  const segment = (no: number): SegmentRef => ({ no, live: 0, appended: 0, stateBytes: 0, basedBytes: 0 });
  const summary = (state: ReturnType<RecoveryPlanner['finish']>): [string, number, number][] =>
    [...state.pending].map(([id, e]) => [id, e.seq, e.segment!.no]);

  test('pending = appended − completed, in append order, with live counts per segment', () => {
    const done = new IdWindow(10);
    const planner = new RecoveryPlanner(done);
    const [s1, s2] = [segment(1), segment(2)];
    planner.appended('x', 0, s1, 24);
    planner.appended('y', 1, s1, 100);
    planner.appended('z', 2, s2, 24);
    planner.completed('y');
    planner.completed('ghost'); // its append was in a deleted segment: must not appear
    const state = planner.finish();
    assert.deepEqual(summary(state), [
      ['x', 0, 1],
      ['z', 2, 2],
    ]);
    assert.deepEqual([s1.live, s1.appended, s2.live, s2.appended], [1, 2, 1, 1]);
    assert.equal(state.nextSeq, 3);
    assert.ok(done.has('y') && done.has('ghost'));
  });

  test('a compaction copy moves the entry but keeps its place in append order', () => {
    const planner = new RecoveryPlanner(new IdWindow(0));
    const [s1, s2, s3] = [segment(1), segment(2), segment(3)];
    planner.appended('old', 0, s1, 24);
    planner.appended('newer', 1, s2, 24);
    planner.appended('old', 0, s3, 40); // copy; segment 1 not deleted yet
    const state = planner.finish();
    assert.deepEqual(summary(state), [
      ['old', 0, 3],
      ['newer', 1, 2],
    ]);
    assert.equal(state.pending.get('old')!.offset, 40);
    assert.deepEqual([s1.live, s1.appended, s3.live, s3.appended], [0, 1, 1, 1]);
  });

  test('copies whose original segment is gone are sorted back by sequence number', () => {
    const planner = new RecoveryPlanner(new IdWindow(0));
    const [s4, s5] = [segment(4), segment(5)];
    planner.appended('b', 5, s4, 24);
    planner.appended('c', 6, s4, 90);
    planner.appended('a', 2, s5, 24); // copied straggler, its segment deleted
    planner.appended('d', 7, s5, 90);
    assert.deepEqual([...planner.finish().pending.keys()], ['a', 'b', 'c', 'd']);
  });

  test('segment headers keep the sequence going when every append was deleted', () => {
    const planner = new RecoveryPlanner(new IdWindow(0));
    planner.sawBaseSeq(1234);
    assert.equal(planner.finish().nextSeq, 1234);
  });
});

describe('planRetention', () => {
  test('keeps the history for replay (decision 2179): the newest closed segments, younger than its time and within its bytes, are neither deleted nor compacted', () => {
    const now = 1_000_000;
    const dead = (no: number, closedAgoMs: number | undefined) => ({
      no,
      live: 0,
      appended: 10,
      bytes: 100,
      ...(closedAgoMs === undefined ? {} : { closedAt: now - closedAgoMs }),
    });
    const closed = [dead(1, 9_000), dead(2, 5_000), dead(3, 2_000), dead(4, 1_000)];
    assert.deepEqual(planRetention(closed, 0.25), { delete: [1, 2, 3, 4], compact: undefined }, 'no history: every dead one goes');
    assert.deepEqual(planRetention(closed, 0.25, { ms: 6_000, bytes: 1_000, now }), { delete: [1], compact: undefined }, 'by time');
    assert.deepEqual(
      planRetention(closed, 0.25, { ms: 6_000, bytes: 250, now }),
      { delete: [1, 2], compact: undefined },
      'by bytes, newest first',
    );
    assert.deepEqual(
      planRetention(closed, 0.25, { ms: 0, bytes: 1_000, now }),
      { delete: [1, 2, 3, 4], compact: undefined },
      '0 s: none kept',
    );
    assert.deepEqual(
      planRetention([dead(1, 9_000), dead(2, undefined), dead(3, 1_000)], 0.25, { ms: 6_000, bytes: 1_000, now }),
      { delete: [1, 2], compact: undefined },
      'a segment whose close time is unknown ends the history (what is older than it goes too)',
    );
    // A straggler inside the history is not copied forward: it stays where replay reads it.
    const straggler = [dead(1, 9_000), { no: 2, live: 1, appended: 10, bytes: 100, closedAt: now - 1_000 }];
    assert.deepEqual(planRetention(straggler, 0.25), { delete: [1], compact: 2 });
    assert.deepEqual(planRetention(straggler, 0.25, { ms: 6_000, bytes: 1_000, now }), { delete: [1], compact: undefined });
  });

  test('deletes only a prefix of dead segments', () => {
    const closed = [
      { no: 1, live: 0, appended: 10 },
      { no: 2, live: 8, appended: 10 },
      { no: 3, live: 0, appended: 10 },
      { no: 4, live: 10, appended: 10 },
    ];
    assert.deepEqual(planRetention(closed, 0.25), { delete: [1], compact: undefined });
  });

  test('compacts the oldest remaining segment when it holds few pending deliveries', () => {
    const plan = planRetention(
      [
        { no: 1, live: 0, appended: 10 },
        { no: 2, live: 2, appended: 10 },
        { no: 3, live: 0, appended: 10 },
      ],
      0.25,
    );
    assert.deepEqual(plan, { delete: [1], compact: 2 });
  });

  test('compacts even a dense oldest segment when the closed segments are mostly garbage', () => {
    // Segment 1 holds copied stragglers (dense), segments 2 and 3 are nearly all completed.
    const closed = [
      { no: 1, live: 90, appended: 100 },
      { no: 2, live: 5, appended: 100 },
      { no: 3, live: 5, appended: 100 },
    ];
    assert.deepEqual(planRetention(closed, 0.25), { delete: [], compact: 1 });
    // Not when most of what they hold is still pending (a consumer backlog): copying would not pay.
    const backlog = [
      { no: 1, live: 90, appended: 100 },
      { no: 2, live: 80, appended: 100 },
    ];
    assert.deepEqual(planRetention(backlog, 0.25), { delete: [], compact: undefined });
  });

  test('nothing to do when the oldest segment is busy or there are no closed segments', () => {
    assert.deepEqual(planRetention([{ no: 1, live: 9, appended: 10 }], 0.25), { delete: [], compact: undefined });
    assert.deepEqual(planRetention([], 0.25), { delete: [], compact: undefined });
  });
});

describe('IdWindow (the dedup window)', () => {
  test('remembers the last N ids and forgets the oldest first', () => {
    const window = new IdWindow(3);
    for (const id of ['a', 'b', 'c', 'a', 'd']) window.add(id);
    assert.equal(window.size, 3);
    assert.equal(window.has('a'), false);
    assert.ok(window.has('b') && window.has('c') && window.has('d'));
  });

  test('capacity 0 remembers nothing', () => {
    const window = new IdWindow(0);
    window.add('a');
    assert.equal(window.has('a'), false);
  });
});

// Keyed payloads are exercised in framing.test.ts; this keeps the import honest for appended frames.
test('scanFrames hands appended frames to the visitor too', () => {
  const buf = encodeFrame(RecordType.Appended, encodeKeyedPayload(0, 'k', '{}'));
  const types: RecordType[] = [];
  scanFrames(buf, 0, { isTail: true, policy: 'refuse' }, (reader) => types.push(reader.type) > 0);
  assert.deepEqual(types, [RecordType.Appended]);
});
