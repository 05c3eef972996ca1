/**
 * Retention converges when the agents' state is larger than one segment (decision 1991). Before it,
 * deleting the oldest segment snapshotted every agent based in it into the active segment, which
 * filled, became the oldest and was deleted the same way, for ever, while commits waited.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openLog, segmentFiles, tempDir, waitFor } from './helpers.js';

const SEGMENT_BYTES = 16 * 1024;

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
        for (let j = i; j < i + 100; j++) batch.push(log.commitState(`agent-${j}`, [{ key: 'count', value: String(round) }, { key: 'name', value: `counter number ${j}` }]));
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
