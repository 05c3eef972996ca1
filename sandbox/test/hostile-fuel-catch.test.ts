/**
 * Out-of-fuel cannot be caught. The host never throws into the guest when fuel runs out: the
 * instrumented check executes `unreachable`, a trap no wasm handler catches (decision 0406). Each
 * agent below tries to swallow it with exception handling, on both binding paths; each call must
 * end `crashed: out-of-fuel` within its budget, and the next message gets a fresh instance.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../src/engine.js';
import { Sandbox } from '../src/sandbox.js';
import { TEST_ENGINE_CACHE } from './fixtures/build.js';
import { CATCHERS, fuelCatcherComponent } from './fixtures/fuel-catchers.js';
import { work } from './helpers.js';

const BUDGET = 200_000;

describe('fuel that cannot be caught', () => {
  const sandbox = new Sandbox({ engine: new Engine({ cacheDir: TEST_ENGINE_CACHE }), newId: () => 'id' });
  for (const name of Object.keys(CATCHERS)) {
    it(`${name}: ends out-of-fuel within its budget, every time, on a fresh instance`, async () => {
      const agent = `${name}@test`;
      await sandbox.deploy({ name: agent, artifact: await fuelCatcherComponent(name), limits: { fuelPerMessage: BUDGET } });
      assert.equal(sandbox.metrics(agent)!.path, 'direct');
      for (let i = 0; i < 3; i++) {
        const r = sandbox.run(work(agent, 'spin'));
        assert.equal(r.status, 'crashed', `call ${i}: the guest swallowed the out-of-fuel (${r.status})`);
        assert.equal(r.status === 'crashed' ? r.kind : '', 'out-of-fuel');
        // Within the budget plus one loop flush (DEBT_FLUSH, 1,024) and one host call's charge.
        assert.ok(r.fuelUsed >= BUDGET && r.fuelUsed <= BUDGET + 1_024 + 64, `fuel used ${r.fuelUsed} is the budget, within one flush`);
        assert.equal(r.restarts, i + 1, 'each crash replaces the instance');
      }
    });
  }

  it('the jco path refuses legacy exception handling at deploy, with a typed error', async () => {
    const jcoOnly = new Sandbox({ engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding: 'jco' }), newId: () => 'id' });
    await assert.rejects(
      jcoOnly.deploy({ name: 'catcher-jco@test', artifact: await fuelCatcherComponent('loop-in-catch-all') }),
      (e: unknown) => {
        const err = e as { code?: string; hint?: string };
        assert.equal(err.code, 'sandbox.artifact.invalid');
        assert.ok(err.hint, 'with a hint');
        return true;
      },
    );
  });
});
