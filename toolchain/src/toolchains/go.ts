/**
 * The Go toolchain: the machine's Go (>= 1.24, for //go:wasmexport and -buildmode=c-shared on
 * wasip1), found on PATH, in $CAXTON_GO / $GOROOT, or where Go's own installer puts it. Debian's
 * golang-go is older than 1.24, so there is nothing to fetch from apt: `install` only warms
 * caxton's private build cache (it compiles Go's runtime and the SDK for wasip1/wasm once, so the
 * first agent build takes seconds) and says exactly what to do when no suitable Go exists.
 * Builds use GOCACHE/GOPATH under caxton's cache dir, GOTOOLCHAIN=local and GOPROXY=off: a build
 * never downloads anything.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BuildError } from '../errors.js';
import { toolchainPackageDir } from '../toolchain.js';
import { toolchainDir, withToolchainLock } from './cache.js';
import { runTool } from './run.js';
import type { Toolchain, ToolchainLog, ToolchainStatus } from './toolchain.js';

export const GO_MIN_VERSION: readonly [number, number] = [1, 24];
export const GO_SDK_MODULE = 'caxton.dev/caxton';
export const GO_SDK_VERSION = '0.1.0';
const INSTALL = 'caxton toolchain install go';
const GET_GO =
  "install Go >= 1.24 from https://go.dev/dl/ (Debian's golang-go is too old) and put its bin/ on PATH, or set CAXTON_GO to the go binary";

export interface GoInstall {
  /** The go binary. */
  go: string;
  /** `go1.26.8` */
  version: string;
}

/** Where caxton looks for `go`, in order. */
function candidates(): string[] {
  const out: string[] = [];
  if (process.env['CAXTON_GO']) out.push(process.env['CAXTON_GO']);
  out.push('go');
  if (process.env['GOROOT']) out.push(path.join(process.env['GOROOT'], 'bin', 'go'));
  // Go's official installer (go.dev/dl) unpacks into /usr/local/go; Debian-style and per-user installs.
  out.push(path.join('/usr/local/go/bin/go'), path.join('/usr/lib/go/bin/go'));
  if (process.env['HOME'])
    out.push(path.join(process.env['HOME'], 'go', 'bin', 'go'), path.join(process.env['HOME'], 'sdk', 'go', 'bin', 'go'));
  return out;
}

function parseVersion(v: string): [number, number] | undefined {
  const m = /^go(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function recentEnough(v: [number, number]): boolean {
  return v[0] > GO_MIN_VERSION[0] || (v[0] === GO_MIN_VERSION[0] && v[1] >= GO_MIN_VERSION[1]);
}

let found: Promise<{ install?: GoInstall; problem?: string }> | undefined;

/** Finds a suitable go (cached per process: one `go env GOVERSION` per candidate at most). */
export function findGo(): Promise<{ install?: GoInstall; problem?: string }> {
  found ??= (async () => {
    const tooOld: string[] = [];
    for (const go of candidates()) {
      if (go !== 'go' && !existsSync(go)) continue;
      const r = await runTool(go, ['env', 'GOVERSION'], { timeoutMs: 30_000, env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' } });
      if (r.code !== 0) continue;
      const version = r.stdout.trim();
      const v = parseVersion(version);
      if (v && recentEnough(v)) return { install: { go, version } };
      tooOld.push(`${go} is ${version}`);
    }
    return {
      problem:
        tooOld.length > 0
          ? `Go ${GO_MIN_VERSION.join('.')} or newer is needed, but ${tooOld.join('; ')}`
          : 'no go binary found (PATH, $CAXTON_GO, $GOROOT, /usr/local/go)',
    };
  })();
  return found;
}

/** The Go SDK that ships with this caxton (a Go module; `caxton build` adds it via go.work). */
export function goSdkDir(): string {
  return path.resolve(toolchainPackageDir(), '..', 'sdk-go');
}

/** The environment every Go command of caxton runs with. */
export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const cache = toolchainDir('go');
  return {
    ...process.env,
    GOCACHE: path.join(cache, 'gocache'),
    GOPATH: path.join(cache, 'gopath'),
    GOMODCACHE: path.join(cache, 'gopath', 'pkg', 'mod'),
    GOTOOLCHAIN: 'local',
    GOPROXY: 'off',
    GOFLAGS: '',
    GOENV: 'off',
    GOTELEMETRY: 'off',
    CGO_ENABLED: '0',
    ...extra,
  };
}

/** The Go toolchain, or a BuildError that says how to get one. */
export async function requireGo(): Promise<GoInstall> {
  const r = await findGo();
  if (!r.install) {
    throw new BuildError('build.toolchain-missing', `building a Go agent needs Go ${GO_MIN_VERSION.join('.')}+: ${r.problem}`, {
      context: { language: 'go' },
      hint: GET_GO,
    });
  }
  return r.install;
}

function markerFile(version: string): string {
  return path.join(toolchainDir('go'), `warm-${version}`);
}

async function status(): Promise<ToolchainStatus> {
  const r = await findGo();
  const sdk = existsSync(path.join(goSdkDir(), 'go.mod'));
  const versions: Record<string, string> = {};
  if (r.install) versions['go'] = r.install.version;
  if (sdk) versions[GO_SDK_MODULE] = GO_SDK_VERSION;
  const problem = !r.install
    ? r.problem
    : !sdk
      ? 'the Go SDK (sdk-go/) is missing from this caxton install'
      : !existsSync(markerFile(r.install.version))
        ? `Go's runtime and the SDK are not yet compiled for wasip1 in caxton's cache (builds still work; the first one takes seconds longer)`
        : undefined;
  return {
    language: 'go',
    versions,
    ready: problem === undefined,
    ...(problem !== undefined ? { problem } : {}),
    install: r.install ? INSTALL : GET_GO,
  };
}

async function install(log: ToolchainLog): Promise<ToolchainStatus> {
  const go = await requireGo();
  await withToolchainLock('go', async () => {
    if (existsSync(markerFile(go.version))) return;
    log(`${go.version} (${go.go}): compiling Go's runtime and the SDK for wasip1/wasm into caxton's cache`);
    mkdirSync(toolchainDir('go'), { recursive: true });
    const r = await runTool(
      go.go,
      ['build', '-buildmode=c-shared', '-trimpath', '-o', path.join(toolchainDir('go'), 'warm.wasm'), './internal/warm'],
      {
        cwd: goSdkDir(),
        env: goEnv({ GOOS: 'wasip1', GOARCH: 'wasm', GOWORK: 'off' }),
        timeoutMs: 20 * 60_000,
      },
    );
    if (r.code !== 0) {
      throw new BuildError('build.toolchain-install-failed', `warming the Go build cache failed:\n${r.stderr.trim()}`, {
        context: { language: 'go', go: go.go },
        hint: 'the Go SDK in this caxton does not compile with this Go; check `go version`',
      });
    }
    writeFileSync(markerFile(go.version), `${new Date().toISOString()}\n`);
  });
  return status();
}

export const goToolchain: Toolchain = {
  language: 'go',
  describe: "the machine's Go >= 1.24 (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) + jco; SDK sdk-go/ ships with caxton",
  status,
  install,
};
