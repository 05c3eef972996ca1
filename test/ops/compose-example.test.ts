/**
 * deploy/compose (a single node with a collector, Jaeger and Prometheus), checked with the tools'
 * own checks and then run as far as this machine can without a Docker engine:
 *
 * - the collector's configuration passes the real collector's `validate` (scripts/infra's build,
 *   which compiles in every component the file names), and a copy naming an exporter it does not
 *   define fails it — the check bites;
 * - Prometheus' configuration, laid out as the compose file mounts it (alerts.yaml beside it),
 *   passes the real `promtool check config`;
 * - the compose file's references agree: the node's OTLP endpoints name the collector's service and
 *   its receiver's port, Prometheus scrapes the node's service at its `--metrics-addr` port, the
 *   collector exports to the Jaeger service's OTLP port, every mounted file exists;
 * - the pipeline itself: the node started with the compose file's command and environment, the
 *   collector with the compose file's configuration, each with its service names swapped for
 *   loopback ports, and a real collector in Jaeger's place (it receives the same OTLP/gRPC that
 *   Jaeger would): a request's trace arrives downstream, and the node's agent log lines arrive in
 *   the compose collector's log file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { ROOT, example } from '../cluster/support/paths.js';
import { attrsOf, waitForConversationTrace } from './support/otlp.js';
import { ServeProcess } from './support/serve-process.js';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

const COMPOSE = path.join(ROOT, 'deploy', 'compose');
const read = (file: string): string => readFileSync(path.join(COMPOSE, file), 'utf8');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}
const compose = parse(read('compose.yaml')) as { services: Record<string, Service> };
const collectorConfig = parse(read('otel-collector.yaml')) as {
  receivers: { otlp: { protocols: { http: { endpoint: string } } } };
  exporters: Record<string, { endpoint?: string; path?: string }>;
  service: { pipelines: Record<string, { exporters: string[] }> };
};
const prometheusConfig = parse(read('prometheus.yml')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
const caxton = compose.services['caxton']!;
const flag = (name: string): string | undefined => caxton.command!.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** Replaces `from` (which must occur exactly once: a changed file fails here, not silently) with `to`. */
function swapOnce(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length - 1, 1, `${JSON.stringify(from)} occurs once`);
  return text.replace(from, to);
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, output };
}

