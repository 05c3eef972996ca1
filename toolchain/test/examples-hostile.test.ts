/**
 * The hostile test agents do what their names say. They are inputs for the sandbox and bus tests;
 * here they run under a bare jco host (no limits), so only behaviours that end by themselves are
 * run to completion; the infinite loops run in a worker that is terminated after a deadline, and
 * unbounded memory growth is only exercised in its bounded (leak-per-message) mode.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { buildAgent } from '../src/index.js';
import { examplesDir, tempOutDir } from './fixtures.js';
import { blankMessage, errPayload, loadAgent, TestHost, type AgentFactory, type Guest } from './harness.js';

const HOSTILE = [
  'as-infinite-loop',
  'as-memory-bomb',
  'as-deep-recursion',
  'as-abort',
  'as-unreachable',
  'as-poison',
  'as-wasi-probe',
  'js-infinite-loop',
  'js-memory-bomb',
  'js-deep-recursion',
  'js-poison',
  'js-wasi-probe',
] as const;
type Hostile = (typeof HOSTILE)[number];
const artifacts = new Map<Hostile, string>();
const factories = new Map<Hostile, AgentFactory>();

async function agent(
  name: Hostile,
  config: Array<[string, string]> = [],
  extra: Record<string, unknown> = {},
): Promise<{ host: TestHost; guest: Guest }> {
  const host = new TestHost();
  const guest = await (factories.get(name) as AgentFactory).instantiate(host, extra);
  guest.init({ self: { name: `${name}@test`, addresses: [] }, config });
  return { host, guest };
}
const DECOY = 'root:x:0:0:decoy:/root:/bin/sh\n';
const msg = (content: string) => blankMessage('request', { content, sender: { name: 'tester@test', addresses: [] } });

/** Runs one call in a worker; resolves with what the worker reported within `ms` (or 'timeout'). */
function callInWorker(wasm: string, call: 'init' | 'handle' | 'on-timer', config: Array<[string, string]>, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker-call.js', import.meta.url), { workerData: { wasm, config, call } });
    let timer: NodeJS.Timeout | undefined;
    w.on('message', (m: string) => {
      if (m === 'instantiated') {
        timer = setTimeout(() => void w.terminate().then(() => resolve('timeout')), ms);
        return;
      }
      clearTimeout(timer);
      void w.terminate().then(() => resolve(m));
    });
    w.on('error', reject);
  });
}

