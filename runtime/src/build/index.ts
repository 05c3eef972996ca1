/**
 * The Caxton build library: turns an agent project (AssemblyScript or JavaScript) into a
 * WebAssembly component for the caxton:agent world, written to `<dir>/build/<name>.wasm` with a
 * `.sha256` beside it. `caxton build` and scripts/build-examples.mjs call `buildAgent`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { artifactPaths, reusableArtifact, writeArtifact } from './artifact.js';
import { chooseRuntime, compileAssemblyScript, loadAssemblyScript, resolveAssemblyScript } from './assemblyscript.js';
import { checkCoreModule, loadJco, makeComponent, resolveJco } from './component.js';
import { compileJavaScript, loadJavaScript } from './javascript.js';
import { detectProject, type AgentLanguage, type AgentProject } from './project.js';
import { sourceHash } from './source-hash.js';
import { defaultToolchainDirs } from './toolchain.js';
import { AGENT_WORLD, defaultWitPath } from './wit.js';

export { detectProject, AGENT_LANGUAGES } from './project.js';
export type { AgentLanguage, AgentProject, CaxtonManifest } from './project.js';
export {
  BuildError, UnknownProjectLayoutError, ToolchainMissingError, CompileError, InvalidAgentError, ComponentizeError,
} from './errors.js';
export { artifactPaths, sha256Hex } from './artifact.js';
export type { BuildManifest } from './artifact.js';
export { defaultWitPath } from './wit.js';
export { installSdk } from './sdk-install.js';
export type { SdkInstallResult } from './sdk-install.js';

/** SDK subdirectories that never end up in an agent (its tests and benchmarks). */
const SDK_NON_SOURCES = ['test', 'bench'];

export type BuildStep = 'detect' | 'toolchain' | 'compile' | 'componentize' | 'write' | 'reuse';

export interface BuildProgress {
  step: BuildStep;
  message: string;
  /** Milliseconds since the build started. */
  elapsedMs: number;
}

export interface BuildOptions {
  /** Where artifacts go; default `<dir>/build`. */
  outDir?: string;
  /** The agent world; default wit/agent.wit of this Caxton checkout. */
  witPath?: string;
  /** Optimised release build (default true); false keeps names and asserts for debugging. */
  optimize?: boolean;
  /** Skip the build when `<name>.build.json` says the same sources built the artifact on disk. */
  reuse?: boolean;
  /** Directories whose node_modules provide compilers and SDKs; default [dir, the Caxton install]. */
  toolchainDirs?: string[];
  /** Called at the start of each step (compiling a QuickJS agent takes about a second). */
  onProgress?: (event: BuildProgress) => void;
}

export interface BuildResult {
  artifactPath: string;
  /** Hex SHA-256 of the component (also in `<artifactPath>.sha256`). */
  sha256: string;
  language: AgentLanguage;
  bytes: number;
  durationMs: number;
  /** True when `reuse` found an up-to-date artifact and nothing was compiled. */
  reused: boolean;
}

