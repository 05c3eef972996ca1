/**
 * `caxton sdk install <dir>`: copies the SDK this caxton carries into an agent project's own
 * node_modules. `caxton build` never needs it (it provides the SDK itself); it is for editors and
 * type checkers that look in the project, and for authors who want to pin (and maybe patch) the
 * SDK version the project builds with: a pinned copy wins over the one caxton carries.
 */
import { existsSync, realpathSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { AS_SDK_PACKAGE } from './assemblyscript.js';
import { BuildError } from './errors.js';
import { JS_SDK_PACKAGE } from './javascript.js';
import { detectProject, type AgentLanguage } from './project.js';
import { requirePackage, runtimePackageDir } from './toolchain.js';

/** Languages whose SDK is an npm package installed into node_modules. */
const SDK_PACKAGES: Partial<Record<AgentLanguage, string>> = {
  assemblyscript: AS_SDK_PACKAGE,
  javascript: JS_SDK_PACKAGE,
};
/** Never copied into a project: the SDK's own tests, benchmarks and dependencies. */
const SKIPPED = new Set(['test', 'bench', 'node_modules']);

export interface SdkInstallResult {
  language: AgentLanguage;
  package: string;
  version: string;
  /** The directory the SDK now lives in. */
  installedAt: string;
  /** True when an earlier copy was replaced. */
  replaced: boolean;
}

export async function installSdk(dir: string): Promise<SdkInstallResult> {
  const project = detectProject(dir);
  const name = SDK_PACKAGES[project.language];
  if (name === undefined) {
    throw new BuildError('build.sdk-install-unsupported', `caxton sdk install does not know where a ${project.language} project keeps its SDK`, {
      context: { dir: project.dir, language: project.language },
      hint: 'caxton build provides the SDK itself; see docs/writing-agents.md for this language',
    });
  }
  const sdk = requirePackage(name, [runtimePackageDir()], `installing the ${project.language} SDK`);
  const source = realpathSync(sdk.dir);
  const target = path.join(project.dir, 'node_modules', ...name.split('/'));
  const replaced = existsSync(target);
  if (replaced && realpathSync(target) === source) {
    // The project is the SDK's own workspace: nothing to copy.
    return { language: project.language, package: name, version: sdk.version, installedAt: target, replaced: false };
  }
  await rm(target, { recursive: true, force: true });
  await cp(source, target, {
    recursive: true,
    dereference: true,
    filter: (src) => path.dirname(src) !== source || !SKIPPED.has(path.basename(src)),
  });
  return { language: project.language, package: name, version: sdk.version, installedAt: target, replaced };
}
