/**
 * A recorded rollout whose start failed on the node running the agent for a passing reason (the
 * artifact store unreachable, decision 2171) is tried again while the agent runs there and the
 * record still holds it — not left recorded with nothing running it until the record changes.
 * The rollout machinery itself is the real one elsewhere (test/cluster/rollout); here its start is
 * a recorder, and the store fails as often as a test says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Instrumentation } from '@caxton/core';
import { RecordedRollouts, retryDelayMs } from '../../src/node/rollouts/recorded-rollouts.js';
import type { AgentLifecycleEvent } from '../../src/node/local-agents.js';
import type { AgentRecord, RolloutRecord } from '../../src/storage/records.js';
import type { Rollouts } from '../../src/node/rollouts/index.js';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js';
import type { AgentHost } from '../../src/node/agent-host.js';

const base = { name: 'counter', version: 1, artifactDigest: 'a'.repeat(64) } as AgentRecord;
const rollout = (startedAt: number): RolloutRecord =>
  ({
    candidate: { ...base, version: 2, artifactDigest: 'b'.repeat(64) },
    artifactSize: 10,
    strategy: { kind: 'blue-green' },
    thresholds: { bakeMs: 1000 },
    startedAt,
  }) as unknown as RolloutRecord;

function harness(opts: { storeFailures: number; live: () => AgentRecord | undefined }) {
  const started: number[] = [];
  const logs: string[] = [];
  const reads = { latest: 0 };
  const ended: boolean[] = [];
  let failures = opts.storeFailures;
  let startedAll = (): void => {};
  const events = new Instrumentation<AgentLifecycleEvent>();
  events.on((e) => {
    if (e.type === 'agent-log') logs.push(e.message);
  });
  const recorded = new RecordedRollouts({
    rollouts: {
      busy: () => undefined,
      inProgress: () => undefined,
      recordedPhase: () => undefined,
      endedElsewhere: async (_name: string, _reason: string, force: boolean) => {
        ended.push(force);
      },
      start: async (_c: AgentRecord, _s: number, _st: unknown, _t: unknown, startedAt: number) => {
        started.push(startedAt);
        startedAll();
      },
    } as unknown as Rollouts,
    artifacts: {
      get: async () => {
        if (failures-- > 0) throw new Error('the artifact store is unreachable');
        return new Uint8Array([0]);
      },
    } as unknown as ArtifactStore,
    host: { prepare: async () => {} } as unknown as AgentHost,
    events,
    end: async () => undefined,
    // The residency's refollow: the live record, followed again (in the agent's order of steps there).
    refollow: async (name: string) => {
      reads.latest++;
      const live = opts.live();
      if (live === undefined) return false;
      assert.equal(live.name, name);
      await recorded.follow(live);
      return true;
    },
    retryDelayMs: () => 5,
  });
  const firstStart = new Promise<void>((resolve) => (startedAll = resolve));
  return { recorded, started, logs, firstStart, reads, ended };
}

describe('a recorded rollout whose start failed for a passing reason', () => {
  it('is tried again until it starts, while the agent runs here and the record holds it', async () => {
    const record = { ...base, rollout: rollout(100) };
    const h = harness({ storeFailures: 3, live: () => record });
    await h.recorded.follow(record);
    assert.deepEqual(h.started, [], 'the first attempt failed');
    await h.firstStart;
    assert.deepEqual(h.started, [100], 'started once, by the fourth attempt');
    assert.equal(h.logs.filter((l) => /not started on this node yet .*unreachable.*tried again in 5 ms/.test(l)).length, 3);
    h.recorded.close();
  });

  it('is not tried again once the agent no longer runs here; a record holding another rollout starts that one', async () => {
    let live: AgentRecord | undefined = { ...base, rollout: rollout(100) };
    const h = harness({ storeFailures: 1, live: () => live });
    live = undefined; // moved away before the retry falls due
    await h.recorded.follow({ ...base, rollout: rollout(100) });
    const other = harness({ storeFailures: 1, live: () => ({ ...base, rollout: rollout(200) }) });
    await other.recorded.follow({ ...base, rollout: rollout(100) });
    // Both retries (due in 5 ms) run before this 50 ms timer (timers fire in the order they fall
    // due, microtasks drained between them) and find nothing to do.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([h.reads.latest, other.reads.latest], [1, 1], 'each retry read the live record once');
    assert.deepEqual(h.started, []);
    assert.deepEqual(other.started, [200], 'the record holds another rollout now: the retry started that one (its store answered)');
    h.recorded.close();
    other.recorded.close();
  });

  it('stops retrying when the node closes', async () => {
    const record = { ...base, rollout: rollout(100) };
    const h = harness({ storeFailures: 1, live: () => record });
    await h.recorded.follow(record);
    h.recorded.close();
    await new Promise((r) => setTimeout(r, 50)); // past the retry's due time (5 ms): it was cleared
    assert.equal(h.reads.latest, 0);
    assert.deepEqual(h.started, []);
  });

  it('waits 1 s, then twice as long each time, at most 30 s', () => {
    assert.deepEqual([1, 2, 3, 5, 6, 10].map(retryDelayMs), [1000, 2000, 4000, 16_000, 30_000, 30_000]);
  });
});

describe('a record that no longer holds the rollout', () => {
  it("ends the local one, its new instance stopped at once when the agent's stop is forced (stop --force --keep-queue)", async () => {
    const h = harness({ storeFailures: 0, live: () => undefined });
    await h.recorded.follow(base);
    await h.recorded.follow(base, true);
    assert.deepEqual(h.ended, [false, true]);
  });
});
