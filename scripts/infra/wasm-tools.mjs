/**
 * wasm-tools, for its `smith` subcommand (wasm-smith: random valid WebAssembly modules from a seed),
 * which the sandbox fuzz tests and `npm run bench -- fuzz` feed through preparation and calls.
 * Built once from crates.io with the machine's cargo (pinned version, only the features used:
 * ~2–3 min on 2 cores), into the cache, then reused.
 */
import { cargoInstalled } from './lib/cargo-install.mjs';

export const WASM_TOOLS_VERSION = '1.263.0';

/** Path of a wasm-tools binary with `smith`, installing it first if needed. */
export function installWasmTools() {
  return cargoInstalled({
    tool: 'wasm-tools',
    crate: 'wasm-tools',
    version: WASM_TOOLS_VERSION,
    bin: 'wasm-tools',
    args: ['--no-default-features', '--features', 'smith,parse,print'],
    minutes: 3,
  });
}
