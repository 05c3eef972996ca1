/**
 * Which frames are one deployment's, for its own replay history (decision 2182), pure: frames built
 * as the log writes them, fed to the tracker, the kept ranges and the state head checked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Delivery, StateWrite } from '@caxton/core';
import { AgentHistoryTracker, MAX_VIEW_UNITS, deploymentOf, frameFacts } from '../../../src/log/embedded/agent-history-tracker.js';
import { encodeKeyedPayload } from '../../../src/log/embedded/payload.js';
import { FrameReader, FrameStatus, RecordType, encodeFrame } from '../../../src/log/embedded/record-format.js';
import { SHARED_COUNT_BYTES, sharedEntryBytes, writeSharedPayload } from '../../../src/log/embedded/shared-payload.js';
import { decodeStateFrame, encodeStateTransaction } from '../../../src/log/embedded/state-frames.js';

const appended = (d: Delivery): Buffer => encodeFrame(RecordType.Appended, encodeKeyedPayload(1, d.id, JSON.stringify(d)));
const completed = (id: string): Buffer => encodeFrame(RecordType.Completed, Buffer.from(id, 'utf8'));
const state = (agent: string, writes: StateWrite[], extra: { reset?: boolean; completes?: string } = {}): Buffer =>
  encodeFrame(
    RecordType.State,
    Buffer.from(encodeStateTransaction({ agent, reset: extra.reset ?? false, writes, ...extra }, 64 << 20)[0]!),
  );

function delivery(id: string, receiver: string, sender: string): Delivery {
  return {
    id,
    messageId: `m-${id}`,
    receiver,
    acceptedAt: 1,
    message: { performative: 'inform', sender: { name: sender }, receivers: [{ name: `${receiver}@p` }], content: id },
  };
}

function shared(entries: { id: string; receiver: string }[], sender: string): Buffer {
  const body = Buffer.from(
    JSON.stringify({ messageId: 'm-shared', acceptedAt: 1, message: { performative: 'inform', sender: { name: sender } } }),
  );
  let bytes = SHARED_COUNT_BYTES + body.length;
  for (const e of entries) bytes += sharedEntryBytes(e.id, e.receiver);
  const payload = Buffer.alloc(bytes);
  writeSharedPayload(
    payload,
    0,
    entries.map((e, i) => ({ ...e, seq: i + 1 })),
    body,
  );
  return encodeFrame(RecordType.AppendedShared, payload);
}

/** Feed `frames` as one segment, then commit it; the indexes of the frames kept. */
function kept(tracker: AgentHistoryTracker, frames: readonly Buffer[]): number[] {
  const buf = Buffer.concat(frames);
  const starts: number[] = [];
  for (let at = 0, i = 0; i < frames.length; at += frames[i]!.length, i++) starts.push(at);
  const reader = new FrameReader(buf, buf.length);
  tracker.startSegment();
  for (const start of starts) {
    assert.equal(reader.read(start), FrameStatus.Ok);
    tracker.frame(reader, start, frameFacts(reader, new Set([tracker.deployment])));
  }
  const ranges = tracker.keptRanges();
  const out: number[] = [];
  for (let r = 0; r < ranges.length; r += 2)
    starts.forEach((s, i) => {
      if (s >= ranges[r]! && s < ranges[r + 1]!) out.push(i);
    });
  tracker.commit();
  return out;
}

