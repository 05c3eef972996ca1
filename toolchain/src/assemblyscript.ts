/**
 * AssemblyScript agent -> core wasm module, with the compiler flags the SDK prescribes
 * (sdk-assemblyscript/toolchain): run in-process through asc's programmatic API, output kept in
 * memory. The component step (utf16 embed + new) is shared with other core-module languages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CompileError } from './errors.js';
import type { AgentProject } from './project.js';
import { importSubpath, requirePackage, type ResolvedPackage } from './toolchain.js';

export const ASSEMBLYSCRIPT_VERSION = '0.28.20';
export const AS_SDK_PACKAGE = '@caxton/sdk-assemblyscript';

interface OutputStream {
  toString(): string;
}
interface AscApi {
  main(
    argv: string[],
    options?: {
      stdout?: OutputStream;
      stderr?: OutputStream;
      writeFile?: (filename: string, contents: Uint8Array | string, baseDir: string) => void;
    },
  ): Promise<{ error: Error | null; stdout: OutputStream; stderr: OutputStream }>;
  createMemoryStream(): OutputStream;
}
interface SdkToolchain {
  ascArgs(opts?: { runtime?: 'minimal' | 'incremental'; optimize?: boolean }): string[];
}
interface SdkAbiNames {
  ABI_EXPORT_NAMES: Readonly<Record<string, string>>;
  REQUIRED_PLAIN_EXPORTS: readonly string[];
}

export interface AssemblyScriptToolchain {
  asc: AscApi;
  sdk: ResolvedPackage;
  compiler: ResolvedPackage;
  toolchain: SdkToolchain;
  /** Core exports a finished module must have (canonical-ABI names). */
  requiredExports: string[];
}

/** Finds the compiler and the SDK without loading them (cheap), for up-to-date checks. */
export function resolveAssemblyScript(dirs: readonly string[]): { compiler: ResolvedPackage; sdk: ResolvedPackage } {
  return {
    compiler: requirePackage('assemblyscript', dirs, 'building an AssemblyScript agent', ASSEMBLYSCRIPT_VERSION),
    sdk: requirePackage(AS_SDK_PACKAGE, dirs, 'building an AssemblyScript agent'),
  };
}

export async function loadAssemblyScript(dirs: readonly string[]): Promise<AssemblyScriptToolchain> {
  const { compiler, sdk } = resolveAssemblyScript(dirs);
  const asc = await importSubpath<AscApi>(compiler, './asc');
  const toolchain = await importSubpath<SdkToolchain>(sdk, './toolchain/index.mjs');
  const names = await importSubpath<SdkAbiNames>(sdk, './toolchain/abi-names.mjs');
  return {
    asc,
    sdk,
    compiler,
    toolchain,
    requiredExports: [...names.REQUIRED_PLAIN_EXPORTS, ...Object.values(names.ABI_EXPORT_NAMES)],
  };
}

/** The AS runtime variant: package.json "caxton.runtime", else asconfig's, else incremental (ADR 0501). */
export function chooseRuntime(project: AgentProject): 'minimal' | 'incremental' {
  if (project.manifest.runtime) return project.manifest.runtime;
  if (project.asconfig) {
    const cfg = JSON.parse(readFileSync(project.asconfig, 'utf8')) as { options?: { runtime?: string } };
    if (cfg.options?.runtime === 'incremental' || cfg.options?.runtime === 'minimal') return cfg.options.runtime;
  }
  return 'incremental';
}

export async function compileAssemblyScript(
  project: AgentProject,
  tc: AssemblyScriptToolchain,
  opts: { optimize: boolean },
): Promise<Uint8Array> {
  const outName = `${project.name}.core.wasm`;
  const args = [
    ...project.entries,
    '--baseDir',
    project.dir,
    ...(project.asconfig ? ['--config', path.basename(project.asconfig)] : []),
    ...tc.toolchain.ascArgs({ runtime: chooseRuntime(project), optimize: opts.optimize }),
    // Lets projects outside the SDK's node_modules tree still resolve the SDK.
    '--path',
    tc.sdk.nodeModulesDir,
    '--outFile',
    outName,
    '--noColors',
  ];
  let binary: Uint8Array | undefined;
  const stdout = tc.asc.createMemoryStream();
  const stderr = tc.asc.createMemoryStream();
  const result = await tc.asc.main(args, {
    stdout,
    stderr,
    writeFile: (filename, contents) => {
      if (path.basename(filename) === outName && typeof contents !== 'string') binary = contents;
    },
  });
  if (result.error || !binary) {
    const diagnostics = stderr.toString() || String(result.error?.message ?? 'asc produced no module');
    throw new CompileError('AssemblyScript', project.dir, diagnostics, result.error ?? undefined);
  }
  return binary;
}
