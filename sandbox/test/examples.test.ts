/**
 * The example and hostile agents built by scripts/build-examples.mjs (the SDK engineer's), run
 * through the same sandbox. A test is skipped, saying so, when its example is not built in this
 * checkout; the reactor-style AssemblyScript case is also covered by our own fixture.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { asProbe, example } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

let sandbox: Sandbox;
before(() => {
  sandbox = testSandbox();
});

const limits = { fuelPerMessage: 20_000_000, memoryPages: 128 };

async function runExample(path: string, content = 'hello', extraLimits = {}): Promise<{ result: WorkResult; path: string } | null> {
  const bytes = example(path);
  if (!bytes) return null;
  const name = `${path.split('/').at(-1)!.replace('.wasm', '')}@test`;
  if (!sandbox.has(name)) await sandbox.deploy({ name, artifact: bytes, limits: { ...limits, ...extraLimits } });
  return { result: sandbox.run(work(name, content)), path: sandbox.agent(name)!.artifact.manifest.path };
}

describe('reactor-style AssemblyScript components', () => {
  it('runs _initialize before init (our fixture built with --exportStart _initialize)', async () => {
    await sandbox.deploy({ name: 'reactor@test', artifact: await asProbe(true), limits });
    assert.equal(sandbox.agent('reactor@test')!.artifact.manifest.path, 'direct');
    const r = sandbox.run(work('reactor@test', 'echo:initialised'));
    assert.deepEqual(
      r.outbox.map((m) => m.content),
      ['initialised'],
    );
  });
});

describe('examples (skipped when not built)', () => {
  const cases: [string, string, (r: WorkResult, path: string) => void][] = [
    [
      'as-echo/build/as-echo.wasm',
      'echoes on the direct path',
      (r, p) => {
        assert.equal(p, 'direct');
        assert.deepEqual(
          r.outbox.map((m) => [m.performative, m.content]),
          [['inform', 'hello']],
        );
      },
    ],
    [
      'js-echo/build/js-echo.wasm',
      'echoes on the jco path',
      (r, p) => {
        assert.equal(p, 'jco');
        assert.deepEqual(
          r.outbox.map((m) => [m.performative, m.content]),
          [['inform', 'hello']],
        );
      },
    ],
    [
      'hostile/as-infinite-loop/build/hostile-as-infinite-loop.wasm',
      'AS infinite loop: out of fuel',
      (r) => assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel'),
    ],
    [
      'hostile/js-infinite-loop/build/hostile-js-infinite-loop.wasm',
      'JS infinite loop: out of fuel',
      (r) => assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel'),
    ],
    [
      'hostile/as-deep-recursion/build/hostile-as-deep-recursion.wasm',
      'AS recursion: stack overflow',
      (r) => assert.equal(r.status === 'crashed' && r.kind, 'stack-overflow'),
    ],
    [
      'hostile/js-deep-recursion/build/hostile-js-deep-recursion.wasm',
      'JS recursion: stack overflow',
      (r) => assert.equal(r.status === 'crashed' && r.kind, 'stack-overflow'),
    ],
    [
      'hostile/as-unreachable/build/hostile-as-unreachable.wasm',
      'AS unreachable: trap',
      (r) => assert.equal(r.status === 'crashed' && r.kind, 'trap'),
    ],
    [
      'hostile/as-abort/build/hostile-as-abort.wasm',
      'AS abort: trap, with the abort message logged',
      (r) => {
        assert.equal(r.status === 'crashed' && r.kind, 'trap');
        assert.ok(r.logs.some((l) => /abort/.test(l.message)));
      },
    ],
    [
      'hostile/as-memory-bomb/build/hostile-as-memory-bomb.wasm',
      'AS memory bomb: out of memory at the cap',
      (r) => assert.equal(r.status === 'crashed' && r.kind, 'out-of-memory'),
    ],
    [
      'hostile/as-wasi-probe/build/hostile-as-wasi-probe.wasm',
      'AS WASI probe (preview1 adapter): nothing to see',
      (r) => {
        const report = r.outbox[0]?.content ?? '';
        assert.match(report, /count:0/);
        // One preopen, the agent's own /data (decision 2191); the host's files stay unreachable (44: ENOENT).
        assert.match(report, /preopens=3:\/data open=errno:44 read=0/);
      },
    ],
    [
      'hostile/js-wasi-probe/build/hostile-js-wasi-probe.wasm',
      'JS WASI probe: nothing to see',
      (r) => {
        const report = r.outbox[0]?.content ?? '';
        // One preopen, the agent's own /data (decision 2191); the host's files stay unreachable.
        assert.match(report, /env=ok:0 preopens=\/data open=error:no-entry read=0 sock=error:access-denied/);
      },
    ],
  ];
  for (const [path, title, check] of cases) {
    it(title, async (t) => {
      const out = await runExample(path);
      if (!out) {
        t.skip(`examples/${path} is not built (run scripts/build-examples.mjs)`);
        return;
      }
      check(out.result, out.path);
    });
  }
});