export async function buildAgent(dir: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const progress = (step: BuildStep, message: string): void =>
    opts.onProgress?.({ step, message, elapsedMs: performance.now() - started });

  progress('detect', `inspecting ${dir}`);
  const project = detectProject(dir);
  const outDir = path.resolve(opts.outDir ?? path.join(project.dir, 'build'));
  const witPath = project.manifest.wit
    ? path.resolve(project.dir, project.manifest.wit)
    : path.resolve(opts.witPath ?? defaultWitPath());
  const world = project.manifest.world ?? AGENT_WORLD;
  const toolchainDirs = opts.toolchainDirs ?? defaultToolchainDirs(project.dir);
  const optimize = opts.optimize ?? true;
  const wasi = project.manifest.wasi === true;

  progress('toolchain', `loading the ${project.language} toolchain`);
  const finish = async (component: Uint8Array, hash: string, toolchain: Record<string, string>): Promise<BuildResult> => {
    progress('write', `writing ${project.name}.wasm (${component.byteLength} bytes)`);
    const m = await writeArtifact(outDir, { name: project.name, language: project.language, sourceHash: hash, toolchain }, component);
    return result(project, outDir, m.sha256, m.bytes, started, false);
  };

  if (project.language === 'assemblyscript') {
    // Versions and the source hash come from package.json files; the compiler and jco (about a
    // second to import) are loaded only when there is something to build.
    const jcoPackage = resolveJco(toolchainDirs);
    const packages = resolveAssemblyScript(toolchainDirs);
    const toolchain = { assemblyscript: packages.compiler.version, sdk: packages.sdk.version, jco: jcoPackage.version };
    const hash = sourceHash({
      trees: [project.dir, { dir: packages.sdk.dir, skip: SDK_NON_SOURCES }],
      files: witFiles(witPath),
      settings: { toolchain, optimize, wasi, world, runtime: chooseRuntime(project), outDir: path.relative(project.dir, outDir) },
    });
    const reused = opts.reuse ? reuse(project, outDir, hash, started, progress) : undefined;
    if (reused) return reused;
    const jco = await loadJco(toolchainDirs);
    const tc = await loadAssemblyScript(toolchainDirs);
    progress('compile', `asc ${project.entries.join(' ')}`);
    const core = await compileAssemblyScript(project, tc, { optimize });
    checkCoreModule(project.dir, core, {
      requiredExports: tc.requiredExports,
      allowWasi: wasi,
      exportHint: 'end the entry file with `export * from "@caxton/sdk-assemblyscript/exports";` and call register(new MyAgent())',
    });
    progress('componentize', 'jco embed (utf16) + jco new');
    const component = await makeComponent(project.dir, jco.api, core, { witPath, world, stringEncoding: 'utf16', wasiReactor: wasi });
    return finish(component, hash, toolchain);
  }

  const tc = await loadJavaScript(toolchainDirs);
  const toolchain = { 'componentize-qjs': tc.compiler.version, sdk: tc.sdk.version };
  const hash = sourceHash({
    trees: [project.dir, { dir: tc.sdk.dir, skip: SDK_NON_SOURCES }],
    files: witFiles(witPath),
    settings: { toolchain, wasi, world, entry: project.entries, outDir: path.relative(project.dir, outDir) },
  });
  const reused = opts.reuse ? reuse(project, outDir, hash, started, progress) : undefined;
  if (reused) return reused;
  progress('compile', `componentize-qjs ${project.entries[0] ?? ''} (QuickJS, sync, ${wasi ? 'with WASI' : 'WASI stubbed'})`);
  const component = await compileJavaScript(project, tc, { witPath, world, wasi });
  return finish(component, hash, toolchain);
}

/** The WIT files that define the world: the file itself, or every .wit file of a WIT directory. */
function witFiles(witPath: string): string[] {
  if (!statSync(witPath).isDirectory()) return [witPath];
  return readdirSync(witPath, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.wit'))
    .sort()
    .map((f) => path.join(witPath, f));
}

function reuse(
  project: AgentProject, outDir: string, hash: string, started: number,
  progress: (step: BuildStep, message: string) => void,
): BuildResult | undefined {
  const m = reusableArtifact(outDir, project.name, hash);
  if (!m) return undefined;
  progress('reuse', `${project.name}.wasm is up to date`);
  return result(project, outDir, m.sha256, m.bytes, started, true);
}

function result(project: AgentProject, outDir: string, sha256: string, bytes: number, started: number, reused: boolean): BuildResult {
  return {
    artifactPath: artifactPaths(outDir, project.name).wasm,
    sha256,
    language: project.language,
    bytes,
    durationMs: performance.now() - started,
    reused,
  };
}

/** Reads the SHA-256 recorded beside an artifact (the first field of `<artifact>.sha256`). */
export function readRecordedSha256(artifactPath: string): string {
  return readFileSync(`${artifactPath}.sha256`, 'utf8').split(/\s+/)[0] ?? '';
}
