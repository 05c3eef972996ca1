/**
 * The Caxton build library: turns an agent project (AssemblyScript or JavaScript) into a
 * WebAssembly component for the caxton:agent world, written to `<dir>/build/<name>.wasm` with a
 * `.sha256` beside it. `caxton build` and scripts/build-examples.mjs call `buildAgent`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { artifactPaths, reusableArtifact, writeArtifact } from './artifact.js';
import { LanguageNotBuildableError } from './errors.js';
import { LANGUAGE_BUILDERS, type BuildContext, type BuildStep } from './languages/index.js';
import { detectProject, type AgentLanguage, type AgentProject } from './project.js';
import { sourceHash } from './source-hash.js';
import { defaultToolchainDirs } from './toolchain.js';
import { AGENT_WORLD, defaultWitPath } from './wit.js';

export { detectProject, AGENT_LANGUAGES } from './project.js';
export type { AgentLanguage, AgentProject, CaxtonManifest } from './project.js';
export {
  BuildError,
  UnknownProjectLayoutError,
  ToolchainMissingError,
  CompileError,
  InvalidAgentError,
  ComponentizeError,
  LanguageNotBuildableError,
  BUILD_ERROR_KINDS,
  type BuildErrorCode,
} from './errors.js';
export { artifactPaths, sha256Hex } from './artifact.js';
export { isSourcePath } from './source-hash.js';
export type { BuildManifest } from './artifact.js';
export { defaultWitPath } from './wit.js';
export { installSdk } from './sdk-install.js';
export { scaffoldAgent, scaffoldLanguages } from './scaffold.js';
export type { ScaffoldResult } from './scaffold.js';
export { TOOLCHAINS, toolchainFor, ensureToolchain } from './toolchains/index.js';
export type { Toolchain, ToolchainStatus } from './toolchains/index.js';
export type { SdkInstallResult } from './sdk-install.js';

export type { BuildStep } from './languages/index.js';
export { ASSEMBLYSCRIPT_BINDINGS_DIR, generateAssemblyScriptBindings } from './languages/assemblyscript-bindings.js';

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
  /** Build the project as this language instead of detecting it (`caxton build --lang`). */
  language?: AgentLanguage;
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
  const progress = (step: BuildStep, message: string): void => opts.onProgress?.({ step, message, elapsedMs: performance.now() - started });

  progress('detect', `inspecting ${dir}`);
  const project = detectProject(dir, opts.language);
  const builder = LANGUAGE_BUILDERS[project.language];
  if (builder === undefined) throw new LanguageNotBuildableError(project.dir, project.language);
  const outDir = path.resolve(opts.outDir ?? path.join(project.dir, 'build'));
  const witPath = project.manifest.wit ? path.resolve(project.dir, project.manifest.wit) : path.resolve(opts.witPath ?? defaultWitPath());
  const world = project.manifest.world ?? AGENT_WORLD;
  const optimize = opts.optimize ?? true;
  const scratch: string[] = [];
  const ctx: BuildContext = {
    project,
    witPath,
    world,
    optimize,
    outDir,
    progress,
    wasi: project.manifest.wasi === true,
    toolchainDirs: opts.toolchainDirs ?? defaultToolchainDirs(project.dir),
    scratchDir: async () => {
      const d = await mkdtemp(path.join(tmpdir(), `caxton-build-${project.language}-`));
      scratch.push(d);
      return d;
    },
  };
  try {
    progress('toolchain', `loading the ${project.language} toolchain`);
    const plan = await builder.plan(ctx);
    const hash = sourceHash({
      trees: [project.dir, ...plan.trees],
      files: witFiles(witPath),
      settings: { ...plan.settings, toolchain: plan.toolchain, world, outDir: path.relative(project.dir, outDir) },
    });
    if (opts.reuse) {
      const reused = reuse(project, outDir, hash, started, progress);
      if (reused) return reused;
    }
    const component = await plan.compile();
    progress('write', `writing ${project.name}.wasm (${component.byteLength} bytes)`);
    const m = await writeArtifact(
      outDir,
      { name: project.name, language: project.language, sourceHash: hash, toolchain: plan.toolchain },
      component,
    );
    return result(project, outDir, m.sha256, m.bytes, started, false);
  } finally {
    await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
  }
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
  project: AgentProject,
  outDir: string,
  hash: string,
  started: number,
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
export { loadJco } from './component.js';
