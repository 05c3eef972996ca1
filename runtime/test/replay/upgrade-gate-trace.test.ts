/**
 * The node's step-view replay (decision 2181) keeps to its bounds whatever the history does: its
 * time covers the whole read (a reader that crosses a long stretch of other agents' records and
 * yields nothing is ended too), and a node runs at most TRACE_MAX_CONCURRENT at once, the next one
 * refused as busy (resource-exhausted) until one ends. Real sandbox, real component.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '@caxton/sandbox';
import type { AgentRecord } from '../../src/storage/records.js';
import type { HistoryReader, RecordedEvent } from '../../src/replay/recorded.js';
import { TRACE_MAX_CONCURRENT, UpgradeGate } from '../../src/replay/upgrade-gate.js';
import { TEST_ENGINE_CACHE } from '../support/engine-cache.js';
import { example } from '../support/examples.js';

/** A reader that reads on (other agents' records) and never reaches one of the agent's, until told to stop. */
const endless: HistoryReader = async function* (_agent, opts = {}): AsyncGenerator<RecordedEvent, undefined> {
  for (;;) {
    opts.signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, 5));
  }
};

function record(digest: string): AgentRecord {
  return { name: 'counter', version: 1, artifactDigest: digest, createdAt: 1, updatedAt: 1, limits: {} } as unknown as AgentRecord;
}

describe('the step-view replay on the node', () => {
  const engine = new Engine({ cacheDir: TEST_ENGINE_CACHE });

  it('ends a read that crosses only other records at its bound, typed, with the command to run instead', async () => {
    const counter = await example('as-state-counter');
    const gate = new UpgradeGate({ engine, history: endless, platform: 'caxton', deadlineMs: 300 });
    const started = Date.now();
    await assert.rejects(
      gate.trace('counter', record(counter.sha256), counter.bytes, "it's 7"),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'agent.replay-unsupported');
        assert.match(e.message, /ran past 0 s|ran past 1 s/);
        // The conversation id is a sender's: quoted as one shell word in the hint.
        assert.equal(e.hint, `run it beside the node: caxton replay counter --conversation 'it'\\''s 7' --trace`);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000, 'ended at its bound, not when the read ended');
  });

  it(`runs ${TRACE_MAX_CONCURRENT} at once and refuses the next as busy until one ends`, async () => {
    const counter = await example('as-state-counter');
    const gate = new UpgradeGate({ engine, history: endless, platform: 'caxton', deadlineMs: 1_000 });
    const running = Array.from({ length: TRACE_MAX_CONCURRENT }, () =>
      gate.trace('counter', record(counter.sha256), counter.bytes, 'c').catch((e: Error & { code?: string }) => e.code),
    );
    await assert.rejects(
      gate.trace('counter', record(counter.sha256), counter.bytes, 'c'),
      (e: Error & { code?: string; kind?: string }) => {
        assert.equal(e.code, 'agent.replay-busy');
        assert.equal(e.kind, 'resource-exhausted');
        return true;
      },
    );
    assert.deepEqual(await Promise.all(running), Array(TRACE_MAX_CONCURRENT).fill('agent.replay-unsupported'));
    // Ended: the next may run (and end at its bound in turn).
    await assert.rejects(gate.trace('counter', record(counter.sha256), counter.bytes, 'c'), { code: 'agent.replay-unsupported' });
  });
});