describe('hostile test agents', () => {
  before(async () => {
    // Built in place (git-ignored build/ dirs), reusing up-to-date artifacts, like build-examples.
    for (const name of HOSTILE) {
      const built = await buildAgent(path.join(examplesDir, 'hostile', name), { reuse: true });
      artifacts.set(name, built.artifactPath);
      factories.set(name, await loadAgent(built.artifactPath));
    }
  });

  it('import nothing but caxton:agent/host, except the WASI probes', () => {
    for (const name of HOSTILE) {
      const imports = (factories.get(name) as AgentFactory).imports;
      if (name.endsWith('wasi-probe')) {
        assert.ok(
          imports.some((i) => i.startsWith('wasi:filesystem/')),
          `${name} imports wasi:filesystem`,
        );
        assert.ok(
          imports.some((i) => i.startsWith('wasi:cli/environment')),
          `${name} imports wasi:cli/environment`,
        );
      } else {
        assert.deepEqual(imports, ['caxton:agent/host'], name);
      }
    }
  });

  for (const name of ['as-infinite-loop', 'js-infinite-loop'] as const) {
    it(`${name} never returns from handle (stopped by terminating its worker)`, async () => {
      assert.equal(await callInWorker(artifacts.get(name) as string, 'handle', [], 1000), 'timeout');
    });
    it(`${name} spins in init when configured`, async () => {
      assert.equal(await callInWorker(artifacts.get(name) as string, 'init', [['spin-in', 'init']], 1000), 'timeout');
    });
  }

  it('memory bombs hold what they allocate across messages (leak mode)', async () => {
    for (const name of ['as-memory-bomb', 'js-memory-bomb'] as const) {
      const { host, guest } = await agent(name, [['leak-kb-per-message', '512']]);
      for (let i = 0; i < 4; i++) guest.handle(msg('more'));
      assert.deepEqual(
        host.sent.map((m) => m.content),
        ['512', '1024', '1536', '2048'],
        name,
      );
    }
  });

  for (const name of ['as-deep-recursion', 'js-deep-recursion'] as const) {
    it(`${name} overflows the engine stack (a trap, not an error result)`, async () => {
      const { guest } = await agent(name);
      assert.throws(
        () => guest.handle(msg('x')),
        (e) => e instanceof RangeError && /call stack/i.test(e.message) && errPayload(e) === undefined,
      );
    });
  }

  it('as-abort logs why, then traps', async () => {
    const { host, guest } = await agent('as-abort');
    assert.throws(() => guest.handle(msg('x')), /unreachable/);
    assert.equal(host.logs.length, 1);
    assert.equal(host.logs[0]?.level, 'error');
    assert.match(host.logs[0]?.message ?? '', /^abort: as-abort: deliberate abort on x at .*index\.ts:\d+:\d+$/);
  });

  it('as-unreachable traps without a word', async () => {
    const { host, guest } = await agent('as-unreachable');
    assert.throws(() => guest.handle(msg('x')), /unreachable/);
    assert.deepEqual(host.logs, []);
  });

  for (const name of ['as-poison', 'js-poison'] as const) {
    it(`${name} echoes normal messages and traps on poison, every time`, async () => {
      const { host, guest } = await agent(name, [['poison', 'TOXIC']]);
      guest.handle(msg('harmless'));
      assert.equal(host.sent[0]?.content, 'harmless');
      assert.throws(() => guest.handle(msg('a TOXIC payload')), /unreachable/);
      // A trapped instance is finished; a fresh one traps again on the same message.
      assert.throws(() => guest.handle(msg('harmless')), /cannot enter component instance/);
      const again = await agent(name, [['poison', 'TOXIC']]);
      assert.throws(() => again.guest.handle(msg('TOXIC')), /unreachable/);
    });
  }

  describe('WASI probes', () => {
    let shimModule: { WASIShim: new (opts?: object) => { getImportObject(): Record<string, unknown> } };
    let root: string;
    before(async () => {
      shimModule = (await import('@bytecodealliance/preview2-shim/instantiation')) as unknown as typeof shimModule;
      root = tempOutDir('wasi-probe');
      mkdirSync(path.join(root, 'etc'));
      writeFileSync(path.join(root, 'etc', 'passwd'), DECOY);
    });
    const permissive = (network = false) =>
      new shimModule.WASIShim({
        sandbox: { preopens: { '/': root }, env: { CAXTON_PROBE_SECRET: 's3cret' }, enableNetwork: network },
      }).getImportObject();
    const locked = () => new shimModule.WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } }).getImportObject();

    it('as-wasi-probe reads env and files when a host grants WASI', async () => {
      const { host, guest } = await agent('as-wasi-probe', [], permissive());
      guest.handle(msg('probe'));
      const report = host.sent[0]?.content ?? '';
      assert.match(report, /env=errno:0,count:1,names:CAXTON_PROBE_SECRET /);
      assert.ok(report.includes(` preopens=3:/ open=ok read=${DECOY.length} `), report);
      assert.doesNotMatch(report, /s3cret/, 'reports names, never values');
      assert.match(report, / sock=skipped$/);
    });

    it('as-wasi-probe finds nothing under a locked-down WASI', async () => {
      const { host, guest } = await agent('as-wasi-probe', [], locked());
      guest.handle(msg('probe'));
      assert.match(host.sent[0]?.content ?? '', /^env=errno:0,count:0 preopens=none open=none read=0 sock=skipped$/);
    });

    it('WASI probes cannot even be instantiated without WASI imports', async () => {
      for (const name of ['as-wasi-probe', 'js-wasi-probe'] as const) {
        await assert.rejects((factories.get(name) as AgentFactory).instantiate(new TestHost()), /wasi|undefined/i, name);
      }
    });

    it('js-wasi-probe reads env, files and binds a socket when a host grants WASI', async () => {
      const { host, guest } = await agent('js-wasi-probe', [], permissive(true));
      guest.handle(msg('probe'));
      assert.equal(host.sent[0]?.content, `env=ok:1:CAXTON_PROBE_SECRET preopens=/ open=ok read=${DECOY.length} sock=ok:bound clock=ok`);
    });

    it('js-wasi-probe finds nothing under a locked-down WASI', async () => {
      const { host, guest } = await agent('js-wasi-probe', [], locked());
      guest.handle(msg('probe'));
      assert.equal(host.sent[0]?.content, 'env=ok:0 preopens=none open=none read=0 sock=error:access-denied clock=ok');
    });
  });
});
