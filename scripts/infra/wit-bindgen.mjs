/**
 * wit-bindgen, the Bytecode Alliance's binding generator, for the SDKs' generated bindings
 * (`npm run gen:bindings`; sdk-rust/src/bindings.rs, sdk-c/src/bindings.{c,h} and sdk-go/internal/wit
 * are its output, committed). Built once from
 * crates.io with the machine's cargo (pinned version, ~4.5 min on 2 cores), into the cache, then
 * reused. Nothing else needs it: agents build from the committed bindings.
 */
import { cargoInstalled } from './lib/cargo-install.mjs';

export const WIT_BINDGEN_VERSION = '0.46.0';
/** 0.46.0 has no Go generator; the Rust and C bindings stay on 0.46.0 (decision 2205). */
export const WIT_BINDGEN_GO_VERSION = '0.53.0';

/** Path of a wit-bindgen binary of `version`, installing it first if needed. */
export function installWitBindgen(version = WIT_BINDGEN_VERSION) {
  return cargoInstalled({ tool: 'wit-bindgen', crate: 'wit-bindgen-cli', version, bin: 'wit-bindgen', minutes: 5 });
}
