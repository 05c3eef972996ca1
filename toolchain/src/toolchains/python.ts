/**
 * Python: componentize-py (the Bytecode Alliance's Python → component compiler, CPython inside) from
 * PyPI, installed with this machine's `python3 -m pip install --target` into caxton's cache
 * (`toolchains/python-componentize-py-<version>`), never into the system Python. The wheel is an
 * abi3 extension module, so any CPython ≥ 3.8 on PATH runs it. Status is a directory check (no
 * process), install is idempotent and serialised by the cache lock; an install is written to a
 * temporary directory and renamed into place, so a killed install never looks ready.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BuildError } from '../errors.js';
import { toolchainDir, withToolchainLock } from './cache.js';
import { runTool, versionOf } from './run.js';
import type { Toolchain, ToolchainLog, ToolchainStatus } from './toolchain.js';

/** Pinned: the generated bindings' layout (wit_world/exports, imports) is what the SDK wraps. */
export const COMPONENTIZE_PY_VERSION = '0.25.1';
export const PYTHON_TOOLCHAIN_NAME = `python-componentize-py-${COMPONENTIZE_PY_VERSION}`;
const INSTALL_HINT = 'caxton toolchain install python';
const PIP_COMMAND = `python3 -m pip install --target <cache>/toolchains/${PYTHON_TOOLCHAIN_NAME} componentize-py==${COMPONENTIZE_PY_VERSION}`;

/** The interpreter that runs componentize-py ($CAXTON_PYTHON, else python3 from PATH). */
export function pythonCommand(): string {
  return process.env['CAXTON_PYTHON'] || 'python3';
}

/** Where componentize-py lives (a pip --target directory: put it on PYTHONPATH). */
export function componentizePyDir(): string {
  return toolchainDir(PYTHON_TOOLCHAIN_NAME);
}

/** The installed componentize-py version, read from its dist-info directory name (no process). */
function installedVersion(dir: string): string | undefined {
  if (!existsSync(path.join(dir, 'componentize_py'))) return undefined;
  const info = readdirSync(dir).find((f) => /^componentize_py-.+\.dist-info$/.test(f));
  return info?.slice('componentize_py-'.length, -'.dist-info'.length);
}

/** Arguments that run componentize-py's CLI with `python3` (the wheel's own console script does this). */
export function componentizePyArgs(args: readonly string[]): string[] {
  return ['-c', "import sys; sys.argv[0] = 'componentize-py'; from componentize_py import script; sys.exit(script())", ...args];
}

async function status(): Promise<ToolchainStatus> {
  const dir = componentizePyDir();
  const versions: Record<string, string> = {};
  const found = installedVersion(dir);
  if (found) versions['componentize-py'] = found;
  const base = { language: 'python' as const, versions, install: INSTALL_HINT };
  if (found !== COMPONENTIZE_PY_VERSION) {
    return { ...base, ready: false, problem: `componentize-py ${COMPONENTIZE_PY_VERSION} is not installed in caxton's cache (${dir})` };
  }
  const py = await versionOf(pythonCommand());
  if (py === undefined) {
    return {
      ...base,
      ready: false,
      problem: `${pythonCommand()} is not on PATH (componentize-py runs inside CPython ≥ 3.8)`,
      install: 'install python3 (e.g. apt-get install python3), then caxton toolchain install python',
    };
  }
  versions['python'] = py.replace(/^Python\s+/, '');
  return { ...base, ready: true };
}

async function install(log: ToolchainLog): Promise<ToolchainStatus> {
  return withToolchainLock(PYTHON_TOOLCHAIN_NAME, async () => {
    const before = await status();
    if (before.ready) return before;
    const py = pythonCommand();
    if ((await versionOf(py)) === undefined) {
      throw new BuildError('build.toolchain-install-failed', `${py} is not on PATH; componentize-py needs CPython`, {
        context: { python: py },
        hint: 'install python3 (apt-get install python3 python3-pip), or set CAXTON_PYTHON to an interpreter, then run caxton toolchain install python',
      });
    }
    const dir = componentizePyDir();
    const tmp = `${dir}.installing`;
    rmSync(tmp, { recursive: true, force: true });
    log(`pip install componentize-py==${COMPONENTIZE_PY_VERSION} into ${dir}`);
    const r = await runTool(
      py,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--no-warn-script-location',
        '--only-binary',
        ':all:',
        '--target',
        tmp,
        `componentize-py==${COMPONENTIZE_PY_VERSION}`,
      ],
      {
        env: { ...process.env, PIP_NO_INPUT: '1', PIP_ROOT_USER_ACTION: 'ignore' },
        onLine: (l) => log(`  pip: ${l}`),
        timeoutMs: 15 * 60_000,
      },
    );
    if (r.code !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new BuildError('build.toolchain-install-failed', `pip could not install componentize-py ${COMPONENTIZE_PY_VERSION}`, {
        context: { output: (r.stderr || r.stdout).split('\n').slice(-15).join('\n') },
        hint: `check that ${py} has pip and can reach PyPI, then retry (it runs: ${PIP_COMMAND})`,
      });
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return status();
  });
}

export const pythonToolchain: Toolchain = {
  language: 'python',
  describe: `componentize-py ${COMPONENTIZE_PY_VERSION} (CPython → component) from PyPI, pip-installed into caxton's cache`,
  status,
  install,
};
