/**
 * The Rust SDK's own tests (`cargo test` on the host target, Debian's cargo: ABI offsets and round
 * trips, protocol helpers against the recording stand-in host), run from a copy of sdk-rust so
 * cargo's Cargo.lock and target/ never land in the SDK tree that agent builds hash. Also: the
 * Rust toolchain reports itself ready, and a project without the SDK export fails with a hint.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildAgent, ensureToolchain } from '../src/index.js';
import { cacheRoot } from '../src/toolchains/cache.js';
import { DEBIAN_CARGO, DEBIAN_RUSTC } from '../src/toolchains/rust.js';
import { runTool } from '../src/toolchains/run.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TIMEOUT = 10 * 60_000;

describe('the Rust SDK and toolchain', { timeout: 2 * TIMEOUT }, () => {
  it('caxton-sdk passes its own cargo tests', { timeout: TIMEOUT }, async () => {
    const status = await ensureToolchain('rust', () => undefined);
    assert.ok(status.ready, status.problem);
    assert.match(status.versions['rustc'] ?? '', /^1\.\d+/);
    const work = await mkdtemp(path.join(tmpdir(), 'caxton-sdk-rust-test-'));
    try {
      await cp(path.join(REPO, 'sdk-rust'), path.join(work, 'sdk-rust'), {
        recursive: true,
        filter: (s) => !/[/\\](target|Cargo\.lock)$/.test(s),
      });
      const r = await runTool(DEBIAN_CARGO, ['test', '--offline', '--color', 'never'], {
        cwd: path.join(work, 'sdk-rust'),
        env: { ...process.env, RUSTC: DEBIAN_RUSTC, CARGO_TARGET_DIR: path.join(cacheRoot(), 'rust-target', 'sdk-rust-tests') },
        timeoutMs: TIMEOUT,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const passed = [...r.stdout.matchAll(/test result: ok\. (\d+) passed/g)].reduce((n, m) => n + Number(m[1]), 0);
      assert.ok(passed >= 12, `${passed} tests passed:\n${r.stdout}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('a crate that forgets export_agent! is refused with what to write', { timeout: TIMEOUT }, async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'caxton-rust-noexport-'));
    try {
      await cp(path.join(REPO, 'examples', 'rust-echo'), work, { recursive: true, filter: (s) => !/[/\\]build$/.test(s) });
      await writeFile(path.join(work, 'src', 'lib.rs'), 'pub fn nothing() {}\n');
      await assert.rejects(
        buildAgent(work),
        (err: { code: string; message: string; hint?: string }) =>
          err.code === 'build.invalid-agent' && /does not export/.test(err.message) && /export_agent!/.test(err.hint ?? ''),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
