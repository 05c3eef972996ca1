/**
 * `caxton sdk install <dir>`: copies the SDK this caxton carries into an agent project, where the
 * project's builder looks for a pinned copy first (AssemblyScript/JavaScript: its node_modules; C:
 * `caxton/sdk-c/`; Rust: `caxton-sdk/`, the crate the project depends on; Python: the `caxton/`
 * package beside app.py). `caxton build` never needs it (it provides the SDK itself); it is for
 * editors and language servers that look in the project, and for authors who want to pin (and maybe
 * patch) the SDK version the project builds with: a pinned copy wins over the one caxton carries.
 * Go projects get the SDK through a go.work at build time and have nothing to pin this way.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { AS_SDK_PACKAGE } from './assemblyscript.js';
import { BuildError } from './errors.js';
import { JS_SDK_PACKAGE } from './javascript.js';
import { C_LOCAL_SDK } from './languages/c.js';
import { detectProject, type AgentLanguage } from './project.js';
import { requirePackage, toolchainPackageDir } from './toolchain.js';

/** Languages whose SDK is an npm package installed into node_modules. */
const SDK_PACKAGES: Partial<Record<AgentLanguage, string>> = {
  assemblyscript: AS_SDK_PACKAGE,
  javascript: JS_SDK_PACKAGE,
};
/** Native SDKs: the directory caxton carries (beside the runtime package) → where the project pins it. */
const NATIVE_SDKS: Partial<Record<AgentLanguage, { name: string; from: string[]; to: string[] }>> = {
  c: { name: 'sdk-c', from: ['sdk-c'], to: C_LOCAL_SDK.split(path.sep) },
  rust: { name: 'sdk-rust', from: ['sdk-rust'], to: ['caxton-sdk'] },
  python: { name: 'sdk-python', from: ['sdk-python', 'caxton'], to: ['caxton'] },
};
/** Never copied into a project: the SDK's own tests, benchmarks, dependencies and build outputs. */
const SKIPPED = new Set(['test', 'bench', 'node_modules', 'target', '__pycache__']);

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
  const native = NATIVE_SDKS[project.language];
  if (native) return installNativeSdk(project.dir, project.language, native);
  const name = SDK_PACKAGES[project.language];
  if (name === undefined) {
    throw new BuildError(
      'build.sdk-install-unsupported',
      `caxton sdk install does not know where a ${project.language} project keeps its SDK`,
      {
        context: { dir: project.dir, language: project.language },
        hint: 'caxton build provides the SDK itself; see docs/writing-agents.md for this language',
      },
    );
  }
  const sdk = requirePackage(name, [toolchainPackageDir()], `installing the ${project.language} SDK`);
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

async function installNativeSdk(
  projectDir: string,
  language: AgentLanguage,
  sdk: { name: string; from: string[]; to: string[] },
): Promise<SdkInstallResult> {
  const source = path.resolve(toolchainPackageDir(), '..', ...sdk.from);
  if (!existsSync(source)) {
    throw new BuildError('build.sdk-missing', `the ${language} SDK (${sdk.from.join('/')}) is missing from this caxton install`, {
      context: { looked: source, language },
      hint: `reinstall caxton from a complete checkout (${sdk.name}/ ships with it)`,
    });
  }
  const target = path.join(projectDir, ...sdk.to);
  const replaced = existsSync(target);
  await rm(target, { recursive: true, force: true });
  await cp(source, target, { recursive: true, dereference: true, filter: (src) => !SKIPPED.has(path.basename(src)) || src === source });
  return {
    language,
    package: sdk.name,
    version: sdkVersion(path.resolve(toolchainPackageDir(), '..', sdk.name)),
    installedAt: target,
    replaced,
  };
}

/** The version a native SDK declares (Cargo.toml, or the runtime's own version for the others). */
function sdkVersion(sdkRoot: string): string {
  const cargo = path.join(sdkRoot, 'Cargo.toml');
  if (existsSync(cargo)) {
    const m = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(cargo, 'utf8'));
    if (m) return m[1]!;
  }
  const pkg = JSON.parse(readFileSync(path.join(toolchainPackageDir(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
