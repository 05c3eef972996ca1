/** JavaScript: componentize-qjs (QuickJS, sync) from a staging copy (see ../javascript.ts). */
import path from 'node:path';
import { resolveJco } from '../component.js';
import { compileJavaScript, loadJavaScript } from '../javascript.js';
import { WASI_FILES_VERSION } from '../js-world.js';
import type { BuildContext, LanguageBuilder, LanguagePlan } from './language.js';
import { SDK_NON_SOURCES } from './sdk-trees.js';

export const javaScriptBuilder: LanguageBuilder = {
  async plan(ctx: BuildContext): Promise<LanguagePlan> {
    const { project, wasi } = ctx;
    const tc = await loadJavaScript(ctx.toolchainDirs);
    return {
      toolchain: { 'componentize-qjs': tc.compiler.version, sdk: tc.sdk.version },
      trees: [{ dir: tc.sdk.dir, skip: SDK_NON_SOURCES }],
      settings: { wasi, entry: project.entries },
      async compile() {
        ctx.progress('compile', `componentize-qjs ${project.entries[0] ?? ''} (QuickJS, sync, ${wasi ? 'with WASI' : 'WASI stubbed'})`);
        const wasiWit = path.join(resolveJco(ctx.toolchainDirs).dir, 'lib', 'wit', 'builtin', WASI_FILES_VERSION);
        return compileJavaScript(project, tc, { witPath: ctx.witPath, world: ctx.world, wasi, wasiWit });
      },
    };
  },
};
