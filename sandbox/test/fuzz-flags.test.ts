/**
 * The wasm-smith flags of decision 0409 are passed for real (issue 26): `--threads-enabled false`
 * and `--memory64-enabled false` once sat inside a comment, so smith generated shared and 64-bit
 * memories the sandbox refuses by design, and those cases tested nothing. Generated modules are
 * printed with the same wasm-tools and checked for either.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SMITH_FLAGS, Smith } from './fixtures/fuzz.js';
import { tempDirRemovedAtExit } from './fixtures/temp-dir.js';

interface InfraModule {
  installWasmTools(): Promise<string>;
}
const infra = (): Promise<InfraModule> => import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<InfraModule>;

function flagValue(name: string): string | undefined {
  const i = SMITH_FLAGS.indexOf(name);
  return i >= 0 ? SMITH_FLAGS[i + 1] : undefined;
}

describe('wasm-smith flags', { timeout: 300_000 }, () => {
  it('disable threads and memory64 as arguments, not in a comment', () => {
    assert.equal(flagValue('--threads-enabled'), 'false');
    assert.equal(flagValue('--memory64-enabled'), 'false');
    assert.equal(flagValue('--relaxed-simd-enabled'), 'false');
    for (let i = 0; i < SMITH_FLAGS.length; i += 2) assert.match(SMITH_FLAGS[i]!, /^--[a-z0-9-]+$/, `flag/value pairs: ${SMITH_FLAGS[i]}`);
  });

  it('generated agents have neither shared nor 64-bit memories', async () => {
    const wasmTools = await (await infra()).installWasmTools();
    const dir = tempDirRemovedAtExit('caxton-smith-flags-');
    const smith = new Smith(wasmTools, dir);
    // Odd seeds: smith's output as generated (even ones also go through withWorkingInit).
    for (let seed = 1; seed <= 79; seed += 2) {
      const file = path.join(dir, `${seed}.wasm`);
      writeFileSync(file, await smith.agentModule(seed));
      const printed = spawnSync(wasmTools, ['print', file], { encoding: 'utf8' });
      assert.equal(printed.status, 0, printed.stderr);
      const memories = printed.stdout.split('\n').filter((l) => /^\s*\(memory\b/.test(l));
      for (const m of memories) {
        assert.doesNotMatch(m, /\bshared\b/, `seed ${seed}: ${m}`);
        assert.doesNotMatch(m, /\bi64\b/, `seed ${seed}: ${m}`);
      }
      assert.doesNotMatch(printed.stdout, /\batomic\.|\.atomic\./, `seed ${seed}: atomics`);
    }
  });
});
