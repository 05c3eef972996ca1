/**
 * The ShardPool the bus uses: agents in worker shards, batched delivery, and the wall-clock
 * backstop — a shard stuck on one agent is terminated, that item is reported as a timeout, and the
 * shard's other agents carry on in a fresh worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RECEIVER_COUNT_PARAM, type AclMessage } from '@caxton/core';
import { ArtifactError, SandboxError } from '../src/errors.js';
import { encodeWork } from '../src/shard/hand-off-codec.js';
import { Shard } from '../src/shard/shard.js';
import { WideMessagesSent } from '../src/shard/wide-messages.js';
import type { PoolEvent } from '../src/shard/shard-pool.js';
import { ShardPool } from '../src/shard/shard-pool.js';
import type { Work, WorkResult } from '../src/results.js';
import { TEST_ENGINE_CACHE, asProbe, otherWorldComponents } from './fixtures/build.js';
import { message, testEngine, timer, work } from './helpers.js';

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
    const results = await pool.deliver([
      work('p1@test', 'count'),
      work('p2@test', 'echo:hi'),
      work('p1@test', 'count'),
      work('p3@test', 'count'),
    ]);
    assert.deepEqual(
      results.map((r) => r.agent),
      ['p1@test', 'p2@test', 'p1@test', 'p3@test'],
    );
    assert.deepEqual(results.map(content), [['1'], ['hi'], ['2'], ['1']]);
    const t = await pool.fireTimer('p2@test', 'wake');
    assert.deepEqual(
      t.logs.map((l) => l.message),
      ['timer wake'],
    );
    const unknown = await pool.deliver([work('nobody@test', 'count')]);
    assert.equal(unknown[0]!.status, 'not-running');
  });

  it("stops an agent's run at its first crash: its later items come back skipped, not run", async () => {
    await pool.deploy({ name: 'run@test', artifact: probe, limits });
    const before = (await pool.metrics('run@test'))[0]!.completed;
    const results = await pool.deliver([
      work('run@test', 'count'),
      work('p2@test', 'echo:a'),
      work('run@test', 'trap'),
      work('run@test', 'count'),
      work('p2@test', 'echo:b'),
      work('run@test', 'count'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['ok', 'ok', 'crashed', 'skipped', 'ok', 'skipped'],
    );
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
    await assert.rejects(
      pool.deploy({ name: 'bad@test', artifact: otherWorld }),
      (e: unknown) => e instanceof ArtifactError && e.code === 'sandbox.artifact.wrong-world',
    );
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

    // A wide message (40 receivers, one shared object: decision 2003) reaches the shard once, kept
    // by key; a second delivery of it carries the key only. After the reset below the same object
    // must arrive whole again (the bus side starts over with the new worker).
    const wideMessage: AclMessage = {
      ...message(sameShard[0]!, 'params'),
      receivers: Array.from({ length: 40 }, (_, i) => ({ name: i === 0 ? sameShard[0]! : `r${i}@test` })),
    };
    const wideWork = (n: number): Work => ({
      kind: 'message',
      agent: sameShard[0]!,
      delivery: { id: `wide>${n}`, messageId: 'wide', receiver: sameShard[0]!, message: wideMessage, acceptedAt: 0 },
    });
    const seesForty = (r: WorkResult, what: string): void => {
      assert.equal(r.status, 'ok', what);
      assert.match(content(r)[0] ?? '', new RegExp(`${RECEIVER_COUNT_PARAM}.40`), `${what}: the agent sees 40 receivers`);
    };
    for (const n of [1, 2]) seesForty((await pool.deliver([wideWork(n)]))[0]!, `wide delivery ${n} before the reset`);

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
    assert.deepEqual(
      again.map((r) => r.status),
      ['ok', 'ok', 'ok'],
    );
    assert.deepEqual(content(again[0]!), ['1']);
    assert.deepEqual(content(again[1]!), ['back']);
    seesForty((await pool.deliver([wideWork(3)]))[0]!, 'the same wide message after the reset');
    const [s] = await pool.metrics('spinner@test');
    assert.equal(s!.restarts, 1);
    assert.equal(s!.lastError?.code, 'sandbox.timeout');
  });

  it('a batch that cannot be posted starts the hand-off over: a pool event, a count, its items answered unavailable (decision 2003)', async () => {
    const target = (await pool.metrics()).find((m) => m.state === 'running')!.agent;
    const resyncs: PoolEvent[] = [];
    const off = pool.events.onType('hand-off-resync', (e) => void resyncs.push(e));
    const before = pool.handOffResyncs;
    // A sender id carrying a function cannot be cloned: postMessage throws, as for any batch that never reaches the worker.
    const unclonable = work(target, 'echo:x', { sender: { name: 'odd@test', userParams: { 'X-f': (() => 1) as unknown as string } } });
    const [r] = await pool.deliver([unclonable]);
    off();
    assert.equal(r!.status === 'crashed' && r!.kind, 'unavailable', 'answered for a retry, never lost');
    assert.equal(pool.handOffResyncs, before + 1);
    assert.equal(resyncs.length, 1);
    assert.ok(
      resyncs[0]!.type === 'hand-off-resync' && resyncs[0]!.code === 'sandbox.shard.internal' && /clone/i.test(resyncs[0]!.message),
      JSON.stringify(resyncs[0]),
    );
    assert.deepEqual(content((await pool.deliver([work(target, 'echo:after')]))[0]!), ['after']);
  });

  it('a deploy whose init never finishes is cut off and its shard restarted', async () => {
    const victim = (await pool.metrics()).find((m) => m.state === 'running')!;
    const t0 = performance.now();
    await assert.rejects(
      pool.deploy({
        name: 'slow-init@test',
        artifact: probe,
        limits: { ...limits, fuelPerInit: 1e12, wallClockMs: 100 },
        config: { 'spin-init': '1' },
      }),
      (e: { code?: string }) => e.code === 'sandbox.agent.init-timeout',
    );
    assert.ok(performance.now() - t0 < 5_000);
    assert.equal(pool.state('slow-init@test'), undefined);
    const r = await pool.deliver([work(victim.agent, 'echo:alive')]);
    assert.deepEqual(content(r[0]!), ['alive'], 'agents of the restarted shard run again');
  });

  it('timeouts count against the restart policy: a looping agent ends failed and stops costing anything', async () => {
    await pool.deploy({
      name: 'looper@test',
      artifact: probe,
      limits: { ...limits, fuelPerMessage: 1e11, wallClockMs: 200 },
      restartPolicy: { maxRestarts: 1, windowMs: 60_000 },
    });
    const first = await pool.deliver([work('looper@test', 'spin')]);
    assert.equal(first[0]!.status === 'crashed' && first[0]!.kind, 'timeout');
    const second = await pool.deliver([work('looper@test', 'spin')]);
    assert.equal(second[0]!.status === 'crashed' && second[0]!.kind, 'timeout');
    assert.equal(pool.state('looper@test'), 'failed');
    assert.ok(events.some((e) => e.type === 'agent-failed' && e.agent === 'looper@test'));
    const third = await pool.deliver([work('looper@test', 'spin'), timer('looper@test', 'x')]);
    assert.deepEqual(
      third.map((r) => r.status),
      ['not-running', 'not-running'],
    );
    const [m] = await pool.metrics('looper@test');
    assert.equal(m!.memoryPages, 0);
    assert.equal(m!.state, 'failed');
  });
});

describe('Shard: wide messages kept across batches, on the real worker (decision 2003)', () => {
  const wide = (tag: string): AclMessage => ({
    ...message('nobody@test', tag),
    receivers: Array.from({ length: 40 }, (_, i) => ({ name: `r${i}@test` })),
  });
  // One agent per item (none deployed): a not-running agent's later items in a batch would be skipped.
  const to = (m: AclMessage, n: number): Work => ({
    kind: 'message',
    agent: `nobody-${n}@test`,
    delivery: { id: `${m.content}>${n}`, messageId: m.content!, receiver: `nobody-${n}@test`, message: m, acceptedAt: 0 },
  });
  let shard: Shard;
  const resyncs: Error[] = [];

  before(() => {
    // The settings a pool gives its shards (shard-pool.ts), from a real engine.
    const engine = testEngine();
    const settings = engine.shardSettings();
    shard = new Shard(
      7,
      settings,
      {
        wallClockMs: () => 10_000,
        onStuck: () => assert.fail('nothing runs here'),
        onWorkerFailure: (_s, err) => assert.fail(err),
        onHandOffResync: (_s, err) => void resyncs.push(err),
      },
      50,
      undefined,
      new SharedArrayBuffer(4),
    );
  });

  after(async () => {
    await shard.close();
  });

  it('resynchronises synchronously when a batch cannot be posted, so the next batch defines its wide message again', async () => {
    const first = wide('first');
    // No agent is deployed: every item comes back not-running, but only after the worker decoded the whole batch.
    assert.deepEqual(
      (await shard.deliver([to(first, 1)])).map((r) => r.status),
      ['not-running'],
    );
    assert.deepEqual(
      (await shard.deliver([to(first, 2)])).map((r) => r.status),
      ['not-running'],
    );
    // This batch defines `second` (a new key) but never reaches the worker.
    const second = wide('second');
    const bad = { ...to(wide('bad'), 0) } as Work & { kind: 'message' };
    bad.delivery = {
      ...bad.delivery,
      message: { ...bad.delivery.message, sender: { name: 'odd@test', userParams: { 'X-f': (() => 1) as unknown as string } } },
    };
    const dropped = shard.deliver([to(second, 1), bad]);
    assert.equal(resyncs.length, 1, 'resynchronised before deliver returned');
    // Queued before the drop's rejection is seen: it must not refer to `second` by a key the worker never got.
    const next = shard.deliver([to(second, 2), to(first, 3)]);
    await assert.rejects(dropped, /clone/i);
    assert.deepEqual(
      (await next).map((r) => r.status),
      ['not-running', 'not-running'],
    );
    assert.deepEqual(
      (await shard.deliver([to(second, 3), to(first, 4)])).map((r) => r.status),
      ['not-running', 'not-running'],
    );
    assert.equal(resyncs.length, 1);
  });

  it('a batch the worker refuses (the sides disagree) resynchronises: typed code to the hook, and the next batch decodes', async () => {
    const m = wide('kept');
    assert.deepEqual(
      (await shard.deliver([to(m, 1)])).map((r) => r.status),
      ['not-running'],
    );
    // Behind the bus side's back, a batch with only a forget-all header empties the worker's store.
    await shard.request({ op: 'deliver', batchId: 515_151, batch: [1, 0, 0, 0] });
    const before = resyncs.length;
    await assert.rejects(shard.deliver([to(m, 2)]), (err: unknown) => err instanceof SandboxError && err.code === 'sandbox.shard.hand-off');
    assert.equal(resyncs.length, before + 1);
    assert.ok(resyncs.at(-1) instanceof SandboxError && (resyncs.at(-1) as SandboxError).code === 'sandbox.shard.hand-off');
    // Both sides started over: the message is defined again and every later batch decodes.
    assert.deepEqual(
      (await shard.deliver([to(m, 3)])).map((r) => r.status),
      ['not-running'],
    );
    assert.deepEqual(
      (await shard.deliver([to(m, 4)])).map((r) => r.status),
      ['not-running'],
    );
    assert.equal(resyncs.length, before + 1);
  });

  it('refuses a wide message the worker does not keep with a typed error that crosses the thread', async () => {
    // Hand-made like an attacker (or a broken bus side) would: a key-only entry for a key never sent.
    const sent = new WideMessagesSent();
    const m = wide('stray');
    encodeWork([to(m, 1)], sent);
    const flat = encodeWork([to(m, 2)], sent);
    flat[3] = 987_654_321; // [forgetAll, count, KEPT, key, ...]
    await assert.rejects(shard.request({ op: 'deliver', batchId: 424_242, batch: flat }), (err: unknown) => {
      assert.ok(err instanceof SandboxError, String(err));
      assert.equal(err.code, 'sandbox.shard.hand-off');
      assert.deepEqual(err.context, { shard: 7, key: 987_654_321 });
      assert.match(err.hint ?? '', /disagreed/);
      return true;
    });
  });
});
