/**
 * Python: componentize-py builds the component straight from the WIT (world `agent`), with CPython
 * and the app pre-initialised inside it (see docs/decisions/0508-python-agents.md). The SDK
 * (sdk-python/caxton, from caxton's own files) wraps the bindings componentize-py generates.
 *
 * The project and the SDK are staged into a scratch directory first: componentize-py bundles what
 * is on its Python path, and the project's own build/ output (or the SDK's tests) must never end
 * up inside the next component. A project that carries its own `caxton/` package (a pinned copy)
 * wins over the SDK caxton carries, because the project comes first on the path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildError, CompileError, UnknownProjectLayoutError } from '../errors.js';
import { toolchainPackageDir } from '../toolchain.js';
import { componentizePyArgs, componentizePyDir, COMPONENTIZE_PY_VERSION, pythonCommand, pythonToolchain } from '../toolchains/python.js';
import { runTool } from '../toolchains/run.js';
import type { BuildContext, LanguageBuilder, LanguagePlan } from './language.js';

/** Directories of a project or SDK never staged (build output, caches, virtualenvs, VCS). */
const NOT_STAGED = new Set(['build', 'dist', 'node_modules', '__pycache__', '.git', '.venv', 'venv', 'test', 'tests']);

/** The Python SDK caxton carries: `<checkout>/sdk-python` (its package is `caxton/`). */
export function pythonSdkDir(): string {
  return path.resolve(toolchainPackageDir(), '..', 'sdk-python');
}

function sdkVersion(sdkDir: string): string {
  const init = path.join(sdkDir, 'caxton', '__init__.py');
  if (!existsSync(init)) {
    throw new BuildError('build.toolchain-missing', `the Python SDK is missing from this caxton install (${init})`, {
      context: { sdk: sdkDir },
      hint: 'reinstall caxton whole: the Python SDK ships in its sdk-python/ directory',
    });
  }
  return /__version__\s*=\s*["']([^"']+)["']/.exec(readFileSync(init, 'utf8'))?.[1] ?? '0.0.0';
}

/** Keeps the compiler's message and drops the Rust backtrace componentize-py appends. */
export function pythonDiagnostics(output: string, stagedApp: string, entryDir: string): string {
  let text = output.split(/\n\s*Stack backtrace:/)[0] ?? output;
  // The outer frame is componentize-py's own CLI wrapper re-raising the app's error.
  text = text.replace(/Traceback \(most recent call last\):\n\s+File "<string>", line 1, in <module>\n(?:AssertionError|Exception): /, '');
  // Python paths inside the build are the staged copies: show them relative to the project.
  text = text
    .replaceAll(`${stagedApp}${path.sep}`, entryDir === '.' ? '' : `${entryDir}/`)
    .replaceAll('"/0/', entryDir === '.' ? '"' : `"${entryDir}/`);
  return text.trim();
}

/** componentize-py's environment: its own install on the path, no Rust backtraces, no virtualenv. */
function compileEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: componentizePyDir(),
    PYTHONDONTWRITEBYTECODE: '1',
    RUST_BACKTRACE: '0',
    RUST_LIB_BACKTRACE: '0',
  };
  // componentize-py adds an active virtualenv's site-packages to the path: never the author's.
  delete env['VIRTUAL_ENV'];
  return env;
}

export const pythonBuilder: LanguageBuilder = {
  async plan(ctx: BuildContext): Promise<LanguagePlan> {
    const { project, wasi } = ctx;
    const entry = project.entries[0] ?? 'app.py';
    if (!entry.endsWith('.py')) throw new UnknownProjectLayoutError(project.dir, `the Python entry ${entry} is not a .py file`);
    const entryDir = path.dirname(entry);
    const moduleName = path.basename(entry, '.py');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName) || moduleName === 'wit_world' || moduleName === 'caxton') {
      throw new UnknownProjectLayoutError(
        project.dir,
        `the Python entry ${entry} must be a module name other than wit_world or caxton (e.g. app.py)`,
      );
    }
    const sdkDir = pythonSdkDir();
    const sdk = sdkVersion(sdkDir);

    let status = await pythonToolchain.status();
    if (!status.ready) {
      ctx.progress('toolchain', `installing componentize-py ${COMPONENTIZE_PY_VERSION} (${status.problem ?? 'not ready'})`);
      try {
        status = await pythonToolchain.install((line) => ctx.progress('toolchain', line));
      } catch (err) {
        throw new BuildError(
          'build.toolchain-missing',
          `the Python toolchain is not installed and installing it failed: ${(err as Error).message}`,
          {
            context: { language: 'python', problem: status.problem },
            hint: `run \`${status.install}\` and look at its output`,
            cause: err,
          },
        );
      }
      if (!status.ready) {
        throw new BuildError('build.toolchain-missing', `the Python toolchain is not ready: ${status.problem ?? 'unknown'}`, {
          context: { language: 'python' },
          hint: `run \`${status.install}\``,
        });
      }
    }

    return {
      toolchain: { 'componentize-py': COMPONENTIZE_PY_VERSION, python: status.versions['python'] ?? 'unknown', sdk },
      trees: [{ dir: path.join(sdkDir, 'caxton'), skip: ['__pycache__', 'protocols/__pycache__'] }],
      settings: { wasi, entry },
      async compile() {
        const scratch = await ctx.scratchDir();
        const app = path.join(scratch, 'app');
        const lib = path.join(scratch, 'sdk');
        await mkdir(lib, { recursive: true });
        const skip =
          (root: string) =>
          (src: string): boolean => {
            const rel = path.relative(root, src);
            return rel === '' || !rel.split(path.sep).some((part) => NOT_STAGED.has(part) || (part.startsWith('.') && part !== '.'));
          };
        const appRoot = path.join(project.dir, entryDir);
        await cp(appRoot, app, { recursive: true, filter: skip(appRoot) });
        await cp(path.join(sdkDir, 'caxton'), path.join(lib, 'caxton'), { recursive: true, filter: (src) => !src.includes('__pycache__') });
        const out = path.join(scratch, 'agent.wasm');
        ctx.progress('compile', `componentize-py ${COMPONENTIZE_PY_VERSION}: ${entry} (module ${moduleName}) with the caxton SDK ${sdk}`);
        const r = await runTool(
          pythonCommand(),
          componentizePyArgs(['-d', ctx.witPath, '-w', ctx.world, 'componentize', '-p', app, '-p', lib, moduleName, '-o', out]),
          {
            cwd: scratch,
            env: compileEnv(),
            timeoutMs: 10 * 60_000,
          },
        );
        if (r.code !== 0 || !existsSync(out)) {
          throw new CompileError(
            'python',
            project.dir,
            pythonDiagnostics(`${r.stderr}\n${r.stdout}`, app, entryDir) || `componentize-py exited with code ${r.code}`,
            undefined,
            'fix the error above (componentize-py imports your module at build time, so import-time errors show here too)',
          );
        }
        return new Uint8Array(await readFile(out));
      },
    };
  },
};
