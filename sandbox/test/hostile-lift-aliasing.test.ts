/**
 * Aliasing bombs through every host import that takes a string or a list, from a hand-written WAT
 * agent, on both binding paths (direct: our own canonical ABI; jco: jco's glue behind the lift
 * guard). Lifting is counted and capped before the host allocates, the refusal reaches the agent
 * where the world has a `result`, and the call ends as a typed crash where it has none. The host's
 * peak memory during a 64 × 4 MiB aliasing bomb is measured in a fresh process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Engine } from '../src/engine.js';
import { wasmFeatureNodeFlags } from '../src/wasm-features.js';
import type { WorkResult } from '../src/results.js';
import { Sandbox } from '../src/sandbox.js';
import { DEFAULT_LIMITS } from '../src/limits/limits.js';
import { TEST_ENGINE_CACHE } from './fixtures/build.js';
import { ATTACKS, liftBombComponent, MEMORY_CAP_PAGES, renamedHostImportsComponent } from './fixtures/lift-bombs.js';
import { work } from './helpers.js';

let bytes: Uint8Array;
before(async () => {
  bytes = await liftBombComponent();
});

const rejected = (r: WorkResult): string => {
  assert.equal(r.status, 'rejected', JSON.stringify(r.status === 'crashed' ? r.message : r.status));
  return r.status === 'rejected' ? r.reason : '';
};
const crashed = (r: WorkResult): { kind: string; message: string; code: string } => {
  assert.equal(r.status, 'crashed', JSON.stringify(r.status === 'rejected' ? r.reason : r.status));
  return r.status === 'crashed' ? { kind: r.kind, message: r.message, code: r.error.code } : { kind: '', message: '', code: '' };
};

for (const binding of ['auto', 'jco'] as const) {
  const path = binding === 'auto' ? 'direct' : 'jco';
  describe(`lift bombs on the ${path} path`, () => {
    let sandbox: Sandbox;
    let agent: string;
    let n = 0;
    const run = (attack: string): WorkResult => sandbox.run(work(agent, attack));

    before(async () => {
      let ids = 0;
      sandbox = new Sandbox({ engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding }), newId: () => `id-${++ids}` });
    });
    const deploy = async (): Promise<void> => {
      agent = `bomb-${path}-${++n}@test`;
      await sandbox.deploy({ name: agent, artifact: bytes, limits: { memoryPages: MEMORY_CAP_PAGES } });
      assert.equal(sandbox.metrics(agent)!.path, path);
    };

    it("a valid send goes out; one the bus would refuse fails in the agent with the bus's reason", async () => {
      await deploy();
      const ok = run(ATTACKS.valid);
      assert.equal(ok.status, 'ok');
      assert.deepEqual(
        ok.outbox.map((m) => [m.receivers[0]!.name, m.content]),
        [['b@p', 'hi']],
      );
      assert.match(rejected(run(ATTACKS.badName)), /receivers\[0\]\.name: "b p" contains whitespace/);
      assert.match(rejected(run(ATTACKS.tooManyReceivers)), /receivers: has 1100 entries, the limit is 1024/);
      assert.equal(run(ATTACKS.valid).status, 'ok', 'the instance lives on after refusals');
    });

    for (const [attack, name] of [
      [ATTACKS.aliasReceivers, '64 receivers aliasing one 256 KiB name'],
      [ATTACKS.aliasHugeReceivers, '64 receivers aliasing one 4 MiB name'],
      [ATTACKS.aliasAddresses, '64 addresses aliasing one 256 KiB string'],
      [ATTACKS.aliasReplyTo, '64 reply-to entries aliasing one 256 KiB name'],
      [ATTACKS.aliasUserParams, '64 user params whose keys and values alias one 256 KiB string'],
    ] as const) {
      it(`send with ${name} is refused while lifting, charged, and the agent sees why`, async () => {
        await deploy();
        const r = run(attack);
        assert.match(rejected(r), /^send: more than 1048576 code units of strings to lift/);
        assert.equal(r.outbox.length, 0);
        // Charged for what was looked at: at least the 1 MiB cap at 8 bytes per fuel.
        assert.ok(r.fuelUsed > (1 << 20) / 8, `fuel ${r.fuelUsed}`);
        assert.equal(run(ATTACKS.valid).status, 'ok');
      });
    }

    it('register-service with 64 protocols aliasing one 256 KiB string is refused in the agent', async () => {
      await deploy();
      const r = run(ATTACKS.aliasService);
      assert.match(rejected(r), new RegExp(`^register-service: more than ${DEFAULT_LIMITS.maxServiceBytes} code units`));
      assert.equal(r.directory.length, 0);
    });

    it("log with a 4 MiB message lifts one log line's worth of it", async () => {
      await deploy();
      const r = run(ATTACKS.hugeLog);
      assert.equal(r.status, 'ok');
      assert.equal(r.logs.length, 1);
      assert.equal(r.logs[0]!.message.length, DEFAULT_LIMITS.maxLogLineLength + 1);
      assert.ok(r.logs[0]!.message.endsWith('…'));
      assert.ok(r.fuelUsed < 10_000, `charged for the prefix lifted, not 4 MiB: ${r.fuelUsed}`);
    });

    for (const [attack, fn] of [
      [ATTACKS.hugeTimerToken, 'set-timer'],
      [ATTACKS.hugeDeregister, 'deregister-service'],
      [ATTACKS.hugeSearch, 'search-services'],
    ] as const) {
      it(`${fn} with a 4 MiB string ends the call as a typed crash, effects discarded`, async () => {
        await deploy();
        const c = crashed(run(attack));
        assert.match(c.message, new RegExp(`^${fn}: the .* has 4194304 code units, at most \\d+ are accepted`));
        assert.equal(run(ATTACKS.valid).status, 'ok', 'a fresh instance takes the next message');
      });
    }

    it('an export returning a 4 MiB error string is a malformed result, refused before it is lifted', async () => {
      await deploy();
      const c = crashed(run(ATTACKS.hugeError));
      assert.equal(c.kind, 'malformed-result');
      assert.match(c.message, /error string has 4194304 code units, more than/);
    });
  });
}

describe('host functions wired to core imports the guard does not know', () => {
  it('end the call at the first use (the lift guard is required on the jco path)', async () => {
    const sandbox = new Sandbox({ engine: new Engine({ cacheDir: TEST_ENGINE_CACHE }), newId: () => 'id' });
    await sandbox.deploy({
      name: 'rewired@test',
      artifact: await renamedHostImportsComponent(),
      limits: { memoryPages: MEMORY_CAP_PAGES },
    });
    assert.equal(sandbox.metrics('rewired@test')!.path, 'jco');
    for (const attack of [ATTACKS.valid, ATTACKS.aliasReceivers]) {
      const c = crashed(sandbox.run(work('rewired@test', attack)));
      assert.match(c.message, /^send: reached through a core import the sandbox does not guard/);
    }
  });
});

const CHILD = fileURLToPath(new URL('./fixtures/lift-bomb-child.js', import.meta.url));

describe('host memory during an aliasing bomb (fresh process)', () => {
  for (const binding of ['auto', 'jco'] as const) {
    it(`64 receivers × one 4 MiB string (${binding === 'auto' ? 'direct' : 'jco'} path): peak RSS grows by less than 2 × the agent's memory cap`, async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...wasmFeatureNodeFlags(), CHILD, binding, ATTACKS.aliasHugeReceivers],
        { maxBuffer: 1 << 20 },
      );
      const out = JSON.parse(stdout) as { status: string; reason: string; path: string; beforeKb: number; afterKb: number };
      assert.equal(out.path, binding === 'auto' ? 'direct' : 'jco');
      const growth = (out.afterKb - out.beforeKb) * 1024;
      const cap = MEMORY_CAP_PAGES * 65536;
      // Unbounded, this lifts 64 × 4 MiB = 256 MiB of strings (then runs out of fuel paying for them).
      assert.ok(growth < 2 * cap, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB (cap ${cap / 2 ** 20} MiB)`);
      assert.equal(out.status, 'rejected', out.reason);
    });
  }
});
