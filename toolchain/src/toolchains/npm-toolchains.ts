/**
 * AssemblyScript and JavaScript toolchains are npm packages that ship with caxton itself
 * (dependencies of @caxton/runtime): ready whenever caxton is installed whole.
 */
import { AS_SDK_PACKAGE, ASSEMBLYSCRIPT_VERSION } from '../assemblyscript.js';
import { COMPONENTIZE_QJS_VERSION, JS_SDK_PACKAGE } from '../javascript.js';
import type { AgentLanguage } from '../project.js';
import { findPackage, toolchainPackageDir } from '../toolchain.js';
import type { Toolchain, ToolchainStatus } from './toolchain.js';

function npmToolchain(language: AgentLanguage, packages: Array<[string, string | undefined]>, describe: string): Toolchain {
  const status = async (): Promise<ToolchainStatus> => {
    const versions: Record<string, string> = {};
    const missing: string[] = [];
    for (const [name] of packages) {
      const found = findPackage(name, [toolchainPackageDir()]);
      if (found) versions[name] = found.version;
      else missing.push(name);
    }
    return {
      language,
      versions,
      ready: missing.length === 0,
      ...(missing.length > 0 ? { problem: `missing from this caxton install: ${missing.join(', ')}` } : {}),
      install: 'npm install (in the Caxton checkout): these packages ship with caxton',
    };
  };
  return { language, describe, status, install: async () => status() };
}

export const assemblyScriptToolchain = npmToolchain(
  'assemblyscript',
  [
    ['assemblyscript', ASSEMBLYSCRIPT_VERSION],
    [AS_SDK_PACKAGE, undefined],
    ['@bytecodealliance/jco', undefined],
  ],
  'assemblyscript (asc) + jco, npm packages shipped with caxton',
);
export const javaScriptToolchain = npmToolchain(
  'javascript',
  [
    ['componentize-qjs', COMPONENTIZE_QJS_VERSION],
    [JS_SDK_PACKAGE, undefined],
  ],
  'componentize-qjs (QuickJS), an npm package shipped with caxton',
);
