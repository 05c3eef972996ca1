/**
 * Send floods, timer storms and directory storms from a hand-written WAT agent, on both binding
 * paths: every quota is a typed error the agent sees (send, register-service) or a typed crash
 * (set-timer), never a silent drop.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine } from '../src/engine.js';
import type { WorkResult } from '../src/results.js';
import { Sandbox } from '../src/sandbox.js';
import type { AgentLimits } from '../src/limits/limits.js';
import { TEST_ENGINE_CACHE } from './fixtures/build.js';
import { ATTACKS, catchingTimerStorm, liftBombComponent, MEMORY_CAP_PAGES } from './fixtures/lift-bombs.js';
import { work } from './helpers.js';

let bytes: Uint8Array;
before(async () => {
  bytes = await liftBombComponent();
});

for (const binding of ['auto', 'jco'] as const) {
  describe(`storms on the ${binding === 'auto' ? 'direct' : 'jco'} path`, () => {
    let sandbox: Sandbox;
    let n = 0;
    before(() => {
      // A clock that stands still: the per-second buckets refill by the sandbox's clock, so on a
      // loaded machine a real one lets a 50-per-second bucket take a 51st send mid-flood.
      sandbox = new Sandbox({
        engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding }),
        newId: () => 'id',
        clock: () => 1_700_000_000_000,
      });
    });
    const deploy = async (limits: Partial<AgentLimits> = {}): Promise<string> => {
      const agent = `storm-${binding}-${++n}@test`;
      await sandbox.deploy({ name: agent, artifact: bytes, limits: { memoryPages: MEMORY_CAP_PAGES, ...limits } });
      return agent;
    };
    const reason = (r: WorkResult): string => (r.status === 'rejected' ? r.reason : `not rejected: ${r.status}`);

    it('a send flood stops at the per-call outbox, and at the per-second quota', async () => {
      const agent = await deploy();
      const r = sandbox.run(work(agent, ATTACKS.sendFlood));
      assert.equal(reason(r), 'outbox full: at most 1000 messages per call');
      assert.equal(r.outbox.length, 1000, 'what was accepted is kept: the agent saw the error and returned it');
      const limited = await deploy({ sendsPerSecond: 50 });
      const q = sandbox.run(work(limited, ATTACKS.sendFlood));
      assert.equal(reason(q), 'quota exceeded: at most 50 sends per second');
      assert.equal(q.outbox.length, 51, "the handling's first send passes on the delivery (decision 2173), then fifty tokens");
    });

    it('a timer storm ends the call as a typed quota crash with its effects discarded', async () => {
      const agent = await deploy();
      const r = sandbox.run(work(agent, ATTACKS.timerStorm));
      assert.equal(r.status, 'crashed');
      assert.match(r.status === 'crashed' ? r.message : '', /quota exceeded: set-timer: at most 100 timers per call/);
      assert.equal(r.timers.length, 0);
    });

    it("a directory storm gets the per-call quota as register-service's error", async () => {
      const agent = await deploy({ directoryChangesPerSecond: 1000 });
      const r = sandbox.run(work(agent, ATTACKS.directoryStorm));
      assert.equal(reason(r), 'quota exceeded: at most 100 directory changes per call');
      assert.equal(r.directory.length, 100);
      const slow = await deploy({ directoryChangesPerSecond: 5 });
      const s = sandbox.run(work(slow, ATTACKS.directoryStorm));
      assert.equal(reason(s), 'quota exceeded: at most 5 directory changes per second');
      assert.equal(s.directory.length, 5);
    });
  });
}

describe('a refusal the guest catches', () => {
  it('still ends the call as crashed: catch_all around set-timer past its quota (direct path)', async () => {
    const sandbox = new Sandbox({ engine: new Engine({ cacheDir: TEST_ENGINE_CACHE }), newId: () => 'id' });
    await sandbox.deploy({ name: 'catcher@test', artifact: await catchingTimerStorm() });
    assert.equal(sandbox.metrics('catcher@test')!.path, 'direct');
    const r = sandbox.run(work('catcher@test', 'x'));
    assert.equal(r.status, 'crashed', 'the guest swallowed the exception and returned ok, yet the call crashed');
    assert.match(r.status === 'crashed' ? r.message : '', /quota exceeded: set-timer: at most 100 timers per call/);
    assert.equal(r.timers.length, 0);
  });
});