describe('agent history tracker (pure)', () => {
  test("a name's deployment: its platform, replica suffix and kind key left out", () => {
    assert.equal(deploymentOf('echo'), 'echo');
    assert.equal(deploymentOf('echo@caxton'), 'echo');
    assert.equal(deploymentOf('echo#r3@caxton'), 'echo');
    assert.equal(deploymentOf('counter/alice'), 'counter');
    assert.equal(deploymentOf('counter/alice@caxton'), 'counter');
  });

  test("keeps the deployment's deliveries (its replicas' and keys' too), what it sent, its completions and state; not others'", () => {
    const tracker = new AgentHistoryTracker('counter');
    const frames = [
      appended(delivery('d1', 'counter/a', 'bob@p')), // 0 kept: to a key of the kind
      appended(delivery('d2', 'bob', 'carol@p')), // 1 not: between others
      appended(delivery('d3', 'bob', 'counter/a@p')), // 2 kept: the kind's instance sent it
      shared(
        [
          { id: 'd4', receiver: 'bob' },
          { id: 'd5', receiver: 'counter#r2' },
        ],
        'carol@p',
      ), // 3 kept: one of its receivers is a replica of it
      completed('d2'), // 4 not: bob's
      completed('d1'), // 5 kept
      state('bob', [{ key: 'k', value: 'v' }]), // 6 not
      state('counter/a', [{ key: 'count', value: '1' }], { completes: 'd5' }), // 7 kept, completes d5
      completed('d5'), // 8 not: d5 was completed by the state transaction
      state('counterfeit', [{ key: 'k', value: 'v' }]), // 9 not: another name with the same start
    ];
    assert.deepEqual(kept(tracker, frames), [0, 2, 3, 5, 7]);
    assert.deepEqual(tracker.progressAfter(), { open: [], partial: false }, 'every delivery it had was settled');
  });

  test('an open delivery is carried to the next segment; its completion there is kept', () => {
    const tracker = new AgentHistoryTracker('echo');
    assert.deepEqual(kept(tracker, [appended(delivery('d1', 'echo', 'bob@p'))]), [0]);
    const next = new AgentHistoryTracker('echo', tracker.progressAfter());
    assert.deepEqual(kept(next, [completed('x'), completed('d1')]), [1]);
  });

  test('the head is the state the kept frames leave, per instance, as reset transactions; none once it grew past its bound', () => {
    const tracker = new AgentHistoryTracker('counter');
    kept(tracker, [
      state('counter/a', [{ key: 'n', value: '1' }]),
      state('counter/b', [
        { key: 'n', value: '7' },
        { key: 'gone', value: 'x' },
      ]),
      state('counter/b', [{ key: 'gone', value: null }]),
      state('counter/c', [{ key: 'n', value: '1' }]),
      state('counter/c', [], { reset: true }),
    ]);
    const heads = tracker.headFrames(1 << 20).map((f) => {
      const reader = new FrameReader(f, f.length);
      assert.equal(reader.read(0), FrameStatus.Ok);
      return decodeStateFrame(f.toString('utf8', reader.payloadStart, reader.payloadEnd));
    });
    assert.deepEqual(
      heads.map((h) => [h?.agent, h?.reset, h?.writes]),
      [
        ['counter/a', true, [{ key: 'n', value: '1' }]],
        ['counter/b', true, [{ key: 'n', value: '7' }]],
      ],
    );
    kept(tracker, [state('counter/a', [{ key: 'big', value: 'x'.repeat(MAX_VIEW_UNITS) }])]);
    assert.equal(tracker.partial, true);
    assert.deepEqual(tracker.headFrames(1 << 20), [], 'no head from a view given up');
    // Each instance is known again from its next reset; the others stay unknown (no head for them).
    kept(tracker, [state('counter/b', [{ key: 'n', value: '8' }], { reset: true }), state('counter/a', [{ key: 'n', value: '2' }])]);
    assert.deepEqual(
      tracker.headFrames(1 << 20).map((f) => f.toString('utf8', 9)),
      ['{"a":"counter/b","r":1,"w":[["n","8"]]}'],
    );
  });

  test("nothing moves until a segment's finding is committed: a copy that failed is read again from the same state", () => {
    const tracker = new AgentHistoryTracker('echo');
    kept(tracker, [appended(delivery('d1', 'echo', 'bob@p')), state('echo', [{ key: 'n', value: '1' }])]);
    const frames = [completed('d1'), state('echo', [{ key: 'n', value: '2' }])];
    const buf = Buffer.concat(frames);
    const reader = new FrameReader(buf, buf.length);
    tracker.startSegment();
    for (const start of [0, frames[0]!.length]) {
      reader.read(start);
      tracker.frame(reader, start, frameFacts(reader, new Set(['echo'])));
    }
    assert.deepEqual(tracker.progressAfter().open, [], 'd1 would be settled');
    // The copy failed: the segment is read again, from the state before it.
    tracker.startSegment();
    assert.deepEqual(
      tracker.headFrames(1 << 20).map((f) => f.toString('utf8', 9)),
      ['{"a":"echo","r":1,"w":[["n","1"]]}'],
    );
    assert.deepEqual(tracker.progressAfter().open, ['d1']);
    assert.deepEqual(kept(tracker, frames), [0, 1], "d1's completion is still the agent's");
    assert.deepEqual(
      tracker.headFrames(1 << 20).map((f) => f.toString('utf8', 9)),
      ['{"a":"echo","r":1,"w":[["n","2"]]}'],
    );
  });
});
