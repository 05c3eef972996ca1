/**
 * Rust: Debian's cargo builds the project's cdylib for wasm32-unknown-unknown, then jco embed
 * (utf8) + jco new make the component. The project is copied into the build's scratch directory
 * (cargo writes Cargo.lock next to Cargo.toml; the author's directory is never written), the SDK
 * dependency `caxton-sdk` is patched to caxton's own sdk-rust (or the project's pinned copy in
 * caxton-sdk/, see `caxton sdk install`), and cargo's target directory lives in caxton's cache so
 * the SDK and unchanged code are compiled once. See docs/decisions/0505-rust-agents.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadJco, requireLastingRealloc, resolveJco } from '../component.js';
import { BuildError, CompileError } from '../errors.js';
import { toolchainPackageDir } from '../toolchain.js';
import { cacheRoot } from '../toolchains/cache.js';
import { ensureToolchain } from '../toolchains/index.js';
import { DEBIAN_CARGO, DEBIAN_RUSTC, RUST_TARGET, RUST_WASI_TARGET } from '../toolchains/rust.js';
import { runTool } from '../toolchains/run.js';
import type { BuildContext, LanguageBuilder, LanguagePlan } from './language.js';
import { componentOfWorld } from './world-component.js';

export const RUST_SDK_CRATE = 'caxton-sdk';
/** Release profile every agent is built with (cargo --config, whatever Cargo.toml says). */
const PROFILE: Record<string, string> = {
  'opt-level': '"s"',
  lto: 'true',
  'codegen-units': '1',
  panic: '"abort"',
  debug: '0',
  strip: 'true',
};
/** Exports a Rust cdylib has besides the world's functions (harmless: the component drops them). */
const LINKER_EXPORTS = ['__data_end', '__heap_base'];
const GUEST = 'caxton:agent/guest@0.1.0';

/** The SDK a Rust project builds with: a pinned copy in the project, else the one caxton carries. */
export function rustSdkDir(projectDir: string): string {
  const pinned = path.join(projectDir, RUST_SDK_CRATE);
  if (existsSync(path.join(pinned, 'Cargo.toml'))) return pinned;
  const carried = path.resolve(toolchainPackageDir(), '..', 'sdk-rust');
  if (!existsSync(path.join(carried, 'Cargo.toml'))) {
    throw new BuildError('build.sdk-missing', 'the Rust SDK (sdk-rust) is missing from this caxton install', {
      context: { looked: carried },
      hint: 'reinstall caxton whole (the Caxton checkout carries sdk-rust/ beside runtime/)',
    });
  }
  return carried;
}

function crateName(cargoToml: string): string {
  const m = /^\s*name\s*=\s*"([^"]+)"/m.exec(cargoToml);
  return (m?.[1] ?? 'agent').replace(/-/g, '_');
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

