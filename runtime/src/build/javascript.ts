/**
 * JavaScript agent -> component with componentize-qjs (QuickJS; see docs/decisions/0502).
 *
 * The author's entry is wrapped by a generated module that first imports the Caxton prelude
 * (console -> host log, Date -> host clock: the component has no WASI, so without it `Date.now()`
 * would trap) and then re-exports the author's `guest`. QuickJS resolves and evaluates all modules
 * at build time (Wizer snapshot), so the SDK helpers end up inside the component: nothing is
 * loaded at run time. We always use the SYNC runtime: the async one needs JSPI, which Node 20 lacks.
 */
import { realpathSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CompileError } from './errors.js';
import type { AgentProject } from './project.js';
import { importSubpath, requirePackage, resolveSubpath, type ResolvedPackage } from './toolchain.js';

export const COMPONENTIZE_QJS_VERSION = '0.4.5';
export const JS_SDK_PACKAGE = '@caxton/sdk-js';

interface ComponentizeQjs {
  componentize(opts: {
    witPath: string; jsSource: string; jsPath?: string; moduleRoot?: string; world?: string;
    stubWasi?: boolean; sync?: boolean; optSize?: boolean;
  }): Promise<{ component: Uint8Array }>;
}

let wrapperCounter = 0;

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

/** The deepest directory containing all of `dirs` (QuickJS may read only below its module root). */
export function commonAncestor(dirs: string[]): string {
  const split = dirs.map((d) => path.resolve(d).split(path.sep));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((parts) => parts[n] === first[n])) n++;
  return first.slice(0, n).join(path.sep) || path.sep;
}

export async function compileJavaScript(
  project: AgentProject,
  tc: JavaScriptToolchain,
  opts: { witPath: string; world: string; wasi: boolean },
): Promise<Uint8Array> {
  const entry = project.entries[0] as string;
  const entryAbs = path.join(project.dir, entry);
  // componentize-qjs needs the wrapper on disk (it resolves imports relative to it). It goes into
  // the project's .caxton/ scratch directory (git-ignored, skipped by the source hash) under a
  // unique name, so concurrent builds of one project do not collide, and is removed afterwards.
  const scratch = path.join(project.dir, '.caxton');
  await mkdir(scratch, { recursive: true });
  const wrapperPath = path.join(scratch, `entry-${process.pid}-${++wrapperCounter}.js`);
  const relEntry = path.relative(scratch, entryAbs).split(path.sep).join('/');
  // The prelude is imported by relative path to the SDK we resolved, so it works whether or not
  // the project itself can resolve @caxton/sdk-js (the author's own imports of it still need it
  // installed where the project's imports resolve).
  const prelude = path.relative(scratch, realpathSync(resolveSubpath(tc.sdk, './prelude'))).split(path.sep).join('/');
  const jsSource =
    `import ${JSON.stringify(prelude)};\n` +
    `export * from ${JSON.stringify(relEntry.startsWith('.') ? relEntry : `./${relEntry}`)};\n`;
  await writeFile(wrapperPath, jsSource);
  // The module root must hold the project, the node_modules the SDK was found in, and the SDK's
  // real location (workspace packages are symlinks).
  const moduleRoot = commonAncestor([project.dir, path.dirname(tc.sdk.nodeModulesDir), realpathSync(tc.sdk.dir)]);
  try {
    const { component } = await tc.qjs.componentize({
      witPath: opts.witPath,
      jsSource,
      jsPath: wrapperPath,
      moduleRoot,
      world: opts.world,
      sync: true,
      // Deny-by-default: without this the component imports ~18 WASI interfaces.
      stubWasi: !opts.wasi,
    });
    return component;
  } catch (cause) {
    const text = String((cause as Error)?.message ?? cause);
    // A bare import QuickJS could not resolve is a missing dependency, not a code error.
    const bare = /failed to resolve JavaScript import "([^".][^"]*)"/.exec(text)?.[1];
    const pkg = bare?.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare?.split('/')[0];
    const hint = pkg
      ? `install ${pkg} where the agent's imports resolve (a node_modules in ${project.dir} or above): npm install --save-exact ${pkg}`
      : undefined;
    throw new CompileError('JavaScript', project.dir, text, cause, hint);
  } finally {
    await rm(wrapperPath, { force: true });
    await rmdir(scratch).catch(() => undefined); // only if empty: another build may be using it
  }
}
