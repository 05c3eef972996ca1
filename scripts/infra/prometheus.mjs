/**
 * A real Prometheus server on 127.0.0.1 scraping given targets, for tests of what Caxton exposes on
 * its metrics port. Debian's `prometheus` package (bookworm: 2.42.0+ds-5+deb12u1 when written, a
 * single Go binary), obtained without installing it: `apt-get download` fetches the .deb (19 MB,
 * ~2 s) and `dpkg-deb -x` unpacks it (~2 s) into the cache (tools/prometheus-<debian version>),
 * so no system service, user, init script or dpkg state is touched and no root is needed when the
 * package lists are current. The package's Depends (adduser, init-system-helpers and the libjs-*
 * of the classic web console) are only for the system install and the web pages; the binary needs
 * only libc, so none of them is fetched. When apt does not know the package (no or stale lists),
 * `apt-get update` runs once, which needs root.
 *
 *   const prom = await startPrometheus({ scrapeTargets: ['127.0.0.1:9464'], scrapeIntervalS: 1 });
 *   const { result } = await prom.query('sum(caxton_agent_messages_handled_total)');
 *   await prom.stop();                          // TSDB temp dir deleted
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withAptLock, withLock } from './lib/lock.mjs';
import { freePort } from './lib/ports.mjs';
import { spawnServer, tailFile } from './lib/process.mjs';
import { startServer } from './lib/server.mjs';

const HOST = '127.0.0.1';

/** The Debian version asked for first; if the archive has moved on (a security update), its successor. */
export const PROMETHEUS_DEB_VERSION = '2.42.0+ds-5+deb12u1';

/** Where an unpacked package lives and what it holds. */
function layout(root) {
  return {
    root,
    bin: path.join(root, 'usr', 'bin', 'prometheus'),
    promtool: path.join(root, 'usr', 'bin', 'promtool'),
    webAssets: path.join(root, 'usr', 'share', 'prometheus', 'web'),
    consoles: path.join(root, 'etc', 'prometheus', 'consoles'),
    consoleLibraries: path.join(root, 'etc', 'prometheus', 'console_libraries'),
  };
}

const tail = (text, n = 10) => text.split('\n').filter(Boolean).slice(-n).join('\n');

/**
 * Unpack Debian's prometheus into the cache (once); returns `{ version, bin, promtool, root, … }`.
 * The installed Debian version is recorded in `<cache>/tools/prometheus.version`.
 */
