/** AssemblyScript: asc in-process, then jco embed (utf16) + jco new (see ../assemblyscript.ts). */
import { chooseRuntime, compileAssemblyScript, loadAssemblyScript, resolveAssemblyScript } from '../assemblyscript.js';
import { loadJco, resolveJco } from '../component.js';
import type { BuildContext, LanguageBuilder, LanguagePlan } from './language.js';
import { SDK_NON_SOURCES } from './sdk-trees.js';
import { componentOfWorld } from './world-component.js';

export const assemblyScriptBuilder: LanguageBuilder = {
  async plan(ctx: BuildContext): Promise<LanguagePlan> {
    const { project, toolchainDirs, optimize, wasi } = ctx;
    // Versions come from package.json files; the compiler and jco (about a second to import) are
    // loaded only when there is something to build.
    const jcoPackage = resolveJco(toolchainDirs);
    const packages = resolveAssemblyScript(toolchainDirs);
    return {
      toolchain: { assemblyscript: packages.compiler.version, sdk: packages.sdk.version, jco: jcoPackage.version },
      trees: [{ dir: packages.sdk.dir, skip: SDK_NON_SOURCES }],
      settings: { optimize, wasi, runtime: chooseRuntime(project) },
      async compile() {
        const jco = await loadJco(toolchainDirs);
        const tc = await loadAssemblyScript(toolchainDirs);
        ctx.progress('compile', `asc ${project.entries.join(' ')}`);
        const core = await compileAssemblyScript(project, tc, { optimize });
        const rules = {
          requiredExports: tc.requiredExports,
          allowWasi: wasi,
          exportHint: 'end the entry file with `export * from "@caxton/sdk-assemblyscript/exports";` and call register(new MyAgent())',
        };
        return componentOfWorld(ctx, jco.api, core, rules, { stringEncoding: 'utf16', wasiReactor: wasi });
      },
    };
  },
};