describe('deploy/compose (the real collector, promtool and caxton serve)', { timeout: 10 * 60_000 }, () => {
  let lib: typeof Infra;
  let collectorBin: string;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'caxton-compose-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    lib = await infra();
    collectorBin = await lib.installOtelCollector();
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("the collector's configuration passes the collector's own validate; one naming an undefined exporter does not", async () => {
    const ok = await exitOf(spawn(collectorBin, ['validate', `--config=${path.join(COMPOSE, 'otel-collector.yaml')}`]));
    assert.equal(ok.code, 0, ok.output);
    const broken = path.join(tempDir(), 'otel-collector.yaml');
    writeFileSync(broken, swapOnce(read('otel-collector.yaml'), 'exporters: [otlp/jaeger]', 'exporters: [otlp/zipkin]'));
    const bad = await exitOf(spawn(collectorBin, ['validate', `--config=${broken}`]));
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /otlp\/zipkin/);
  });

  it("Prometheus' configuration, mounted beside the alert rules as the compose file does, passes promtool check config", async () => {
    const prometheus = compose.services['prometheus']!;
    const dir = tempDir();
    // The compose file's mounts (host path relative to deploy/compose → container path), laid out in a temp dir.
    for (const volume of prometheus.volumes!) {
      const [host, container] = volume.split(':') as [string, string];
      if (!host.startsWith('.')) continue; // a named volume (the TSDB)
      assert.ok(container.startsWith('/etc/prometheus/'), container);
      copyFileSync(path.join(COMPOSE, host), path.join(dir, path.basename(container)));
    }
    assert.ok(existsSync(path.join(dir, 'alerts.yaml')), 'the rules the configuration loads are mounted');
    const r = await lib.promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 1 rule files found/);
  });

  it("the compose file's services, ports and mounts agree with each other", () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['caxton', 'jaeger', 'otel-collector', 'otelcol-logs-owner', 'prometheus']);
    // The collector's user (10001) gets its log volume before it starts: Docker makes a new volume root's.
    const owner = compose.services['otelcol-logs-owner']!;
    assert.deepEqual(owner.command, ['chown', '10001:10001', '/var/lib/otelcol']);
    assert.ok(owner.volumes!.includes('otelcol-logs:/var/lib/otelcol'));
    assert.ok(compose.services['otel-collector']!.volumes!.includes('otelcol-logs:/var/lib/otelcol'));
    assert.deepEqual(
      (compose.services['otel-collector'] as { depends_on?: Record<string, { condition: string }> }).depends_on?.['otelcol-logs-owner'],
      {
        condition: 'service_completed_successfully',
      },
    );
    assert.ok(collectorConfig.exporters['file/logs']!.path!.startsWith('/var/lib/otelcol/'), 'the exporter writes into that volume');
    const receiver = collectorConfig.receivers.otlp.protocols.http.endpoint; // 0.0.0.0:4318
    const port = receiver.split(':')[1];
    for (const signal of ['TRACES', 'LOGS']) {
      assert.equal(
        caxton.environment![`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`],
        `http://otel-collector:${port}/v1/${signal.toLowerCase()}`,
      );
    }
    assert.equal(caxton.environment!['OTEL_EXPORTER_OTLP_ENDPOINT'], undefined, 'metrics are scraped, not pushed too');
    assert.equal(caxton.environment!['OTEL_EXPORTER_OTLP_PROTOCOL'], 'http/protobuf');
    const metricsPort = flag('metrics-addr')!.split(':')[1];
    assert.deepEqual(prometheusConfig.scrape_configs[0]!.static_configs[0]!.targets, [`caxton:${metricsPort}`]);
    assert.equal(collectorConfig.exporters['otlp/jaeger']!.endpoint, 'jaeger:4317');
    assert.deepEqual(collectorConfig.service.pipelines['traces']!.exporters, ['otlp/jaeger']);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const p of service.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name} publishes ${p} on the host's loopback only`);
      for (const v of service.volumes ?? []) {
        const host = v.split(':')[0]!;
        if (host.startsWith('.')) assert.ok(existsSync(path.join(COMPOSE, host)), `${name} mounts ${host}, which exists`);
      }
    }
  });

  it('the pipeline: a request traced from the node through the compose collector to the OTLP/gRPC receiver in place of Jaeger, agent logs into its file', async () => {
    const jaeger = await lib.startOtelCollector();
    const dir = tempDir();
    const httpPort = await lib.freePort();
    const logsFile = path.join(dir, 'caxton-logs.jsonl');
    let config = read('otel-collector.yaml');
    config = swapOnce(config, 'endpoint: 0.0.0.0:4318', `endpoint: 127.0.0.1:${httpPort}`);
    config = swapOnce(config, 'endpoint: jaeger:4317', `endpoint: 127.0.0.1:${jaeger.grpcPort}`);
    config = swapOnce(config, 'path: /var/lib/otelcol/caxton-logs.jsonl', `path: ${logsFile}`);
    const configFile = path.join(dir, 'otel-collector.yaml');
    writeFileSync(configFile, config);
    const collector = spawn(collectorBin, [`--config=${configFile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collectorExit = exitOf(collector);
    let node: ServeProcess | undefined;
    try {
      // The node's command and environment from the compose file; what ServeProcess sets itself
      // (data dir, API port, no auth) and the 0.0.0.0 listeners moved to loopback ports.
      const args = caxton
        .command!.filter((a) => a !== 'serve' && !/^--(data-dir|api-host|api-port)=/.test(a))
        .map((a) => a.replace(/=0\.0\.0\.0:\d+$/, '=127.0.0.1:0'));
      assert.ok(args.includes('--metrics-addr=127.0.0.1:0') && args.includes('--log-format=json'), args.join(' '));
      const env = Object.fromEntries(
        Object.entries(caxton.environment!).map(([k, v]) => [k, v.replace('http://otel-collector:4318', `http://127.0.0.1:${httpPort}`)]),
      );
      const listening = Date.now() + 60_000;
      while (!(await portListening(httpPort))) {
        if (collector.exitCode !== null) assert.fail(`the collector exited: ${(await collectorExit).output}`);
        if (Date.now() > listening) assert.fail(`the collector did not listen on 127.0.0.1:${httpPort} within 60 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      node = ServeProcess.start(args, env);
      await node.ready();
      const api = await node.api();
      await api.deploy({ name: 'echo', config: {} }, readFileSync(example('as-echo', 'as-echo.wasm')));
      await api.send({
        structured: { performative: 'request', receivers: [{ name: 'echo' }], content: 'hi', conversationId: 'compose-1' },
      });
      const trace = await waitForConversationTrace(jaeger, lib.otlpSpans, 'compose-1', { 'send request': 1, 'handle request': 1 });
      assert.equal(attrsOf(trace[0]!.resource)['deployment.environment'], 'compose', 'the compose file’s resource attributes');
      // The agent's log lines (the node's "deployed" line about it, at least) in the compose collector's file.
      const deadline = Date.now() + 60_000;
      let records: ReturnType<typeof lib.otlpLogRecords> = [];
      while (records.length === 0) {
        if (existsSync(logsFile)) {
          const exports = readFileSync(logsFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          records = lib.otlpLogRecords(exports).filter((r) => attrsOf(r.record)['caxton.agent'] === 'echo');
        }
        if (records.length === 0 && Date.now() > deadline) assert.fail(`no log record of echo reached ${logsFile}`);
        if (records.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(records.length > 0);
    } finally {
      await node?.stop();
      collector.kill('SIGTERM');
      await collectorExit;
      await jaeger.stop();
    }
  });
});

/** Whether something accepts TCP connections on 127.0.0.1:port. */
async function portListening(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
