/**
 * Restart backoff (decision 1720): the pure schedule (50 ms doubling to 5 s, ±20 % jitter, a streak
 * ends after 30 s of healthy running), and a crash-looping hostile agent (examples/hostile/
 * as-unreachable: `unreachable` on every message) in a real ShardPool, fed a message as soon as it
 * is allowed one: its crashes are recorded further and further apart — the gaps between the crash
 * times the sandbox recorded grow, each at least the delay the pool announced — and the work that
 * arrived during a delay waited (it ran after the delay, as one attempt each), until the restart
 * policy failed the agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestartBackoff, DEFAULT_RESTART_BACKOFF } from '../src/restart-backoff.js';
import { ShardPool, type PoolEvent } from '../src/shard/shard-pool.js';
import { TEST_ENGINE_CACHE, example } from './fixtures/build.js';
import { work } from './helpers.js';

describe('the restart backoff schedule', () => {
  it('doubles from 50 ms and caps at 5 s (no jitter at the middle of its range)', () => {
    const b = new RestartBackoff(DEFAULT_RESTART_BACKOFF, () => 0.5);
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const d = b.crashed(now);
      delays.push(d);
      now += d + 5; // crashes again 5 ms after each restart
    }
    assert.deepEqual(delays, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    assert.equal(b.consecutiveCrashes, 10);
  });

  it('jitters each delay within ±20 %, never past the cap', () => {
    const low = new RestartBackoff(DEFAULT_RESTART_BACKOFF, () => 0);
    const high = new RestartBackoff(DEFAULT_RESTART_BACKOFF, () => 0.999999);
    assert.equal(low.crashed(0), 40);
    assert.equal(high.crashed(0), 60);
    for (let i = 0; i < 10; i++) high.crashed(1);
    assert.equal(high.crashed(2), 5000);
  });

  it('starts a new streak after 30 s of healthy running, and says how long is left', () => {
    const b = new RestartBackoff(DEFAULT_RESTART_BACKOFF, () => 0.5);
    b.crashed(0);
    assert.equal(b.crashed(60), 100);
    assert.equal(b.remaining(100), 60);
    assert.equal(b.remaining(1_000), 0);
    assert.equal(b.crashed(160 + 29_999), 200, 'not yet healthy long enough');
    assert.equal(b.crashed(160 + 29_999 + 200 + 30_000), 50, 'healthy for 30 s since its restart: a new streak');
  });
});

const unreachable = example('hostile/as-unreachable/build/hostile-as-unreachable.wasm');
const echo = example('as-echo/build/as-echo.wasm');

describe('a crash-looping agent in a shard pool', {
  skip: unreachable ? false : 'examples/hostile/as-unreachable is not built (scripts/build-examples.mjs)',
}, () => {
  let pool: ShardPool;
  before(() => {
    pool = new ShardPool({ shards: 1, engine: { cacheDir: TEST_ENGINE_CACHE } });
  });
  after(async () => {
    await pool.close();
  });

  it('restarts with growing delays; work waits out each delay and is not an attempt until it runs', async () => {
    const agent = 'crasher@test';
    const maxRestarts = 6;
    await pool.deploy({ name: agent, artifact: unreachable!, restartPolicy: { maxRestarts, windowMs: 60_000 } });
    const delays: number[] = [];
    const off = pool.events.on(
      (e: PoolEvent) => {
        if (e.type === 'restart-delayed' && e.agent === agent) delays.push(e.delayMs);
      },
      ['restart-delayed'],
    );
    const statuses: string[] = [];
    // The caller does not wait: each message is handed over as soon as the last one came back.
    for (let i = 0; i < maxRestarts + 3 && pool.state(agent) !== 'failed'; i++) {
      const [r] = await pool.deliver([work(agent, `boom ${i}`)]);
      statuses.push(r!.status);
    }
    off();
    const [m] = await pool.metrics(agent);
    assert.equal(m!.state, 'failed', 'the restart policy still fails a crash loop');
    assert.deepEqual(statuses, [...Array(maxRestarts + 1).fill('crashed')], 'every message ran once, after its delay: one attempt each');
    const crashes = m!.restartHistory;
    assert.equal(crashes.length, maxRestarts + 1);
    assert.equal(delays.length, maxRestarts, 'a delay before each restart, none after the crash that failed it');
    const gaps = crashes.slice(1).map((t, i) => t - crashes[i]!);
    for (let i = 0; i < gaps.length; i++) {
      assert.ok(gaps[i]! >= delays[i]!, `gap ${i} (${gaps[i]} ms) is at least the announced delay (${delays[i]} ms): ${gaps.join(', ')}`);
      if (i > 0) assert.ok(delays[i]! > delays[i - 1]!, `the delays grow: ${delays.join(', ')}`);
      // From the third on, consecutive delays differ by ≥ 66 ms (jitter can narrow a doubling to
      // ×1.33): more than the handling time between them varies, so the recorded gaps grow too.
      if (i >= 2) assert.ok(gaps[i]! > gaps[i - 1]!, `the gaps grow: ${gaps.join(', ')}`);
    }
    assert.ok(gaps.at(-1)! > gaps[0]!, `the gaps grow: ${gaps.join(', ')}`);
    assert.ok(delays[0]! >= 40 && delays[0]! <= 60, `first delay ~50 ms: ${delays[0]}`);
  });

  it('holds only the crashed agent: a neighbour on the same shard runs meanwhile', {
    skip: echo ? false : 'examples/as-echo is not built',
  }, async () => {
    await pool.deploy({ name: 'crasher-2@test', artifact: unreachable! });
    await pool.deploy({ name: 'neighbour@test', artifact: echo! });
    for (let i = 0; i < 3; i++) await pool.deliver([work('crasher-2@test', 'boom')]); // third crash: ~200 ms delay
    assert.ok(pool.restartDelay('crasher-2@test') > 0, 'in its backoff');
    let heldBack = false;
    const waiting = pool.deliver([work('crasher-2@test', 'boom')]).then((r) => {
      heldBack = true;
      return r;
    });
    const [n] = await pool.deliver([work('neighbour@test', 'hello')]);
    assert.equal(n!.status, 'ok', 'the neighbour ran without waiting');
    assert.equal(heldBack, false, "while the crashed agent's work was still held");
    const [held] = await waiting;
    assert.equal(held!.status, 'crashed');
  });
});
