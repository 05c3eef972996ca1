/**
 * The C toolchain: Debian's clang and lld with wasi-libc and the wasm32 compiler runtime
 * (libclang_rt.builtins), installed with apt (the machine's package registry) once; apt is the
 * cache, the toolchain lock serialises installs. `status` asks dpkg and clang, nothing more.
 */
import { aptInstall, aptInstalled } from './apt.js';
import { withToolchainLock } from './cache.js';
import { runTool, versionOf } from './run.js';
import type { Toolchain, ToolchainLog, ToolchainStatus } from './toolchain.js';

export const C_APT_PACKAGES = ['clang', 'lld', 'wasi-libc', 'libclang-rt-14-dev-wasm32'] as const;
export const C_INSTALL_HINT = `caxton toolchain install c (runs: apt-get install -y --no-install-recommends ${C_APT_PACKAGES.join(' ')})`;

/** Version strings of the parts that shape a C agent's output. */
async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const clang = await versionOf('clang', ['--version']);
  if (clang) out['clang'] = clang;
  for (const p of ['lld', 'wasi-libc', 'libclang-rt-14-dev-wasm32']) {
    const r = await runTool('dpkg-query', ['-W', '-f=${Version}', p], { timeoutMs: 20_000 });
    if (r.code === 0 && r.stdout.trim() !== '') out[p] = r.stdout.trim();
  }
  return out;
}

async function status(): Promise<ToolchainStatus> {
  const missing = await aptInstalled(C_APT_PACKAGES);
  const v = missing.length === 0 ? await versions() : {};
  const ready = missing.length === 0 && v['clang'] !== undefined;
  return {
    language: 'c',
    ready,
    versions: v,
    ...(ready
      ? {}
      : { problem: missing.length > 0 ? `missing Debian packages: ${missing.join(', ')}` : 'clang is installed but does not run' }),
    install: C_INSTALL_HINT,
  };
}

export const cToolchain: Toolchain = {
  language: 'c',
  describe: 'clang + lld + wasi-libc (wasm32-wasi reactor), Debian packages via apt',
  status,
  async install(log: ToolchainLog): Promise<ToolchainStatus> {
    return withToolchainLock('c', async () => {
      const missing = await aptInstalled(C_APT_PACKAGES);
      if (missing.length === 0) {
        log('clang, lld, wasi-libc and the wasm32 compiler runtime are already installed');
      } else {
        await aptInstall(missing, log);
      }
      return status();
    });
  },
};

let cached: ToolchainStatus | undefined;
/** The status, once per process (builds of several C agents ask for it each time). */
export async function cToolchainStatus(): Promise<ToolchainStatus> {
  if (cached?.ready) return cached;
  cached = await status();
  return cached;
}
