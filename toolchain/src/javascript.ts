/**
 * JavaScript agent -> component with componentize-qjs (QuickJS; see docs/decisions/0502).
 *
 * The author's entry is wrapped by a generated module that first imports the Caxton prelude
 * (console -> host log, Date -> host clock: the component has no WASI, so without it `Date.now()`
 * would trap) and then re-exports the author's `guest`. QuickJS resolves and evaluates all modules
 * at build time (Wizer snapshot), so the SDK helpers end up inside the component: nothing is
 * loaded at run time. We always use the SYNC runtime: the async one needs JSPI, which Node 20 lacks.
 * The build runs from a staging copy of the project that carries the SDK (js-staging.ts), so a
 * project builds wherever it lives, without installing anything into it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CompileError } from './errors.js';
import type { AgentProject } from './project.js';
import { stageJavaScriptProject } from './js-staging.js';
import { planWorldNarrowing, unresolvedAgentInterface, unresolvedWasiFiles, type OptionalAgentInterface } from './js-world.js';
import { importSubpath, requirePackage, type ResolvedPackage } from './toolchain.js';

export const COMPONENTIZE_QJS_VERSION = '0.4.5';
export const JS_SDK_PACKAGE = '@caxton/sdk-js';

interface ComponentizeQjs {
  componentize(opts: {
    witPath: string;
    jsSource: string;
    jsPath?: string;
    moduleRoot?: string;
    world?: string;
    stubWasi?: boolean;
    sync?: boolean;
    optSize?: boolean;
  }): Promise<{ component: Uint8Array }>;
}

export interface JavaScriptToolchain {
  qjs: ComponentizeQjs;
  compiler: ResolvedPackage;
  sdk: ResolvedPackage;
}

export async function loadJavaScript(dirs: readonly string[]): Promise<JavaScriptToolchain> {
  const compiler = requirePackage('componentize-qjs', dirs, 'building a JavaScript agent', COMPONENTIZE_QJS_VERSION);
  const sdk = requirePackage(JS_SDK_PACKAGE, dirs, 'building a JavaScript agent (its prelude is bundled into every JS agent)');
  return { qjs: await importSubpath<ComponentizeQjs>(compiler, '.'), compiler, sdk };
}

export async function compileJavaScript(
  project: AgentProject,
  tc: JavaScriptToolchain,
  opts: { witPath: string; world: string; wasi: boolean /** jco's builtin WASI WIT (its `wasi-*` packages). */; wasiWit?: string },
): Promise<Uint8Array> {
  const entry = project.entries[0] as string;
  const stage = await stageJavaScriptProject(project.dir, entry, tc.sdk);
  const narrowing = planWorldNarrowing(opts.witPath, opts.world);
  const uses: OptionalAgentInterface[] = [];
  /** jco's builtin WASI WIT, once a module imports the WASI file interfaces (decision 2191). */
  let files: string | undefined;
  try {
    const jsSource = await readFile(stage.entryPath, 'utf8');
    for (;;) {
      const target = narrowing ? await narrowing.write(stage.root, uses, files) : { witPath: opts.witPath, world: opts.world };
      try {
        const { component } = await tc.qjs.componentize({
          witPath: target.witPath,
          jsSource,
          jsPath: stage.entryPath,
          moduleRoot: stage.root,
          world: target.world,
          sync: true,
          // Deny-by-default: without this the component imports ~18 WASI interfaces.
          stubWasi: !opts.wasi,
        });
        return component;
      } catch (cause) {
        const text = stage.unstage(String((cause as Error)?.message ?? cause));
        // A module imports caxton:agent/state or http: build again with that interface in the world.
        const more = narrowing ? unresolvedAgentInterface(text, narrowing.optional) : undefined;
        if (more !== undefined && !uses.includes(more)) {
          uses.push(more);
          continue;
        }
        // A module uses the SDK's files (wasi:filesystem): build again with them, if WASI is allowed.
        if (narrowing && files === undefined && unresolvedWasiFiles(text)) {
          if (!opts.wasi)
            throw new CompileError(
              'JavaScript',
              project.dir,
              text,
              cause,
              'files at /data need WASI: add "caxton": { "wasi": true } to the package.json (decision 2191)',
            );
          if (opts.wasiWit === undefined || !existsSync(opts.wasiWit))
            throw new CompileError(
              'JavaScript',
              project.dir,
              text,
              cause,
              `the WASI WIT this build needs for files is missing (${opts.wasiWit ?? 'no jco'}): reinstall caxton's toolchain (npm install)`,
            );
          files = opts.wasiWit;
          continue;
        }
        throw new CompileError('JavaScript', project.dir, text, cause, missingImportHint(text, project.dir));
      }
    }
  } finally {
    await stage.dispose();
  }
}

/**
 * A bare import QuickJS could not resolve is a missing dependency, not a code error. Caxton's own
 * packages are never installed by the author (the build provides the SDK), so the hint for those
 * names the real SDK instead of an `npm install` that cannot work.
 */
export function missingImportHint(compilerText: string, projectDir: string): string | undefined {
  const bare = /failed to resolve JavaScript import "([^".][^"]*)"/.exec(compilerText)?.[1];
  if (bare === undefined) return undefined;
  const pkg = bare.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare.split('/')[0]!;
  if (pkg === JS_SDK_PACKAGE) {
    return `${bare} is not a file the JavaScript SDK exports; import from '${JS_SDK_PACKAGE}' itself (see docs/writing-agents.md)`;
  }
  if (bare.startsWith('wasi:')) {
    return `${bare} is WASI: for files at /data import '@caxton/sdk-js/files' in an agent with "caxton": { "wasi": true } (the build adds the interfaces to the agent world); a project naming its own WIT imports wasi:filesystem/{preopens,types}@0.2.12 in its world, with jco's lib/wit/builtin/0.2.12 packages under deps/`;
  }
  if (bare.startsWith('caxton:')) {
    return `${bare} is not an interface of the world this agent is built against (see wit/agent.wit)`;
  }
  if (pkg.startsWith('@caxton/')) {
    return `${pkg} is not a Caxton package for JavaScript agents; the SDK is '${JS_SDK_PACKAGE}', which caxton build provides`;
  }
  return (
    `install ${pkg} into the project's own node_modules (the build sees only the project directory): ` +
    `cd ${projectDir} && npm install --save-exact ${pkg}`
  );
}
