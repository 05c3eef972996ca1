/**
 * Debian packages as toolchain parts (Rust's and C's wasm targets come from Debian: rustup's
 * rustc has none unless `rustup target add` fetches one). Installing needs root; without it the error names the
 * exact apt-get command to run.
 */
import { BuildError } from '../errors.js';
import { withAptLock } from './cache.js';
import { runTool, type RunResult } from './run.js';
import type { ToolchainLog } from './toolchain.js';

export async function aptInstall(packages: readonly string[], log: ToolchainLog): Promise<void> {
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new BuildError('build.toolchain-install-needs-root', `installing ${packages.join(', ')} needs root`, {
      context: { packages: [...packages] },
      hint: `run: sudo ${command}`,
    });
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<RunResult> =>
    runTool('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...packages], {
      env,
      onLine: (l) => log(`  apt: ${l}`),
    });
  // One Caxton apt call at a time on the machine (Rust's and C's installs, the test infrastructure's etcd).
  const r = await withAptLock(async () => {
    log(`apt-get install ${packages.join(' ')}`);
    const first = await install();
    if (first.code === 0) return first;
    // Package lists may be missing or stale on a fresh machine: refresh once, then retry.
    log('apt-get install failed; running apt-get update and retrying');
    await runTool('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env, onLine: (l) => log(`  apt: ${l}`) });
    return install();
  });
  if (r.code !== 0) {
    throw new BuildError('build.toolchain-install-failed', `apt-get could not install ${packages.join(', ')}`, {
      context: { packages: [...packages], output: r.stderr.split('\n').slice(-15).join('\n') },
      hint: `run \`${command}\` yourself to see why (apt-get said: ${r.stderr.trim().split('\n').pop() ?? 'nothing'})`,
    });
  }
}

/** Whether every package is installed (dpkg's own record; cheap). */
export async function aptInstalled(packages: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const p of packages) {
    const r = await runTool('dpkg-query', ['-W', '-f=${Status}', p]);
    if (r.code !== 0 || !r.stdout.includes('install ok installed')) missing.push(p);
  }
  return missing;
}
