/**
 * Rust: Debian's rustc and cargo plus the wasm32 standard libraries (libstd-rust-dev-wasm32) and
 * the linker (lld), installed with apt. Debian's cargo is always run as /usr/bin/cargo with
 * RUSTC=/usr/bin/rustc: a rustup rustc earlier on PATH has no wasm target unless `rustup target add`
 * fetched one, and Debian's packages bring theirs (docs/decisions/0505-rust-agents.md).
 */
import { existsSync } from 'node:fs';
import { aptInstall, aptInstalled } from './apt.js';
import { withToolchainLock } from './cache.js';
import { versionOf } from './run.js';
import type { Toolchain, ToolchainLog, ToolchainStatus } from './toolchain.js';

/**
 * `lld` too: rustc links wasm with /usr/bin/rust-lld, which Debian's rustc ships only as a link to
 * lld-14, a package it merely recommends (and `--no-install-recommends` leaves out). Without it
 * every Rust build fails with "linker `rust-lld` not found" until something else installs lld.
 */
export const RUST_APT_PACKAGES = ['rustc', 'cargo', 'libstd-rust-dev-wasm32', 'lld'] as const;
export const DEBIAN_RUSTC = '/usr/bin/rustc';
export const DEBIAN_CARGO = '/usr/bin/cargo';
/** The linker rustc runs for wasm targets; a dangling link when lld is not installed. */
export const DEBIAN_RUST_LLD = '/usr/bin/rust-lld';
/** The wasm target agents are compiled for (no WASI imports at all: see the decision note). */
export const RUST_TARGET = 'wasm32-unknown-unknown';
/**
 * The target of an agent built with `"wasi": true` (decision 2191: `std::fs` reaches its files at
 * /data through WASI preview1, adapted to WASI 0.2 by the reactor adapter). Debian's
 * libstd-rust-dev-wasm32 ships its standard library too.
 */
export const RUST_WASI_TARGET = 'wasm32-wasi';
/** Where Debian puts each target's standard library. */
const TARGET_STD = `/usr/lib/rustlib/${RUST_TARGET}`;
const WASI_TARGET_STD = `/usr/lib/rustlib/${RUST_WASI_TARGET}`;

const INSTALL = 'caxton toolchain install rust';

async function status(): Promise<ToolchainStatus> {
  const versions: Record<string, string> = {};
  const problems: string[] = [];
  const rustc = existsSync(DEBIAN_RUSTC) ? await versionOf(DEBIAN_RUSTC) : undefined;
  const cargo = existsSync(DEBIAN_CARGO) ? await versionOf(DEBIAN_CARGO) : undefined;
  if (rustc) versions['rustc'] = rustc.replace(/^rustc\s+/, '');
  else problems.push(`${DEBIAN_RUSTC} (Debian package rustc) is missing`);
  if (cargo) versions['cargo'] = cargo.replace(/^cargo\s+/, '');
  else problems.push(`${DEBIAN_CARGO} (Debian package cargo) is missing`);
  // existsSync follows the link: false while it dangles (lld-14 not installed).
  if (!existsSync(DEBIAN_RUST_LLD)) problems.push(`${DEBIAN_RUST_LLD}, the wasm linker, is missing (Debian package lld)`);
  if (existsSync(TARGET_STD)) versions[RUST_TARGET] = 'libstd-rust-dev-wasm32';
  else problems.push(`the ${RUST_TARGET} standard library (Debian package libstd-rust-dev-wasm32) is missing`);
  if (existsSync(WASI_TARGET_STD)) versions[RUST_WASI_TARGET] = 'libstd-rust-dev-wasm32';
  else problems.push(`the ${RUST_WASI_TARGET} standard library (Debian package libstd-rust-dev-wasm32) is missing`);
  return {
    language: 'rust',
    versions,
    ready: problems.length === 0,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    install: `${INSTALL} (runs: apt-get install ${RUST_APT_PACKAGES.join(' ')})`,
  };
}

async function install(log: ToolchainLog): Promise<ToolchainStatus> {
  return withToolchainLock('rust', async () => {
    const before = await status();
    if (before.ready) return before;
    const missing = await aptInstalled(RUST_APT_PACKAGES);
    if (missing.length > 0) await aptInstall(missing, log);
    return status();
  });
}

export const rustToolchain: Toolchain = {
  language: 'rust',
  describe: `Debian rustc + cargo + libstd-rust-dev-wasm32 + lld (apt), target ${RUST_TARGET}`,
  status,
  install,
};
