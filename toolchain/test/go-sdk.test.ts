/**
 * The Go SDK's own tests (`go test` on the host: ABI layouts and round trips, protocol helpers
 * against the recording host of caxton.UseHost), run from a copy of sdk-go with caxton's Go
 * environment (its caches, no network), so `npm test` runs them like the Rust and Python SDKs'.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { goEnv, goSdkDir, requireGo } from '../src/toolchains/go.js';
import { runTool } from '../src/toolchains/run.js';

const TIMEOUT = 10 * 60_000;

describe('the Go SDK', { timeout: TIMEOUT }, () => {
  it('caxton.dev/caxton passes its own go tests', { timeout: TIMEOUT }, async () => {
    const { go } = await requireGo();
    const work = await mkdtemp(path.join(tmpdir(), 'caxton-sdk-go-test-'));
    try {
      await cp(goSdkDir(), path.join(work, 'sdk-go'), { recursive: true });
      const r = await runTool(go, ['test', '-count=1', '-v', './...'], {
        cwd: path.join(work, 'sdk-go'),
        env: goEnv(),
        timeoutMs: TIMEOUT,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const passed = [...r.stdout.matchAll(/^--- PASS: /gm)].length;
      assert.ok(passed >= 1, `${passed} go tests passed:\n${r.stdout}`);
      assert.doesNotMatch(r.stdout, /^--- FAIL: /m);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
