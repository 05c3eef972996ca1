/**
 * A real OCI registry for the tests of `caxton push` and `deploy oci://…` (decision 2172): CNCF
 * Distribution v3, built once from the Go module proxy with the slim main in ./oci-registry/ (only
 * the filesystem driver and htpasswd auth: ~3 min cold on 2 cores) into the cache, keyed by a hash
 * of that directory; then started per test on 127.0.0.1 with a temporary root, anonymous or with
 * htpasswd users. And oras (oras.land), the independent client the tests read a push back with.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withLock } from './lib/lock.mjs';
import { freePort } from './lib/ports.mjs';
import { spawnServer, tailFile } from './lib/process.mjs';
import { startServer } from './lib/server.mjs';

const HOST = '127.0.0.1';
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oci-registry');
export const ORAS_VERSION = 'v1.3.6';

/** The slim main's files, hashed: a change to main.go or its module pins builds a new binary. */
function sourceHash() {
  const h = createHash('sha256');
  for (const f of readdirSync(SOURCE).sort())
    h.update(f)
      .update('\0')
      .update(readFileSync(path.join(SOURCE, f)))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

async function goBinary(what) {
  const go = await which('go');
  if (!go)
    throw new InfraError(`infra.${what}.no-go`, `${what} is built with Go, which is not on PATH`, {
      hint: 'install Go ≥ 1.26 (it is on this kind of machine: /usr/local/go/bin), then retry',
    });
  return go;
}

/** Path of the registry binary, building it first if needed. */
export async function installOciRegistry() {
  const binDir = path.join(cacheDir(), 'tools', `oci-registry-${sourceHash()}`);
  const bin = path.join(binDir, 'registry');
  if (existsSync(bin)) return bin;
  return withLock(path.join(cacheDir(), 'oci-registry-install'), 'building the OCI registry', async () => {
    if (existsSync(bin)) return bin;
    const go = await goBinary('oci-registry');
    const started = Date.now();
    progress('building the OCI registry (CNCF Distribution v3, slim) with go build (once, ~3 min)…');
    await fs.mkdir(binDir, { recursive: true });
    const r = await run(go, ['build', '-trimpath', '-o', `${bin}.tmp`, '.'], { cwd: SOURCE, env: { CGO_ENABLED: '0' } });
    if (r.code !== 0 || !existsSync(`${bin}.tmp`))
      throw new InfraError('infra.oci-registry.build-failed', 'go build of the OCI registry failed', {
        hint: r.output.split('\n').slice(-12).join('\n'),
      });
    await fs.rename(`${bin}.tmp`, bin);
    progress(`OCI registry built in ${((Date.now() - started) / 1000).toFixed(0)} s (${bin})`);
    return bin;
  });
}

/** Path of an oras binary (the independent client), installing it first if needed (~90 s cold). */
export async function installOras() {
  const binDir = path.join(cacheDir(), 'tools', `oras-${ORAS_VERSION}`);
  const bin = path.join(binDir, 'oras');
  if (existsSync(bin)) return bin;
  return withLock(path.join(cacheDir(), 'oras-install'), 'installing oras', async () => {
    if (existsSync(bin)) return bin;
    const go = await goBinary('oras');
    const started = Date.now();
    progress(`building oras ${ORAS_VERSION} with go install (once, ~90 s)…`);
    const r = await run(go, ['install', `oras.land/oras/cmd/oras@${ORAS_VERSION}`], {
      env: { GOBIN: binDir, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    });
    if (r.code !== 0 || !existsSync(bin))
      throw new InfraError('infra.oras.install-failed', `go install oras@${ORAS_VERSION} failed`, {
        hint: r.output.split('\n').slice(-10).join('\n'),
      });
    progress(`oras installed in ${((Date.now() - started) / 1000).toFixed(0)} s (${bin})`);
    return bin;
  });
}

/**
 * Start a registry on 127.0.0.1 with a temporary root. `users`: htpasswd users ({ name: password }),
 * every request then needs Basic credentials; absent: anonymous.
 * @param {{ users?: Record<string, string>, startTimeoutMs?: number }} [opts]
 */
export async function startOciRegistry(opts = {}) {
  const bin = await installOciRegistry();
  const port = await freePort();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-oci-registry-'));
  const root = path.join(dataDir, 'storage');
  const configFile = path.join(dataDir, 'config.yml');
  const logFile = path.join(dataDir, 'registry.log');
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const url = `http://${HOST}:${port}`;
  const users = Object.entries(opts.users ?? {});

  async function prepare() {
    await fs.mkdir(root, { recursive: true });
    const lines = [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(root)}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${HOST}:${port}`,
    ];
    if (users.length > 0) {
      const entries = [];
      for (const [name, password] of users) {
        const r = await run(bin, ['htpasswd', name, password]);
        if (r.code !== 0) throw new InfraError('infra.oci-registry.htpasswd', `could not hash the password of ${name}`, { hint: r.output });
        entries.push(r.output.trim());
      }
      const htpasswd = path.join(dataDir, 'htpasswd');
      await fs.writeFile(htpasswd, `${entries.join('\n')}\n`, { mode: 0o600 });
      lines.push('auth:', '  htpasswd:', '    realm: caxton-test', `    path: ${JSON.stringify(htpasswd)}`);
    }
    await fs.writeFile(configFile, `${lines.join('\n')}\n`);
  }

  async function waitReady(child) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new InfraError(
          'infra.oci-registry.exited',
          `the OCI registry exited during start-up (code ${child.exitCode ?? child.signalCode})`,
          {
            context: { url, log: logFile },
            hint: `registry log tail:\n${await tailFile(logFile)}`,
          },
        );
      try {
        const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) return;
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = e.message;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new InfraError('infra.oci-registry.start-timeout', `the OCI registry was not ready within ${timeoutMs} ms`, {
      context: { url, log: logFile, last },
      hint: `registry log tail:\n${await tailFile(logFile)}`,
    });
  }

  const handle = await startServer({
    name: 'oci-registry',
    host: HOST,
    ports: [port],
    dataDir,
    ownsDataDir: true,
    logFile,
    graceMs: 5_000,
    prepare,
    spawn: () => spawnServer(bin, ['serve', configFile], { logFile }),
    waitReady,
    describe: (pid, ms) => `OCI registry serving at ${HOST}:${port} (pid ${pid}, ready in ${ms} ms${users.length > 0 ? ', htpasswd' : ''})`,
    fields: { host: HOST, port, address: `${HOST}:${port}`, url, root },
  });
  return handle;
}
