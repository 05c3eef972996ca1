/**
 * The ShardPool the bus uses: agents in worker shards, batched delivery, and the wall-clock
 * backstop — a shard stuck on one agent is terminated, that item is reported as a timeout, and the
 * shard's other agents carry on in a fresh worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ArtifactError } from '../src/errors.js';
import type { PoolEvent } from '../src/shard/shard-pool.js';
import { ShardPool } from '../src/shard/shard-pool.js';
import type { WorkResult } from '../src/results.js';
import { TEST_ENGINE_CACHE, asProbe, otherWorldComponents } from './fixtures/build.js';
import { timer, work } from './helpers.js';

let pool: ShardPool;
let probe: Uint8Array;
const events: PoolEvent[] = [];
const limits = { fuelPerMessage: 5_000_000, memoryPages: 32, wallClockMs: 400 };

const content = (r: WorkResult) => r.outbox.map((m) => m.content);

before(async () => {
  probe = await asProbe();
  pool = new ShardPool({ shards: 2, engine: { cacheDir: TEST_ENGINE_CACHE }, watchdogTickMs: 10, minInitDeadlineMs: 1_000 });
  pool.events.on((e) => events.push(e));
});

after(async () => {
  await pool.close();
});

describe('ShardPool', () => {
  it('deploys agents across shards and delivers a batch with results in order', async () => {
    const reports = [];
    for (const name of ['p1@test', 'p2@test', 'p3@test']) reports.push(await pool.deploy({ name, artifact: probe, limits }));
    assert.deepEqual(reports.map((r) => r.shard).sort(), [0, 0, 1]);
    assert.ok(reports.every((r) => r.path === 'direct' && r.state === 'running'));
    const results = await pool.deliver([work('p1@test', 'count'), work('p2@test', 'echo:hi'), work('p1@test', 'count'), work('p3@test', 'count')]);
    assert.deepEqual(results.map((r) => r.agent), ['p1@test', 'p2@test', 'p1@test', 'p3@test']);
    assert.deepEqual(results.map(content), [['1'], ['hi'], ['2'], ['1']]);
    const t = await pool.fireTimer('p2@test', 'wake');
    assert.deepEqual(t.logs.map((l) => l.message), ['timer wake']);
    const unknown = await pool.deliver([work('nobody@test', 'count')]);
    assert.equal(unknown[0]!.status, 'not-running');
  });

  it("stops an agent's run at its first crash: its later items come back skipped, not run", async () => {
    await pool.deploy({ name: 'run@test', artifact: probe, limits });
    const before = (await pool.metrics('run@test'))[0]!.completed;
    const results = await pool.deliver([
      work('run@test', 'count'), work('p2@test', 'echo:a'), work('run@test', 'trap'),
      work('run@test', 'count'), work('p2@test', 'echo:b'), work('run@test', 'count'),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'crashed', 'skipped', 'ok', 'skipped']);
    assert.deepEqual(results.map(content), [['1'], ['a'], [], [], ['b'], []]);
    assert.ok(results.filter((r) => r.status === 'skipped').every((r) => r.fuelUsed === 0 && r.outbox.length === 0));
    assert.equal((await pool.metrics('run@test'))[0]!.completed, before + 2, 'skipped items are not counted as handled');
    // The retry runs on a fresh instance (the crash discarded the old one's count).
    assert.deepEqual(content((await pool.deliver([work('run@test', 'count')]))[0]!), ['1']);
    await pool.undeploy('run@test');
  });

  it('answers search-services from the pushed directory snapshot, in every shard', async () => {
    pool.setDirectory({ version: 1, byType: { weather: [{ name: 'sun@test' }, { name: 'rain@test', addresses: ['x://rain'] }] } });
    const results = await pool.deliver([work('p1@test', 'search:weather'), work('p3@test', 'search:weather')]);
    assert.deepEqual(results.map(content), [['sun@test,rain@test'], ['sun@test,rain@test']]);
  });

  it('reports state and metrics per agent', async () => {
    const [m] = await pool.metrics('p1@test');
    assert.equal(m!.state, 'running');
    assert.ok(m!.memoryPages >= 1);
    assert.ok(m!.fuelUsedTotal > 0);
    assert.equal(m!.completed, 3);
  });

  it('upgrades an agent in place; a failing upgrade leaves the old version running', async () => {
    await pool.deploy({ name: 'up@test', artifact: probe, limits });
    assert.deepEqual(content((await pool.deliver([work('up@test', 'count')]))[0]!), ['1']);
    await assert.rejects(pool.upgrade({ name: 'up@test', artifact: probe, limits, config: { 'fail-init': 'bad config' } }), /bad config/);
    assert.deepEqual(content((await pool.deliver([work('up@test', 'count')]))[0]!), ['2'], 'the old instance kept running');
    const report = await pool.upgrade({ name: 'up@test', artifact: probe, limits, config: { start: '41' } });
    assert.equal(report.state, 'running');
    assert.deepEqual(content((await pool.deliver([work('up@test', 'count')]))[0]!), ['42'], 'the new version, with its config');
    assert.equal(await pool.undeploy('up@test'), true);
    assert.equal((await pool.deliver([work('up@test', 'count')]))[0]!.status, 'not-running');
  });

  it('refuses a bad artifact on deploy and keeps nothing', async () => {
    const { otherWorld } = await otherWorldComponents();
    await assert.rejects(pool.deploy({ name: 'bad@test', artifact: otherWorld }), (e: unknown) => e instanceof ArtifactError && e.code === 'sandbox.artifact.wrong-world');
    assert.equal(pool.state('bad@test'), undefined);
  });

  it('terminates a spinning shard at the wall-clock limit; its other agents carry on', async () => {
    // Fuel cannot stop this one in time (a misconfigured budget): only the backstop can.
    const spinner = await pool.deploy({ name: 'spinner@test', artifact: probe, limits: { ...limits, fuelPerMessage: 1e11 } });
    const neighbour = ['p1@test', 'p2@test', 'p3@test'].find((n) => n !== 'spinner@test')!;
    const [m] = await pool.metrics(neighbour);
    const sameShard = (await pool.metrics()).filter((x) => x.shard === spinner.shard && x.agent !== 'spinner@test').map((x) => x.agent);
    const otherShard = (await pool.metrics()).filter((x) => x.shard !== spinner.shard).map((x) => x.agent);
    assert.ok(sameShard.length > 0 && otherShard.length > 0, `${m!.agent}: agents on both shards`);

    // The pool's instrumentation: a typed listener for one event type, and a faulty listener that is
    // dropped instead of breaking the watchdog's reset.
    const resets: PoolEvent[] = [];
    const offResets = pool.events.onType('shard-reset', (e) => void resets.push(e));
    pool.events.on(() => {
      throw new Error('faulty observer');
    });

    const t0 = performance.now();
    const results = await pool.deliver([work('spinner@test', 'spin'), work(sameShard[0]!, 'count'), work(otherShard[0]!, 'echo:fine')]);
    const elapsed = performance.now() - t0;
    const [spun, queued, elsewhere] = results as [WorkResult, WorkResult, WorkResult];
    assert.equal(spun.status === 'crashed' && spun.kind, 'timeout');
    assert.equal(spun.status === 'crashed' && spun.error.code, 'sandbox.timeout');
    assert.ok(elapsed >= 400 && elapsed < 3_000, `stopped after ${Math.round(elapsed)} ms`);
    assert.equal(queued.status === 'crashed' && queued.kind, 'unavailable', 'the item behind it did not run: retry it');
    assert.deepEqual(content(elsewhere), ['fine'], 'the other shard was not affected');
    assert.ok(events.some((e) => e.type === 'shard-reset' && e.reason === 'timeout' && e.agent === 'spinner@test'));
    assert.ok(resets.length > 0 && resets.every((e) => e.type === 'shard-reset'), 'the typed listener got the reset, only resets');
    offResets();

    // The recreated shard runs its agents again (fresh instances: in-memory state is gone).
    const again = await pool.deliver([work(sameShard[0]!, 'count'), work('spinner@test', 'echo:back'), work(otherShard[0]!, 'count')]);
    assert.deepEqual(again.map((r) => r.status), ['ok', 'ok', 'ok']);
    assert.deepEqual(content(again[0]!), ['1']);
    assert.deepEqual(content(again[1]!), ['back']);
    const [s] = await pool.metrics('spinner@test');
    assert.equal(s!.restarts, 1);
    assert.equal(s!.lastError?.code, 'sandbox.timeout');
  });

  it('a deploy whose init never finishes is cut off and its shard restarted', async () => {
    const victim = (await pool.metrics()).find((m) => m.state === 'running')!;
    const t0 = performance.now();
    await assert.rejects(
      pool.deploy({ name: 'slow-init@test', artifact: probe, limits: { ...limits, fuelPerInit: 1e12, wallClockMs: 100 }, config: { 'spin-init': '1' } }),
      (e: { code?: string }) => e.code === 'sandbox.agent.init-timeout',
    );
    assert.ok(performance.now() - t0 < 5_000);
    assert.equal(pool.state('slow-init@test'), undefined);
    const r = await pool.deliver([work(victim.agent, 'echo:alive')]);
    assert.deepEqual(content(r[0]!), ['alive'], 'agents of the restarted shard run again');
  });

  it('timeouts count against the restart policy: a looping agent ends failed and stops costing anything', async () => {
    await pool.deploy({ name: 'looper@test', artifact: probe, limits: { ...limits, fuelPerMessage: 1e11, wallClockMs: 200 }, restartPolicy: { maxRestarts: 1, windowMs: 60_000 } });
    const first = await pool.deliver([work('looper@test', 'spin')]);
    assert.equal(first[0]!.status === 'crashed' && first[0]!.kind, 'timeout');
    const second = await pool.deliver([work('looper@test', 'spin')]);
    assert.equal(second[0]!.status === 'crashed' && second[0]!.kind, 'timeout');
    assert.equal(pool.state('looper@test'), 'failed');
    assert.ok(events.some((e) => e.type === 'agent-failed' && e.agent === 'looper@test'));
    const third = await pool.deliver([work('looper@test', 'spin'), timer('looper@test', 'x')]);
    assert.deepEqual(third.map((r) => r.status), ['not-running', 'not-running']);
    const [m] = await pool.metrics('looper@test');
    assert.equal(m!.memoryPages, 0);
    assert.equal(m!.state, 'failed');
  });
});
