/**
 * Go: the machine's Go (>= 1.24) builds the project as a WASI reactor
 * (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared); the SDK (sdk-go/, module caxton.dev/caxton,
 * hand-written canonical ABI with //go:wasmimport and //go:wasmexport) comes from caxton's own
 * files through a go.work written in the build's scratch directory (the author's project is never
 * written to). Then: the adapter allocator is added (go-core.ts), the core module is checked
 * against the world, and jco embeds the world (utf8) and adapts WASI preview1 with the reactor
 * adapter. See docs/decisions/0507-go-agents.md.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadJco, resolveJco } from '../component.js';
import { BuildError, CompileError, InvalidAgentError } from '../errors.js';
import { goEnv, goSdkDir, GO_SDK_MODULE, GO_SDK_VERSION, requireGo } from '../toolchains/go.js';
import { runTool } from '../toolchains/run.js';
import { addAdapterAllocator, ARENA_EXPORT, findAdapterArena } from './go-core.js';
import type { BuildContext, LanguageBuilder, LanguagePlan } from './language.js';
import { componentOfWorld } from './world-component.js';
import { SDK_NON_SOURCES } from './sdk-trees.js';

const GUEST = 'caxton:agent/guest@0.1.0#';
const REQUIRED_EXPORTS = ['memory', '_initialize', 'cabi_realloc', `${GUEST}init`, `${GUEST}handle`, `${GUEST}on-timer`];
const OPTIONAL_EXPORTS = [
  'cabi_import_realloc',
  'cabi_export_realloc',
  `cabi_post_${GUEST}init`,
  `cabi_post_${GUEST}handle`,
  `cabi_post_${GUEST}on-timer`,
];
const EXPORT_HINT = `import "${GO_SDK_MODULE}", register your agent with caxton.Register(...) from an init function, and keep an empty func main() in package main`;

/** The flags of `go build` (part of the source hash). */
function buildFlags(optimize: boolean): string[] {
  return ['-buildmode=c-shared', '-trimpath', ...(optimize ? ['-ldflags=-s -w'] : [])];
}

export const goBuilder: LanguageBuilder = {
  async plan(ctx: BuildContext): Promise<LanguagePlan> {
    const { project, optimize } = ctx;
    const go = await requireGo();
    const sdk = goSdkDir();
    if (!existsSync(path.join(sdk, 'go.mod'))) {
      throw new BuildError('build.toolchain-missing', `the Go SDK is missing from this caxton install (${sdk})`, {
        context: { language: 'go', sdk },
        hint: 'reinstall caxton: sdk-go/ ships with it',
      });
    }
    const jcoPackage = resolveJco(ctx.toolchainDirs);
    const entry = project.entries[0] ?? '.';
    const flags = buildFlags(optimize);
    return {
      toolchain: { go: go.version, sdk: `${GO_SDK_MODULE}@${GO_SDK_VERSION}`, jco: jcoPackage.version },
      trees: [{ dir: sdk, skip: SDK_NON_SOURCES }],
      settings: { optimize, flags, entry, target: 'wasip1/wasm', encoding: 'utf8' },
      async compile() {
        const scratch = await ctx.scratchDir();
        // The workspace: the project plus caxton's SDK (a project's own go.work is not used).
        const work = path.join(scratch, 'go.work');
        await writeFile(work, `go 1.24\n\nuse (\n\t${JSON.stringify(project.dir)}\n\t${JSON.stringify(sdk)}\n)\n`);
        const out = path.join(scratch, 'agent.wasm');
        ctx.progress('compile', `go build ${flags.join(' ')} ${entry} (${go.version}, GOOS=wasip1 GOARCH=wasm)`);
        const r = await runTool(go.go, ['build', ...flags, '-o', out, entry], {
          cwd: project.dir,
          env: goEnv({ GOOS: 'wasip1', GOARCH: 'wasm', GOWORK: work }),
          timeoutMs: 20 * 60_000,
        });
        if (r.code !== 0) {
          const diagnostics = (r.stderr || r.stdout).trim() || `go build exited with ${r.code}`;
          throw new CompileError(
            'go',
            project.dir,
            diagnostics,
            undefined,
            /requires exactly one main package|is not a main package/.test(diagnostics)
              ? 'a Go agent is package main with an empty func main(); the agent registers itself from init()'
              : undefined,
          );
        }
        let core: Uint8Array = new Uint8Array(await readFile(out));
        ctx.progress('componentize', 'adapter allocator + jco embed (utf8) + jco new (WASI preview1 reactor adapter)');
        let arena: { base: number; size: number };
        try {
          arena = findAdapterArena(core);
        } catch (cause) {
          throw new InvalidAgentError(
            project.dir,
            `its initialisation failed or it lacks the SDK's ${ARENA_EXPORT} export (${(cause as Error).message})`,
            EXPORT_HINT,
          );
        }
        core = addAdapterAllocator(core, arena.base, arena.size);
        const rules = { requiredExports: REQUIRED_EXPORTS, optionalExports: OPTIONAL_EXPORTS, allowWasi: true, exportHint: EXPORT_HINT };
        const jco = async () => (await loadJco(ctx.toolchainDirs)).api;
        // Announced above, before the adapter allocator is added.
        return componentOfWorld(ctx, jco, core, rules, { stringEncoding: 'utf8', wasiReactor: true, announced: true });
      },
    };
  },
};
