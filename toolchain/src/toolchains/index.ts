/**
 * The toolchain of every language `caxton build` knows: `caxton toolchain list` shows their
 * status, `caxton toolchain install <language>` installs one (cached, idempotent).
 */
import { BuildError } from '../errors.js';
import type { AgentLanguage } from '../project.js';
import { cToolchain } from './c.js';
import { goToolchain } from './go.js';
import { assemblyScriptToolchain, javaScriptToolchain } from './npm-toolchains.js';
import { pythonToolchain } from './python.js';
import { rustToolchain } from './rust.js';
import type { Toolchain, ToolchainLog, ToolchainStatus } from './toolchain.js';

export const TOOLCHAINS: Partial<Record<AgentLanguage, Toolchain>> = {
  assemblyscript: assemblyScriptToolchain,
  javascript: javaScriptToolchain,
  c: cToolchain,
  go: goToolchain,
  python: pythonToolchain,
  rust: rustToolchain,
};

export function toolchainFor(language: AgentLanguage): Toolchain {
  const t = TOOLCHAINS[language];
  if (!t) {
    throw new BuildError('build.toolchain-unknown', `this caxton has no toolchain for ${language}`, {
      context: { language },
      hint: `known: ${Object.keys(TOOLCHAINS).join(', ')}`,
    });
  }
  return t;
}

/** Installs a language's toolchain unless it is ready; returns its status afterwards. */
export async function ensureToolchain(language: AgentLanguage, log: ToolchainLog): Promise<ToolchainStatus> {
  const t = toolchainFor(language);
  const before = await t.status();
  if (before.ready) return before;
  const after = await t.install(log);
  if (!after.ready) {
    throw new BuildError(
      'build.toolchain-install-failed',
      `the ${language} toolchain is still not ready after installing: ${after.problem ?? 'unknown'}`,
      {
        context: { language, versions: after.versions },
        hint: after.install,
      },
    );
  }
  return after;
}

export { aptLockPath, cacheRoot, toolchainDir, withAptLock, withDirLock, withToolchainLock } from './cache.js';
export { aptInstall, aptInstalled } from './apt.js';
export { runTool, versionOf } from './run.js';
export type { RunResult, RunOptions } from './run.js';
export type { Toolchain, ToolchainLog, ToolchainStatus } from './toolchain.js';
