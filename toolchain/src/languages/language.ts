/**
 * One agent language as the build sees it. `buildAgent` detects the project, asks the language
 * for a plan (cheap: versions and source trees, no compiler loaded), skips the build when the
 * source hash says the artifact on disk is current, and otherwise runs the plan's `compile`.
 * Adding a language = one module implementing this interface, registered in languages/index.ts,
 * plus its toolchain in toolchains/ (how it is installed and checked).
 */
import type { AgentProject } from '../project.js';
import type { HashTree } from '../source-hash.js';

export type BuildStep = 'detect' | 'toolchain' | 'compile' | 'componentize' | 'write' | 'reuse';

export interface BuildContext {
  project: AgentProject;
  /** The WIT file or directory of the world, and the world's name in it. */
  witPath: string;
  world: string;
  optimize: boolean;
  /** The project asked for WASI (test agents that probe the deny-by-default shim). */
  wasi: boolean;
  outDir: string;
  /** Directories whose node_modules provide npm-based compilers and SDKs. */
  toolchainDirs: string[];
  /** A private scratch directory for this build (removed afterwards). */
  scratchDir: () => Promise<string>;
  progress: (step: BuildStep, message: string) => void;
}

export interface LanguagePlan {
  /** Versions of everything that shapes the output: recorded in the build manifest and hashed. */
  toolchain: Record<string, string>;
  /** Source trees besides the project itself (the SDK's sources). */
  trees: HashTree[];
  /** Build settings that change the output. */
  settings: Record<string, unknown>;
  /** Compiles the project into a component of the agent world. */
  compile(): Promise<Uint8Array>;
}

export interface LanguageBuilder {
  plan(ctx: BuildContext): Promise<LanguagePlan>;
}