export async function installPrometheus() {
  const tools = path.join(cacheDir(), 'tools');
  const marker = path.join(tools, 'prometheus.version');
  const installed = async () => {
    const version = (await fs.readFile(marker, 'utf8').catch(() => '')).trim();
    if (!version) return null;
    const l = layout(path.join(tools, `prometheus-${version}`));
    return existsSync(l.bin) ? { version, ...l } : null;
  };
  const found = await installed();
  if (found) return found;
  return withLock(path.join(cacheDir(), 'prometheus-install'), 'unpacking Debian prometheus', async () => {
    const again = await installed();
    if (again) return again;
    for (const tool of ['apt-get', 'dpkg-deb']) {
      if (!(await which(tool))) {
        throw new InfraError('infra.prometheus.no-apt', `${tool} is not on PATH: Prometheus comes from Debian's archive`, {
          hint: 'run on Debian or Ubuntu, or unpack a prometheus .deb yourself',
        });
      }
    }
    const started = Date.now();
    progress(`downloading Debian's prometheus package (once, ~20 MB)…`);
    await fs.mkdir(tools, { recursive: true });
    const work = await fs.mkdtemp(path.join(tools, 'prometheus-download-'));
    try {
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      // As root, apt drops to the _apt user to download and warns that it cannot write here; let it stay root.
      const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
      const download = (spec) => run('apt-get', [...sandbox, 'download', spec], { cwd: work, env });
      let r = await download(`prometheus=${PROMETHEUS_DEB_VERSION}`);
      if (r.code !== 0) {
        progress(`apt has no prometheus=${PROMETHEUS_DEB_VERSION}; taking its candidate version`);
        r = await download('prometheus');
      }
      if (r.code !== 0) {
        if (process.getuid?.() !== 0) {
          throw new InfraError('infra.prometheus.download-failed', 'apt-get download prometheus failed', {
            hint: `${tail(r.output)}\n(the package lists may be missing or stale: run \`sudo apt-get update\`, then retry)`,
          });
        }
        progress('apt-get download failed; running apt-get update (package lists missing or stale) and retrying…');
        const u = await withAptLock(() => run('apt-get', ['update'], { env }));
        if (u.code !== 0) progress(`apt-get update failed:\n${tail(u.output, 5)}`);
        r = await download(`prometheus=${PROMETHEUS_DEB_VERSION}`);
        if (r.code !== 0) r = await download('prometheus');
      }
      const deb = (await fs.readdir(work)).find((f) => /^prometheus_.*\.deb$/.test(f));
      if (r.code !== 0 || !deb) {
        throw new InfraError('infra.prometheus.download-failed', 'apt-get download prometheus failed', { hint: tail(r.output) });
      }
      // prometheus_2.42.0+ds-5+deb12u1_amd64.deb: the version's ':' (epoch) is written %3a.
      const version = decodeURIComponent(deb.split('_')[1]);
      const unpacked = path.join(work, 'root');
      const x = await run('dpkg-deb', ['-x', path.join(work, deb), unpacked]);
      const l = layout(unpacked);
      if (x.code !== 0 || !existsSync(l.bin)) {
        throw new InfraError('infra.prometheus.unpack-failed', `dpkg-deb -x ${deb} failed`, { hint: tail(x.output) });
      }
      const v = await run(l.bin, ['--version']);
      if (v.code !== 0 || !/prometheus, version/.test(v.output)) {
        throw new InfraError('infra.prometheus.unpack-failed', 'the unpacked prometheus does not run', { hint: tail(v.output) });
      }
      const dest = path.join(tools, `prometheus-${version}`);
      await fs.rm(dest, { recursive: true, force: true });
      await fs.rename(unpacked, dest);
      await fs.writeFile(marker, `${version}\n`); // last: its presence means "installed"
      progress(`prometheus ${version} unpacked in ${((Date.now() - started) / 1000).toFixed(1)} s (${layout(dest).bin})`);
      return { version, ...layout(dest) };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  });
}

function prometheusYml({ scrapeTargets, scrapeIntervalS, metricsPath, jobName }) {
  // JSON is YAML. The scrape timeout may not exceed the interval.
  return `${JSON.stringify(
    {
      global: { scrape_interval: `${scrapeIntervalS}s`, scrape_timeout: `${scrapeIntervalS}s`, evaluation_interval: `${scrapeIntervalS}s` },
      scrape_configs: [{ job_name: jobName, metrics_path: metricsPath, static_configs: [{ targets: scrapeTargets }] }],
    },
    null,
    2,
  )}\n`;
}

/**
 * Run the `promtool` of the same Debian package (rule checks and rule unit tests), unpacking the
 * package first if needed. Resolves `{ code, output }` (stdout and stderr together); a failing
 * check is the caller's to judge, not an error here.
 * @param {string[]} args e.g. ['check', 'rules', 'alerts.yaml']
 * @param {{ cwd?: string }} [opts]
 */
export async function promtool(args, { cwd } = {}) {
  const install = await installPrometheus();
  return run(install.promtool, args, { cwd });
}

/**
 * Start Prometheus scraping `scrapeTargets`.
 * @param {object} opts
 * @param {string[]} opts.scrapeTargets host:port of each target (served at `metricsPath`)
 * @param {number} [opts.scrapeIntervalS] default 1
 * @param {string} [opts.metricsPath] default /metrics
 * @param {string} [opts.jobName] the `job` label, default "caxton"
 * @param {number} [opts.port] default: a free port
 * @param {string} [opts.dataDir] prometheus.yml, tsdb/ and the log; a temp dir (deleted on stop) if omitted
 * @param {boolean} [opts.detached]
 * @param {number} [opts.startTimeoutMs] default 20000
 */
export async function startPrometheus(opts) {
  const { scrapeTargets, scrapeIntervalS = 1, metricsPath = '/metrics', jobName = 'caxton' } = opts ?? {};
  if (!Array.isArray(scrapeTargets) || scrapeTargets.some((t) => typeof t !== 'string' || !/^[^\s/]+:\d+$/.test(t))) {
    throw new InfraError('infra.prometheus.bad-targets', 'scrapeTargets must be a list of host:port strings', {
      context: { scrapeTargets },
      hint: "e.g. startPrometheus({ scrapeTargets: ['127.0.0.1:9464'] })",
    });
  }
  if (!(scrapeIntervalS > 0)) {
    throw new InfraError('infra.prometheus.bad-interval', 'scrapeIntervalS must be a positive number of seconds', {
      context: { scrapeIntervalS },
    });
  }
  const prom = await installPrometheus();
  const port = opts.port ?? (await freePort());
  const ownsDataDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-prometheus-')));
  await fs.mkdir(dataDir, { recursive: true });
  const configFile = path.join(dataDir, 'prometheus.yml');
  const logFile = path.join(dataDir, 'prometheus.log');
  const url = `http://${HOST}:${port}`;
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
    `--web.listen-address=${HOST}:${port}`,
    // Everything from the unpacked package, never the system's /usr/share or /etc.
    `--web.local-assets=${prom.webAssets}`,
    `--web.console.templates=${prom.consoles}`,
    `--web.console.libraries=${prom.consoleLibraries}`,
  ];

  async function waitReady(child) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new InfraError('infra.prometheus.exited', `prometheus exited during start-up (code ${child.exitCode ?? child.signalCode})`, {
          context: { url, log: logFile },
          hint: `prometheus log tail:\n${await tailFile(logFile)}`,
        });
      }
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = e.message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new InfraError('infra.prometheus.start-timeout', `prometheus was not ready within ${timeoutMs} ms`, {
      context: { url, log: logFile, last },
      hint: `prometheus log tail:\n${await tailFile(logFile)}`,
    });
  }

  async function api(pathAndQuery) {
    let res;
    try {
      res = await fetch(`${url}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new InfraError('infra.prometheus.unreachable', `prometheus at ${url} did not answer`, { cause: e, hint: 'was it stopped?' });
    }
    const body = await res.json().catch(() => null);
    if (body?.status !== 'success') {
      throw new InfraError(
        'infra.prometheus.query-failed',
        `prometheus refused ${pathAndQuery.split('?')[0]}: ${body?.error ?? `HTTP ${res.status}`}`,
        { context: { errorType: body?.errorType }, hint: 'check the PromQL syntax' },
      );
    }
    return body.data;
  }

  /** An instant query: `{ resultType, result }` of the HTTP API's data (vector results: `[{ metric, value: [t, "v"] }]`). */
  const query = (promql) => api(`/api/v1/query?query=${encodeURIComponent(promql)}`);

  /** Poll `promql` until `predicate(data)` is true; returns that data. */
  async function waitFor(promql, predicate, { timeoutMs: waitMs = 15_000 } = {}) {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const data = await query(promql);
      if (predicate(data)) return data;
      if (Date.now() > deadline) {
        const targets = await api('/api/v1/targets').catch(() => null);
        const health = targets?.activeTargets?.map((t) => `${t.scrapeUrl} ${t.health}${t.lastError ? `: ${t.lastError}` : ''}`).join('; ');
        throw new InfraError('infra.prometheus.wait-timeout', `"${promql}" did not match within ${waitMs} ms`, {
          context: { last: JSON.stringify(data.result).slice(0, 300) },
          hint: `targets: ${health ?? 'unknown'}`,
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  return startServer({
    name: 'prometheus',
    host: HOST,
    ports: [port],
    dataDir,
    ownsDataDir,
    logFile,
    graceMs: 10_000,
    prepare: () => fs.writeFile(configFile, prometheusYml({ scrapeTargets, scrapeIntervalS, metricsPath, jobName })),
    spawn: () => spawnServer(prom.bin, args, { logFile, detached: opts.detached }),
    waitReady,
    describe: (pid, ms) => `prometheus ${prom.version} at ${url} scraping ${scrapeTargets.join(', ')} (pid ${pid}, ready in ${ms} ms)`,
    fields: {
      url,
      host: HOST,
      port,
      configFile,
      version: prom.version,
      query,
      waitFor,
      targets: () => api('/api/v1/targets'),
    },
  });
}
