/**
 * A real single-member etcd on 127.0.0.1, for tests and local clusters. Installs Debian's
 * `etcd-server` with apt on first use, starts it with a data dir and given/free ports, waits for
 * /health, and returns a handle to stop/restart it (same data dir ⇒ same keys after restart).
 */
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './lib/ports.mjs';
import { spawnServer, tailFile } from './lib/process.mjs';
import { startServer } from './lib/server.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withAptLock, withLock } from './lib/lock.mjs';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';

const HOST = '127.0.0.1';

/** Ensure an `etcd` binary exists (apt-get install etcd-server); returns its path. */
export async function installEtcd() {
  const found = process.env.CAXTON_ETCD_BIN || (await which('etcd'));
  if (found) return found;
  return withLock(path.join(cacheDir(), 'etcd-apt'), 'installing etcd-server', async () => {
    const again = await which('etcd');
    if (again) return again;
    if (process.getuid?.() !== 0) {
      throw new InfraError('infra.etcd.missing', 'etcd is not installed and installing it needs root', {
        hint: 'run `sudo apt-get install -y etcd-server`, or set CAXTON_ETCD_BIN to an etcd binary',
      });
    }
    const started = Date.now();
    progress('installing etcd-server with apt-get (once)…');
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'etcd-server'], { env });
    const r = await withAptLock(async () => {
      const first = await install();
      if (first.code === 0) return first;
      // Only refresh package lists when needed: `apt-get update` is slow and hits every mirror.
      progress('apt-get install failed; running apt-get update and retrying…');
      await run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env });
      return install();
    });
    const bin = await which('etcd');
    if (r.code !== 0 || !bin) {
      throw new InfraError('infra.etcd.install-failed', 'apt-get could not install etcd-server', {
        hint: r.output.split('\n').slice(-10).join('\n'),
      });
    }
    progress(`etcd-server installed in ${((Date.now() - started) / 1000).toFixed(1)} s (${bin})`);
    return bin;
  });
}

