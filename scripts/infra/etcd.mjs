/**
 * A real single-member etcd on 127.0.0.1, for tests and local clusters. Installs Debian's
 * `etcd-server` with apt on first use, starts it with a data dir and given/free ports, waits for
 * /health, and returns a handle to stop/restart it (same data dir ⇒ same keys after restart).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './lib/ports.mjs';
import { spawnServer, tailFile } from './lib/process.mjs';
import { startServer } from './lib/server.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withLock } from './lib/lock.mjs';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';

const HOST = '127.0.0.1';

/** Ensure an `etcd` binary exists (apt-get install etcd-server); returns its path. */
export async function installEtcd() {
  const found = process.env.CAXTON_ETCD_BIN || await which('etcd');
  if (found) return found;
  return withLock(path.join(cacheDir(), 'etcd-apt'), 'installing etcd-server', async () => {
    const again = await which('etcd');
    if (again) return again;
    if (process.getuid?.() !== 0) {
      throw new InfraError('infra.etcd.missing', 'etcd is not installed and installing it needs root',
        { hint: 'run `sudo apt-get install -y etcd-server`, or set CAXTON_ETCD_BIN to an etcd binary' });
    }
    const started = Date.now();
    progress('installing etcd-server with apt-get (once)…');
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    let r = await run('apt-get', ['install', '-y', '--no-install-recommends', 'etcd-server'], { env });
    if (r.code !== 0) {
      // Only refresh package lists when needed: `apt-get update` is slow and hits every mirror.
      progress('apt-get install failed; running apt-get update and retrying…');
      await run('apt-get', ['update'], { env });
      r = await run('apt-get', ['install', '-y', '--no-install-recommends', 'etcd-server'], { env });
    }
    const bin = await which('etcd');
    if (r.code !== 0 || !bin) {
      throw new InfraError('infra.etcd.install-failed', 'apt-get could not install etcd-server',
        { hint: r.output.split('\n').slice(-10).join('\n') });
    }
    progress(`etcd-server installed in ${((Date.now() - started) / 1000).toFixed(1)} s (${bin})`);
    return bin;
  });
}

async function waitHealthy({ endpoint, child, logFile, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new InfraError('infra.etcd.exited', `etcd exited during start-up (code ${child.exitCode ?? child.signalCode})`,
        { context: { endpoint, log: logFile }, hint: `etcd log tail:\n${await tailFile(logFile)}` });
    }
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await res.json();
      if (body.health === 'true' || body.health === true) return;
      last = JSON.stringify(body);
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new InfraError('infra.etcd.start-timeout', `etcd did not report healthy within ${timeoutMs} ms`,
    { context: { endpoint, log: logFile, last }, hint: `etcd log tail:\n${await tailFile(logFile)}` });
}

/**
 * Start etcd.
 * @param {object} [opts]
 * @param {number} [opts.clientPort] default: a free port
 * @param {number} [opts.peerPort] default: a free port
 * @param {string} [opts.dataDir] holds `data/` and `etcd.log`; a temp dir (deleted on stop) if omitted
 * @param {boolean} [opts.detached] outlive this process (the CLI's `up`)
 * @param {number} [opts.startTimeoutMs] default 20000
 */
export async function startEtcd(opts = {}) {
  const bin = await installEtcd();
  const clientPort = opts.clientPort ?? await freePort();
  const peerPort = opts.peerPort ?? await freePort();
  const ownsDataDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-etcd-'));
  await fs.mkdir(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'etcd.log');
  const endpoint = `http://${HOST}:${clientPort}`;
  const peer = `http://${HOST}:${peerPort}`;
  const args = [
    '--name', 'caxton', '--data-dir', path.join(dataDir, 'data'),
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    // Ignored by etcd once the data dir exists, so restarting on the same dir keeps the cluster.
    '--initial-cluster', `caxton=${peer}`, '--initial-cluster-state', 'new',
    '--initial-cluster-token', `caxton-${clientPort}`,
    '--log-level', 'warn', '--logger', 'zap',
  ];
  return startServer({
    name: 'etcd', host: HOST, ports: [clientPort, peerPort], dataDir, ownsDataDir, logFile, graceMs: 10_000,
    // ETCD_UNSUPPORTED_ARCH is only read on non-amd64/arm64 hosts; harmless elsewhere.
    spawn: () => spawnServer(bin, args, { logFile, detached: opts.detached, env: { ETCD_UNSUPPORTED_ARCH: process.arch } }),
    waitReady: (child) => waitHealthy({ endpoint, child, logFile, timeoutMs: opts.startTimeoutMs ?? 20_000 }),
    describe: (pid, ms) => `etcd serving at ${endpoint} (pid ${pid}, healthy in ${ms} ms)`,
    fields: { endpoint, host: HOST, clientPort, peerPort },
  });
}
