/**
 * An agent that starts fine and then hangs in every restart cannot freeze its shard: after a reset
 * (here: the watchdog stopping a neighbour stuck past its wall clock), agents are re-deployed one at
 * a time under the same init deadline as a first deploy. The one whose init hangs is charged,
 * marked failed with `sandbox.agent.init-timeout`, the shard is replaced again, and every other
 * agent runs. Real agents: the conformance puppet (`spin-init-after`) and the sandbox probe.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ShardPool, type PoolEvent } from '../src/shard/shard-pool.js';
import { TEST_ENGINE_CACHE, asProbe } from './fixtures/build.js';
import { work } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PUPPET = path.join(ROOT, 'examples/conformance/puppet/build/conformance-puppet.wasm');

describe('an init that hangs only on restart', () => {
  const events: PoolEvent[] = [];
  const pool = new ShardPool({ shards: 1, engine: { cacheDir: TEST_ENGINE_CACHE }, watchdogTickMs: 10, minInitDeadlineMs: 1_000 });
  pool.events.on((e) => events.push(e));
  after(() => pool.close());

  it('is failed with init-timeout after a shard reset, and its neighbours keep running', async () => {
    const probe = await asProbe();
    const puppet = new Uint8Array(readFileSync(PUPPET));
    // Prepared before the clock starts: with a cold cache (a fresh machine, a new fuel model)
    // instrumenting could otherwise use up the second and make the first init spin already.
    await pool.engine.loadArtifact(puppet);
    await pool.engine.loadArtifact(probe);
    await pool.deploy({ name: 'neighbour@test', artifact: probe, limits: { wallClockMs: 200 } });
    await pool.deploy({ name: 'looper@test', artifact: probe, limits: { fuelPerMessage: 1e11, wallClockMs: 200 } });
    // The puppet's first init must end before it starts spinning: deployed last, the second it is
    // given covers its own deploy only, not its neighbours' (a loaded CI machine can take most of
    // a second for three deploys).
    const spinAfter = Date.now() + 1_000;
    await pool.deploy({
      name: 'brittle@test',
      artifact: puppet,
      limits: { fuelPerInit: 1e12, wallClockMs: 100 },
      config: { 'spin-init-after': String(spinAfter) },
    });
    await new Promise((r) => setTimeout(r, Math.max(0, spinAfter - Date.now()) + 50));

    // The looper spins past its wall clock: the watchdog resets the shard, which re-deploys all three.
    const [stuck] = await pool.deliver([work('looper@test', 'spin')]);
    assert.equal(stuck!.status === 'crashed' ? stuck!.kind : stuck!.status, 'timeout');

    const deadline = Date.now() + 20_000;
    while (pool.state('brittle@test') !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.state('brittle@test'), 'failed', 'the agent that hangs on restart is failed');
    const [m] = await pool.metrics('brittle@test');
    assert.equal(m?.lastError?.code, 'sandbox.agent.init-timeout');
    assert.ok(
      events.some((e) => e.type === 'shard-reset' && e.agent === 'brittle@test'),
      'the stuck shard was replaced again',
    );

    const [echo] = await pool.deliver([work('neighbour@test', 'echo:still here')]);
    assert.equal(echo!.status, 'ok', `the neighbour runs: ${JSON.stringify(echo).slice(0, 300)}`);
    const [brittle] = await pool.deliver([work('brittle@test', 'hello')]);
    assert.equal(brittle!.status, 'not-running');
  });
});