/** GET /health over TLS with the test PKI (client certificate included when etcd requires one). */
async function healthOverTls(endpoint, tls) {
  const [ca, cert, key] = await Promise.all([fs.readFile(tls.caFile), fs.readFile(tls.certFile), fs.readFile(tls.keyFile)]);
  return new Promise((resolve, reject) => {
    const req = https.get(`${endpoint}/health`, { ca, cert, key, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function health(endpoint, tls) {
  if (tls) return healthOverTls(endpoint, tls);
  const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
  return res.json();
}

/**
 * Turn on etcd's authentication with a root user and the given users (each granted the root role:
 * the node needs the whole key space of its prefix, and role design is the operator's, not the
 * test's). Idempotent across restarts of the same data dir: an existing user or an enabled auth is fine.
 */
async function enableAuth({ endpoint, tls, users }) {
  const { Etcd3 } = await import('etcd3');
  const [ca, cert, key] = await Promise.all([fs.readFile(tls.caFile), fs.readFile(tls.certFile), fs.readFile(tls.keyFile)]);
  const client = new Etcd3({ hosts: [endpoint], credentials: { rootCertificate: ca, certChain: cert, privateKey: key } });
  try {
    const existing = new Set((await client.getUsers()).map((u) => u.name));
    for (const u of [{ name: 'root', password: users[0].password }, ...users]) {
      if (!existing.has(u.name)) await client.user(u.name).create(u.password);
      existing.add(u.name);
      await client.user(u.name).addRole('root');
    }
    await client.auth.authEnable({});
  } finally {
    client.close();
  }
}

async function waitHealthy({ endpoint, child, logFile, timeoutMs, tls }) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new InfraError('infra.etcd.exited', `etcd exited during start-up (code ${child.exitCode ?? child.signalCode})`, {
        context: { endpoint, log: logFile },
        hint: `etcd log tail:\n${await tailFile(logFile)}`,
      });
    }
    try {
      const body = await health(endpoint, tls);
      if (body.health === 'true' || body.health === true) return;
      last = JSON.stringify(body);
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new InfraError('infra.etcd.start-timeout', `etcd did not report healthy within ${timeoutMs} ms`, {
    context: { endpoint, log: logFile, last },
    hint: `etcd log tail:\n${await tailFile(logFile)}`,
  });
}

/**
 * Start etcd.
 * @param {object} [opts]
 * @param {number} [opts.clientPort] default: a free port
 * @param {number} [opts.peerPort] default: a free port
 * @param {string} [opts.dataDir] holds `data/` and `etcd.log`; a temp dir (deleted on stop) if omitted
 * @param {boolean} [opts.detached] outlive this process (the CLI's `up`)
 * @param {number} [opts.startTimeoutMs] default 60000 (a failure bound only: etcd answers in well under a second on a quiet machine; once, with a full CI run on two cores, it did not within 20 s)
 * @param {object} [opts.security] TLS on the client port and authentication: `{ pki (from
 *   makeTestPki), requireClientCert?: boolean, users?: [{ name, password }] }` — with users, auth is
 *   enabled (a root user with the first user's password is made too). Peer traffic stays loopback.
 */
export async function startEtcd(opts = {}) {
  const bin = await installEtcd();
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const ownsDataDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-etcd-')));
  await fs.mkdir(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'etcd.log');
  const security = opts.security;
  const endpoint = `${security ? 'https' : 'http'}://${HOST}:${clientPort}`;
  const tls = security
    ? { caFile: security.pki.caFile, certFile: security.pki.client.certFile, keyFile: security.pki.client.keyFile }
    : undefined;
  const tlsArgs = security
    ? [
        '--cert-file',
        security.pki.server.certFile,
        '--key-file',
        security.pki.server.keyFile,
        '--trusted-ca-file',
        security.pki.caFile,
        ...(security.requireClientCert ? ['--client-cert-auth'] : []),
      ]
    : [];
  const peer = `http://${HOST}:${peerPort}`;
  const args = [
    '--name',
    'caxton',
    '--data-dir',
    path.join(dataDir, 'data'),
    '--listen-client-urls',
    endpoint,
    '--advertise-client-urls',
    endpoint,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    // Ignored by etcd once the data dir exists, so restarting on the same dir keeps the cluster.
    '--initial-cluster',
    `caxton=${peer}`,
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    `caxton-${clientPort}`,
    '--log-level',
    'warn',
    '--logger',
    'zap',
    ...tlsArgs,
  ];
  return startServer({
    name: 'etcd',
    host: HOST,
    ports: [clientPort, peerPort],
    dataDir,
    ownsDataDir,
    logFile,
    graceMs: 10_000,
    // ETCD_UNSUPPORTED_ARCH is only read on non-amd64/arm64 hosts; harmless elsewhere.
    spawn: () => spawnServer(bin, args, { logFile, detached: opts.detached, env: { ETCD_UNSUPPORTED_ARCH: process.arch } }),
    waitReady: async (child) => {
      await waitHealthy({ endpoint, child, logFile, timeoutMs: opts.startTimeoutMs ?? 60_000, tls });
      // Once per data dir: after that etcd refuses the unauthenticated calls that enable it.
      const marker = path.join(dataDir, 'auth-enabled');
      if (
        security?.users?.length &&
        !(await fs.access(marker).then(
          () => true,
          () => false,
        ))
      ) {
        await enableAuth({ endpoint, tls, users: security.users });
        await fs.writeFile(marker, '');
      }
    },
    describe: (pid, ms) =>
      `etcd serving at ${endpoint}${security ? ` (TLS${security.users?.length ? ', auth' : ''})` : ''} (pid ${pid}, healthy in ${ms} ms)`,
    fields: { endpoint, host: HOST, clientPort, peerPort, security },
  });
}
