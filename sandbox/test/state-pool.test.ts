/**
 * Agent state and HTTP calls through the ShardPool: results cross the worker boundary with their
 * state writes and HTTP calls, the committed view survives a shard reset (the pool re-deploys the
 * agent with the view as committed, not as first deployed), an upgrade keeps it, and resetState
 * replaces it in the shard.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_HTTP_POLICY } from '@caxton/core';
import { ShardPool } from '../src/shard/shard-pool.js';
import type { WorkResult } from '../src/results.js';
import { TEST_ENGINE_CACHE, asStateful } from './fixtures/build.js';
import { work } from './helpers.js';

let pool: ShardPool;
let bytes: Uint8Array;
// Fuel enough to spin past the wall clock: the watchdog, not the meter, ends the spin.
const limits = { fuelPerMessage: 1e11, memoryPages: 64, wallClockMs: 300 };
const answer = (r: WorkResult): string[] => {
  assert.equal(r.status, 'ok', JSON.stringify(r.status === 'crashed' ? r.message : r.status));
  return r.outbox[0]!.content!.split(';');
};

before(async () => {
  bytes = await asStateful();
  pool = new ShardPool({ shards: 1, engine: { cacheDir: TEST_ENGINE_CACHE }, watchdogTickMs: 10, minInitDeadlineMs: 1_000 });
});

after(async () => {
  await pool.close();
});

describe('state through the ShardPool', () => {
  it('hands back state writes and HTTP calls from the shard, and keeps the committed view across a shard reset', async () => {
    const name = 'pooled@test';
    await pool.deploy({
      name,
      artifact: bytes,
      limits,
      state: { entries: [['a', 'deployed']] },
      http: { ...DEFAULT_HTTP_POLICY, allow: [{ host: 'api.example.com' }] },
    });
    const [r] = await pool.deliver([work(name, 'set:a=committed;fetch:GET https://api.example.com/x')]);
    const [, id] = answer(r!);
    const callId = id!.slice(3);
    assert.deepEqual(
      r!.http.map((c) => [c.id, c.request.url]),
      [[callId, 'https://api.example.com/x']],
    );
    assert.deepEqual(
      r!.stateWrites.map((w) => w.key),
      ['a', `\u0000http/${callId}`],
    );

    const [stuck] = await pool.deliver([work(name, 'set:a=lost;spin')]);
    assert.equal(stuck!.status, 'crashed');
    assert.equal(stuck!.status === 'crashed' && stuck!.kind, 'timeout');
    assert.deepEqual(stuck!.stateWrites, []);
    // A fresh worker, a fresh sandbox: the view is the committed one, reserved record included.
    const [got] = await pool.deliver([work(name, 'get:a;keys:')]);
    assert.deepEqual(answer(got!), ['committed', '[a]']);
    assert.equal((await pool.metrics(name))[0]!.instantiations, 1, 'a new shard');
  });

  it('resetState replaces the view in the shard; an upgrade without state keeps it', async () => {
    const name = 'reset@test';
    await pool.deploy({ name, artifact: bytes, limits });
    answer((await pool.deliver([work(name, 'set:v=1')]))[0]!);
    assert.equal(
      await pool.resetState(name, [
        ['v', 'from-store'],
        ['w', '2'],
      ]),
      true,
    );
    assert.deepEqual(answer((await pool.deliver([work(name, 'get:v;keys:')]))[0]!), ['from-store', '[v,w]']);
    // Work in flight when the upgrade is asked for: its writes reach the new version too.
    const inFlight = pool.deliver([work(name, 'set:w=3')]);
    await pool.upgrade({ name, artifact: bytes, limits });
    answer((await inFlight)[0]!);
    assert.deepEqual(answer((await pool.deliver([work(name, 'get:v;get:w')]))[0]!), ['from-store', '3']);
    assert.equal(await pool.resetState('nobody@test', []), false);
    const m = (await pool.metrics(name))[0]!;
    assert.equal(m.refusals.state, 0);
  });

  it("resetState answers false for an agent undeployed while the reset is in flight (the shard's answer, not the pool's copy)", async () => {
    const name = 'gone@test';
    await pool.deploy({ name, artifact: bytes, limits });
    const resetting = pool.resetState(name, [['v', 'rewound']]);
    await pool.undeploy(name);
    assert.equal(await resetting, false, 'the instance the reset was for is gone');
    assert.equal(pool.stateView(name), undefined);
  });
});
