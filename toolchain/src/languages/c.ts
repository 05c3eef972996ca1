/**
 * C: clang --target=wasm32-wasi -mexec-model=reactor compiles the project's sources together with
 * the C SDK (sdk-c/ of this caxton: caxton.h + its sources) into one core module whose exports and
 * imports carry the canonical-ABI names of the agent world (export_name/import_module attributes),
 * then jco embed (utf8) + jco new make the component. See docs/decisions/0506-c-agents.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadJco, requireLastingRealloc, resolveJco, WASI_PREVIEW1_MODULE } from '../component.js';
import { BuildError, CompileError, InvalidAgentError } from '../errors.js';
import { toolchainPackageDir } from '../toolchain.js';
import { C_INSTALL_HINT, cToolchainStatus } from '../toolchains/c.js';
import { runTool } from '../toolchains/run.js';
import type { BuildContext, LanguageBuilder, LanguagePlan } from './language.js';
import { componentOfWorld } from './world-component.js';
import { SDK_NON_SOURCES } from './sdk-trees.js';

export const C_SDK_DIR_NAME = 'sdk-c';
/** Where `caxton sdk install` would put a pinned copy; a project's copy wins over caxton's. */
export const C_LOCAL_SDK = path.join('caxton', 'sdk-c');

const GUEST = 'caxton:agent/guest@0.1.0#';
export const C_REQUIRED_EXPORTS = ['memory', 'cabi_realloc', `${GUEST}init`, `${GUEST}handle`, `${GUEST}on-timer`];
export const C_OPTIONAL_EXPORTS = [
  '_initialize',
  // The call's scratch allocators (the SDK's since decision 2191; `cabi_realloc` is then the adapter's lasting one).
  'cabi_export_realloc',
  'cabi_import_realloc',
  ...['init', 'handle', 'on-timer'].map((f) => `cabi_post_${GUEST}${f}`),
];

/** The SDK file whose stdio back ends write nothing (for agents without WASI). */
const SDK_STDIO_STUBS = 'stdio.c';

/** The C SDK a build uses: the project's pinned copy, else the one this caxton carries. */
export function resolveCSdk(projectDir: string): { dir: string; pinned: boolean } {
  const local = path.join(projectDir, C_LOCAL_SDK);
  if (existsSync(path.join(local, 'include', 'caxton.h'))) return { dir: local, pinned: true };
  const own = path.resolve(toolchainPackageDir(), '..', C_SDK_DIR_NAME);
  if (!existsSync(path.join(own, 'include', 'caxton.h'))) {
    throw new BuildError('build.sdk-missing', `the C SDK (${C_SDK_DIR_NAME}/) is missing from this caxton install`, {
      context: { looked: own },
      hint: 'reinstall caxton from a complete checkout (sdk-c/ ships with it)',
    });
  }
  return { dir: own, pinned: false };
}

/**
 * The SDK's sources to compile with the agent. With WASI (`"wasi": true`) its stdio.c is left out:
 * it replaces libc's stdio back ends with ones that write nothing (an agent without WASI has no
 * descriptors), which would drop an agent's writes to its files at /data (decision 2191) silently.
 */
function sdkSources(sdkDir: string, wasi: boolean): string[] {
  return readdirSync(path.join(sdkDir, 'src'))
    .filter((f) => f.endsWith('.c') && !(wasi && f === SDK_STDIO_STUBS))
    .sort()
    .map((f) => path.join(sdkDir, 'src', f));
}

/** Extra compiler flags from caxton.json "cflags" (e.g. ["-DDEBUG"]). */
function projectCflags(manifest: unknown): string[] {
  const flags = (manifest as { cflags?: unknown }).cflags;
  if (flags === undefined) return [];
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string')) {
    throw new BuildError('build.bad-manifest', 'caxton.json "cflags" must be a list of strings', { hint: 'e.g. "cflags": ["-DNDEBUG"]' });
  }
  return flags as string[];
}

export const cBuilder: LanguageBuilder = {
  async plan(ctx: BuildContext): Promise<LanguagePlan> {
    const { project, optimize, wasi } = ctx;
    const status = await cToolchainStatus();
    if (!status.ready) {
      throw new BuildError('build.toolchain-missing', `the C toolchain is not installed: ${status.problem ?? 'unknown'}`, {
        context: { language: 'c', versions: status.versions },
        hint: `run: ${C_INSTALL_HINT}`,
      });
    }
    const jcoPackage = resolveJco(ctx.toolchainDirs);
    const sdk = resolveCSdk(project.dir);
    const cflags = projectCflags(project.manifest);
    const includeDirs = ['include', 'src'].filter((d) => existsSync(path.join(project.dir, d)));
    const flags = [
      '--target=wasm32-wasi',
      '-mexec-model=reactor',
      ...(optimize ? ['-O2', '-Wl,--strip-all'] : ['-O0', '-g']),
      '-Wall',
      '-fno-exceptions',
      '-I',
      path.join(sdk.dir, 'include'),
      ...includeDirs.flatMap((d) => ['-I', d]),
      ...cflags,
    ];
    return {
      toolchain: { ...status.versions, jco: jcoPackage.version },
      trees: [{ dir: sdk.dir, skip: SDK_NON_SOURCES }],
      settings: { optimize, wasi, cflags, sdkPinned: sdk.pinned },
      async compile() {
        const out = path.join(await ctx.scratchDir(), `${project.name}.core.wasm`);
        const args = [...flags, ...project.entries, ...sdkSources(sdk.dir, wasi), '-o', out];
        ctx.progress('compile', `clang ${project.entries.join(' ')}`);
        const r = await runTool('clang', args, { cwd: project.dir, timeoutMs: 10 * 60_000 });
        if (r.code !== 0) {
          throw new CompileError('c', project.dir, `${r.stderr}${r.stdout}`.trim() || `clang exited with code ${r.code}`);
        }
        if (r.stderr.trim() !== '') ctx.progress('compile', r.stderr.trim());
        const core = new Uint8Array(await readFile(out));
        const wasiImports = importsOf(core).filter((i) => i.module === WASI_PREVIEW1_MODULE);
        if (wasiImports.length > 0 && !wasi) {
          throw new InvalidAgentError(
            project.dir,
            `it imports ${wasiImports.map((i) => `${i.module}.${i.name}`).join(', ')}, which agents may not use`,
            'the libc call that needs it (printf, fopen, getenv, clock_gettime, …) reaches outside the agent world: log with caxton_log/caxton_logf and read the time with caxton_now',
          );
        }
        if (wasiImports.length > 0) requireLastingRealloc(project.dir, core, 'C');
        const rules = {
          requiredExports: C_REQUIRED_EXPORTS,
          optionalExports: C_OPTIONAL_EXPORTS,
          allowWasi: wasi,
          exportHint: 'compile the SDK sources (sdk-c/src/*.c) with the agent: caxton build does; a custom build must too',
        };
        const jco = async () => (await loadJco(ctx.toolchainDirs)).api;
        return componentOfWorld(ctx, jco, core, rules, { stringEncoding: 'utf8', wasiReactor: wasiImports.length > 0 });
      },
    };
  },
};

interface WasmImport {
  module: string;
  name: string;
}
function importsOf(core: Uint8Array): WasmImport[] {
  const W = (globalThis as unknown as { WebAssembly: { Module: (new (b: Uint8Array) => object) & { imports(m: object): WasmImport[] } } })
    .WebAssembly;
  return W.Module.imports(new W.Module(core));
}
