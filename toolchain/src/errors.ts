/**
 * Errors raised while turning an agent's source into a component. Each says what to do next:
 * which toolchain to install, which file to add, or which diagnostics the compiler printed.
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export type BuildErrorCode =
  | 'build.bad-agent-name'
  | 'build.bad-manifest'
  | 'build.compile-failed'
  | 'build.componentize-failed'
  | 'build.invalid-agent'
  | 'build.language-unsupported'
  | 'build.no-template'
  | 'build.not-a-directory'
  | 'build.rust-not-cdylib'
  | 'build.sdk-install-unsupported'
  | 'build.sdk-missing'
  | 'build.target-not-empty'
  | 'build.toolchain-install-failed'
  | 'build.toolchain-install-needs-root'
  | 'build.toolchain-missing'
  | 'build.toolchain-unknown'
  | 'build.unknown-layout'
  | 'build.wit-missing';

/**
 * Build errors are raised in the CLI's process and never cross the API today; their kinds keep the
 * status the old suffix convention gave them (so `build.unknown-layout` is not-found: no known
 * project layout was found in the directory).
 */
export const BUILD_ERROR_KINDS: Readonly<Record<BuildErrorCode, ErrorKind>> = Object.freeze({
  'build.bad-agent-name': 'invalid-argument',
  'build.bad-manifest': 'invalid-argument',
  'build.compile-failed': 'internal',
  'build.componentize-failed': 'internal',
  'build.invalid-agent': 'invalid-argument',
  'build.language-unsupported': 'internal',
  'build.no-template': 'internal',
  'build.not-a-directory': 'internal',
  'build.rust-not-cdylib': 'internal',
  'build.sdk-install-unsupported': 'internal',
  'build.sdk-missing': 'internal',
  'build.target-not-empty': 'internal',
  'build.toolchain-install-failed': 'internal',
  'build.toolchain-install-needs-root': 'internal',
  'build.toolchain-missing': 'internal',
  'build.toolchain-unknown': 'internal',
  'build.unknown-layout': 'not-found',
  'build.wit-missing': 'internal',
});

export class BuildError extends CaxtonError {
  constructor(code: BuildErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: BUILD_ERROR_KINDS[code] });
  }
}

/** The directory does not look like any agent project we know how to build. */
export class UnknownProjectLayoutError extends BuildError {
  constructor(dir: string, detail: string) {
    super('build.unknown-layout', `cannot tell how to build the agent in ${dir}: ${detail}`, {
      context: { dir },
      hint:
        'for AssemblyScript add asconfig.json or assembly/index.ts; for JavaScript add a package.json ' +
        'with "main" (or "caxton": {"language": "javascript", "entry": "src/agent.js"}); or set ' +
        '"caxton": {"language": "assemblyscript" | "javascript"} in package.json',
    });
  }
}

/** A compiler or SDK package the build needs is not installed where we looked. */
export class ToolchainMissingError extends BuildError {
  constructor(pkg: string, searched: string[], purpose: string, install: string) {
    super('build.toolchain-missing', `${purpose} needs the npm package ${pkg}, which is not installed`, {
      context: { package: pkg, searched },
      hint: `install it: ${install}`,
    });
  }
}

/** The compiler rejected the agent's source; `diagnostics` is what it printed. */
export class CompileError extends BuildError {
  readonly diagnostics: string;
  constructor(language: string, dir: string, diagnostics: string, cause?: unknown, hint?: string) {
    super('build.compile-failed', `${language} compilation of ${dir} failed:\n${diagnostics.trim()}`, {
      context: { dir, language },
      hint: hint ?? 'fix the errors above; they come from the compiler, with file and line',
      cause,
    });
    this.diagnostics = diagnostics;
  }
}

/** The compiled module does not fit the agent world (stray import/export, missing export). */
export class InvalidAgentError extends BuildError {
  constructor(dir: string, problem: string, hint: string) {
    super('build.invalid-agent', `the agent in ${dir} does not fit the caxton:agent world: ${problem}`, {
      context: { dir },
      hint,
    });
  }
}

/** wasm-tools (through jco) refused to turn the core module into a component. */
export class ComponentizeError extends BuildError {
  constructor(dir: string, step: string, cause: unknown) {
    super('build.componentize-failed', `${step} failed for ${dir}: ${String((cause as Error)?.message ?? cause)}`, {
      context: { dir, step },
      hint: 'check that the agent targets wit/agent.wit (world "agent") and exports only the guest interface',
      cause,
    });
  }
}

/** The project is in a language this caxton detects but cannot build (yet). */
export class LanguageNotBuildableError extends BuildError {
  constructor(dir: string, language: string) {
    super('build.language-unsupported', `${dir} is a ${language} agent project, which this caxton cannot build`, {
      context: { dir, language },
      hint: 'see `caxton build --help` for the languages this version builds',
    });
  }
}