export const rustBuilder: LanguageBuilder = {
  async plan(ctx: BuildContext): Promise<LanguagePlan> {
    const { project, toolchainDirs, optimize, wasi } = ctx;
    // With "wasi": true, std's WASI build (std::fs reaches /data, decision 2191); else no WASI at all.
    const target = wasi ? RUST_WASI_TARGET : RUST_TARGET;
    const status = await ensureToolchain('rust', (line) => ctx.progress('toolchain', line));
    const jcoPackage = resolveJco(toolchainDirs);
    const sdkDir = rustSdkDir(project.dir);
    const sdkVersion = /^\s*version\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(sdkDir, 'Cargo.toml'), 'utf8'))?.[1] ?? '0.0.0';
    return {
      toolchain: { ...status.versions, sdk: sdkVersion, jco: jcoPackage.version },
      trees: [{ dir: sdkDir, skip: ['target', 'tests'] }],
      settings: { optimize, target, profile: PROFILE },
      async compile() {
        const scratch = await ctx.scratchDir();
        const src = path.join(scratch, 'project');
        await cp(project.dir, src, {
          recursive: true,
          filter: (p) => path.dirname(p) !== project.dir || !['target', 'build', '.git', 'node_modules'].includes(path.basename(p)),
        });
        const cargoToml = await readFile(path.join(project.dir, 'Cargo.toml'), 'utf8');
        const crate = crateName(cargoToml);
        // One target directory per project name in caxton's cache: incremental across builds.
        const targetDir = path.join(cacheRoot(), 'rust-target', project.name);
        const profile = optimize ? 'release' : 'dev';
        const configs = [
          `patch.crates-io.${RUST_SDK_CRATE}.path=${tomlString(sdkDir)}`,
          ...Object.entries(PROFILE).map(([k, v]) => `profile.${profile}.${k}=${profile === 'dev' && k === 'opt-level' ? '1' : v}`),
        ];
        const args = [
          'build',
          '--offline',
          '--lib',
          '--target',
          target,
          ...(optimize ? ['--release'] : []),
          ...configs.flatMap((c) => ['--config', c]),
          '--message-format',
          'human',
          '--color',
          'never',
        ];
        ctx.progress('compile', `cargo build --target ${target}${optimize ? ' --release' : ''}`);
        const env: NodeJS.ProcessEnv = { ...process.env, RUSTC: DEBIAN_RUSTC, CARGO_TARGET_DIR: targetDir, CARGO_TERM_COLOR: 'never' };
        delete env['RUSTFLAGS'];
        delete env['CARGO_BUILD_TARGET'];
        const r = await runTool(DEBIAN_CARGO, args, { cwd: src, env, timeoutMs: 15 * 60_000 });
        if (r.code !== 0) {
          const diagnostics = r.stderr
            .split(src)
            .join(project.dir)
            .split('\n')
            .filter((l) => !/^\s*(Compiling|Updating|Finished|Blocking)\b/.test(l))
            .join('\n');
          throw new CompileError(
            'rust',
            project.dir,
            diagnostics || r.stdout,
            undefined,
            /no matching package named `caxton-sdk`|caxton-sdk/.test(r.stderr) && !/error\[E/.test(r.stderr)
              ? `declare the SDK in Cargo.toml as \`${RUST_SDK_CRATE} = "0.1"\` under [dependencies]; caxton build provides it`
              : undefined,
          );
        }
        const wasmPath = path.join(targetDir, target, optimize ? 'release' : 'debug', `${crate}.wasm`);
        if (!existsSync(wasmPath)) {
          throw new BuildError('build.rust-not-cdylib', `cargo built no ${crate}.wasm for ${project.dir}`, {
            context: { dir: project.dir, expected: wasmPath },
            hint: 'add `[lib] crate-type = ["cdylib"]` to Cargo.toml',
          });
        }
        const core = new Uint8Array(await readFile(wasmPath));
        // The generated bindings (decision 2203) export a post-return for each guest function.
        if (wasi) requireLastingRealloc(project.dir, core, 'Rust', `cabi_post_${GUEST}#init`);
        const jco = await loadJco(toolchainDirs);
        const rules = {
          requiredExports: ['memory', 'cabi_realloc', `${GUEST}#init`, `${GUEST}#handle`, `${GUEST}#on-timer`],
          optionalExports: [
            ...LINKER_EXPORTS,
            // A pinned SDK's call allocators (decision 2191; generated bindings have none, 2203),
            // and a WASI reactor's start.
            'cabi_export_realloc',
            'cabi_import_realloc',
            '_initialize',
            ...['init', 'handle', 'on-timer'].map((f) => `cabi_post_${GUEST}#${f}`),
          ],
          allowWasi: wasi,
          exportHint: 'implement caxton_sdk::Agent for your agent type and write `caxton_sdk::export_agent!(MyAgent);` once in src/lib.rs',
        };
        return componentOfWorld(ctx, jco.api, core, rules, { stringEncoding: 'utf8', wasiReactor: wasi });
      },
    };
  },
};
