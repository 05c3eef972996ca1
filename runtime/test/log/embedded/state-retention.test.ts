/**
 * Retention converges when the agents' state is larger than one segment (decision 1991). Before it,
 * deleting the oldest segment snapshotted every agent based in it into the active segment, which
 * filled, became the oldest and was deleted the same way, for ever, while commits waited.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FRAME_HEADER_BYTES } from '../../../src/log/embedded/record-format.js';
import { planRetention } from '../../../src/log/embedded/retention-plan.js';
import { encodeStateTransaction } from '../../../src/log/embedded/state-frames.js';
import { StateView } from '../../../src/log/embedded/state-view.js';
import { openLog, tempDir, waitFor } from './helpers.js';

const SEGMENT_BYTES = 16 * 1024;

describe('live state in retention decisions (pure)', () => {
  const segment = (no: number) => ({ no, live: 0, appended: 0, stateBytes: 0, basedBytes: 0 });

  test("a segment's based bytes are exactly the one-frame snapshots of the agents based in it", () => {
    const view = new StateView();
    const [s1, s2] = [segment(1), segment(2)];
    view.apply({
      agent: 'a',
      reset: false,
      writes: [
        { key: 'k', value: 'v' },
        { key: 'ü"\u0001', value: '値' },
      ],
    });
    view.placed('a', false, s1);
    view.apply({ agent: 'b', reset: false, writes: [{ key: 'x', value: '1' }] });
    view.placed('b', false, s1);
    view.apply({
      agent: 'a',
      reset: false,
      writes: [
        { key: 'k', value: 'longer value' },
        { key: 'gone', value: null },
      ],
    });
    view.placed('a', false, s2); // a delta: a's base stays in s1, with its new size
    const snapshotFrame = (agent: string): number => {
      const [payload, ...more] = encodeStateTransaction({ agent, reset: true, writes: view.snapshot(agent) }, 1 << 20);
      assert.equal(more.length, 0);
      return FRAME_HEADER_BYTES + Buffer.byteLength(payload!);
    };
    assert.equal(view.snapshotBytes('a'), snapshotFrame('a'));
    assert.equal(s1.basedBytes, snapshotFrame('a') + snapshotFrame('b'));
    assert.equal(s2.basedBytes, 0);
    view.apply({ agent: 'a', reset: true, writes: view.snapshot('a') });
    view.placed('a', true, s2); // a snapshot moves the base
    assert.equal(s1.basedBytes, snapshotFrame('b'));
    assert.equal(s2.basedBytes, snapshotFrame('a'));
    view.apply({ agent: 'b', reset: true, writes: [] }); // emptied: nothing live any more
    assert.equal(s1.basedBytes, 0);
  });

  test('a segment holding based state is not dead; it is compacted only when copying frees space', () => {
    const state = (no: number, bytes: number, basedBytes: number) => ({ no, live: 0, appended: 0, bytes, stateBytes: bytes, basedBytes });
    // All live: kept, nothing copied (the case that used to rewrite every segment for ever).
    assert.deepEqual(planRetention([state(1, 1000, 990), state(2, 1000, 1000)], 0.25), { delete: [], compact: undefined });
    // A mostly superseded head is compacted; a dead one deleted.
    assert.deepEqual(planRetention([state(1, 1000, 0), state(2, 1000, 200), state(3, 1000, 1000)], 0.25), { delete: [1], compact: 2 });
    // A dense head is compacted when the closed segments are mostly garbage (in bytes).
    assert.deepEqual(planRetention([state(1, 1000, 1000), state(2, 1000, 100), state(3, 1000, 100)], 0.25), { delete: [], compact: 1 });
    // Pending deliveries weigh their share of the non-state bytes.
    assert.deepEqual(planRetention([{ no: 1, live: 5, appended: 10, bytes: 2000, stateBytes: 1000, basedBytes: 900 }], 0.25), {
      delete: [],
      compact: undefined,
    });
    assert.deepEqual(planRetention([{ no: 1, live: 1, appended: 10, bytes: 2000, stateBytes: 1000, basedBytes: 100 }], 0.25), {
      delete: [],
      compact: 1,
    });
  });
});

describe('embedded log retention with state larger than a segment', () => {
  test('one commit each for many agents: every commit returns, nothing is rewritten, state intact after reopen', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_BYTES });
    const agents = 3000; // ~60 bytes of state frame each: ~11 segments' worth
    for (let i = 0; i < agents; i += 50) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < i + 50; j++) batch.push(log.commitState(`agent-${j}`, [{ key: 'count', value: String(j) }]));
      await Promise.all(batch);
    }
    const stats = log.stats();
    assert.equal(stats.state.agents, agents);
    // Every closed segment is all live state: nothing to gain by copying it.
    assert.equal(stats.state.snapshots, 0, 'no snapshots were written');
    assert.equal(stats.segmentsDeleted, 0);
    assert.ok(stats.segments >= 5, `state spans ${stats.segments} segments`);
    await log.close();
    const { log: reopened } = await openLog(dir, { segmentBytes: SEGMENT_BYTES });
    assert.equal(reopened.stats().state.agents, agents);
    for (const j of [0, 1234, agents - 1]) assert.equal((await reopened.readState(`agent-${j}`)).get('count'), String(j));
    await reopened.close();
  });

  test('state rewritten over and over: old segments are reclaimed and disk stays within a multiple of the live state', async (t) => {
    const dir = await tempDir(t);
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_BYTES });
    const agents = 600;
    const rounds = 20;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < agents; i += 100) {
        const batch: Promise<void>[] = [];
        for (let j = i; j < i + 100; j++)
          batch.push(
            log.commitState(`agent-${j}`, [
              { key: 'count', value: String(round) },
              { key: 'name', value: `counter number ${j}` },
            ]),
          );
        await Promise.all(batch);
      }
    }
    await waitFor('retention settles', () => log.stats().bytes <= 4 * liveBytes(agents) + 2 * SEGMENT_BYTES);
    const stats = log.stats();
    assert.ok(stats.segmentsDeleted > 0, 'old segments were deleted');
    // The state written (rounds × agents commits) is far larger than what stays on disk.
    assert.ok(stats.bytes < (rounds * liveBytes(agents)) / 3, `disk ${stats.bytes} bytes`);
    await log.close();
    const { log: reopened } = await openLog(dir, { segmentBytes: SEGMENT_BYTES });
    for (const j of [0, 321, agents - 1]) {
      const state = await reopened.readState(`agent-${j}`);
      assert.deepEqual([state.get('count'), state.get('name')], [String(rounds - 1), `counter number ${j}`]);
    }
    assert.equal(reopened.stats().state.agents, agents);
    await reopened.close();
  });
});

/** About what one agent's state frame takes on disk in the test above. */
function liveBytes(agents: number): number {
  return agents * 90;
}
