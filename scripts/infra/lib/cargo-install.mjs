/**
 * A pinned tool built from crates.io with the machine's cargo, once, into the cache, then reused
 * (wasm-tools for the fuzz tests, wit-bindgen for the Rust SDK's bindings).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InfraError } from './errors.mjs';
import { run, which } from './exec.mjs';
import { progress } from './log.mjs';
import { withLock } from './lock.mjs';
import { cacheDir } from './paths.mjs';

/**
 * Path of `bin` from crate `crate`@`version`, built with `cargo install` (plus `args`) if it is not
 * in the cache yet. `tool` names it in errors and progress; `minutes` is what a build here takes.
 */
export async function cargoInstalled({ tool, crate, version, bin, args = [], minutes }) {
  const root = path.join(cacheDir(), 'tools', `${tool}-${version}`);
  const binPath = path.join(root, 'bin', bin);
  if (existsSync(binPath)) return binPath;
  return withLock(path.join(cacheDir(), `${tool}-install`), `installing ${tool}`, async () => {
    if (existsSync(binPath)) return binPath;
    const cargo = await which('cargo');
    if (!cargo) {
      throw new InfraError(`infra.${tool}.no-cargo`, `${tool} is built with cargo, which is not on PATH`, {
        hint: `install Rust (rustup), then retry; or put a ${tool} ${version} binary at ${binPath}`,
      });
    }
    const started = Date.now();
    progress(`building ${tool} ${version} with cargo install (once, ~${minutes} min)…`);
    const r = await run(cargo, ['install', crate, '--version', version, '--locked', ...args, '--root', root], {
      env: { CARGO_TARGET_DIR: path.join(cacheDir(), 'build', tool) },
    });
    if (r.code !== 0 || !existsSync(binPath)) {
      throw new InfraError(`infra.${tool}.install-failed`, `cargo install ${crate}@${version} failed`, {
        hint: r.output.split('\n').slice(-10).join('\n'),
      });
    }
    progress(`${tool} installed in ${((Date.now() - started) / 1000).toFixed(0)} s (${binPath})`);
    return binPath;
  });
}
