/**
 * wasm-tools, for its `smith` subcommand (wasm-smith: random valid WebAssembly modules from a seed),
 * which the sandbox fuzz tests and `npm run bench -- fuzz` feed through preparation and calls.
 * Built once from crates.io with the machine's cargo (pinned version, only the features used:
 * ~2–3 min on 2 cores), into the cache, then reused.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withLock } from './lib/lock.mjs';

export const WASM_TOOLS_VERSION = '1.263.0';

/** Path of a wasm-tools binary with `smith`, installing it first if needed. */
export async function installWasmTools() {
  const root = path.join(cacheDir(), 'tools', `wasm-tools-${WASM_TOOLS_VERSION}`);
  const bin = path.join(root, 'bin', 'wasm-tools');
  if (existsSync(bin)) return bin;
  return withLock(path.join(cacheDir(), 'wasm-tools-install'), 'installing wasm-tools', async () => {
    if (existsSync(bin)) return bin;
    const cargo = await which('cargo');
    if (!cargo) {
      throw new InfraError('infra.wasm-tools.no-cargo', 'wasm-tools is built with cargo, which is not on PATH', {
        hint: `install Rust (rustup, cargo ≥ 1.88), then retry; or put a wasm-tools ${WASM_TOOLS_VERSION} binary at ${bin}`,
      });
    }
    const started = Date.now();
    progress(`building wasm-tools ${WASM_TOOLS_VERSION} (smith) with cargo install (once, ~3 min)…`);
    const r = await run(
      cargo,
      [
        'install',
        'wasm-tools',
        '--version',
        WASM_TOOLS_VERSION,
        '--locked',
        '--no-default-features',
        '--features',
        'smith,parse,print',
        '--root',
        root,
      ],
      { env: { CARGO_TARGET_DIR: path.join(cacheDir(), 'build', 'wasm-tools') } },
    );
    if (r.code !== 0 || !existsSync(bin)) {
      throw new InfraError('infra.wasm-tools.install-failed', `cargo install wasm-tools@${WASM_TOOLS_VERSION} failed`, {
        hint: r.output.split('\n').slice(-10).join('\n'),
      });
    }
    progress(`wasm-tools installed in ${((Date.now() - started) / 1000).toFixed(0)} s (${bin})`);
    return bin;
  });
}
