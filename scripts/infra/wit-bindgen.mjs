/**
 * wit-bindgen, the Bytecode Alliance's binding generator, for the Rust SDK's generated bindings
 * (`npm run gen:bindings`; sdk-rust/src/bindings.rs is its output, committed). Built once from
 * crates.io with the machine's cargo (pinned version, ~4.5 min on 2 cores), into the cache, then
 * reused. Nothing else needs it: agents build from the committed bindings.
 */
import { cargoInstalled } from './lib/cargo-install.mjs';

export const WIT_BINDGEN_VERSION = '0.46.0';

/** Path of a wit-bindgen binary, installing it first if needed. */
export function installWitBindgen() {
  return cargoInstalled({ tool: 'wit-bindgen', crate: 'wit-bindgen-cli', version: WIT_BINDGEN_VERSION, bin: 'wit-bindgen', minutes: 5 });
}
