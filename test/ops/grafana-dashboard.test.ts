/**
 * deploy/grafana/caxton-dashboard.json against a real Prometheus: a node:http server on loopback
 * serves every metric the runtime will export (names and labels as agreed in deploy/k8s/README.md,
 * with node and cluster labels, counters growing at each scrape), Prometheus scrapes it every
 * second, and every query of every panel and template variable, with Grafana's variables replaced
 * as Grafana would ("All" and a 1 m rate interval), must parse and return finite data. The dashboard
 * must use exactly the agreed metric names, no more, no fewer.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as Infra from '../../scripts/infra/index.d.mts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

type Kind = 'counter' | 'gauge' | 'histogram';
/** The metrics the runtime will export (deploy/k8s/README.md); every series also has node and cluster. */
const METRICS: Array<[string, Kind, Record<string, string[]>]> = [
  ['caxton_agent_messages_handled_total', 'counter', { agent: ['echo', 'counter'], outcome: ['ok', 'rejected', 'crashed'] }],
  ['caxton_agent_handle_duration_seconds', 'histogram', { agent: ['echo', 'counter'] }],
  ['caxton_agent_fuel_used_total', 'counter', { agent: ['echo', 'counter'] }],
  ['caxton_agent_memory_bytes', 'gauge', { agent: ['echo', 'counter'] }],
  ['caxton_agent_messages_sent_total', 'counter', { agent: ['echo', 'counter'] }],
  ['caxton_agent_sent_bytes_total', 'counter', { agent: ['echo', 'counter'] }],
  ['caxton_agent_state_written_bytes_total', 'counter', { agent: ['counter'] }],
  ['caxton_agent_http_requests_started_total', 'counter', { agent: ['echo'] }],
  ['caxton_agent_crashes_total', 'counter', { agent: ['echo'], kind: ['trap', 'out-of-fuel'] }],
  ['caxton_agent_restarts_total', 'counter', { agent: ['echo'] }],
  ['caxton_agent_mailbox_depth', 'gauge', { agent: ['echo', 'counter'] }],
  ['caxton_agent_timers_pending', 'gauge', { agent: ['echo', 'counter'] }],
  ['caxton_agent_quota_refusals_total', 'counter', { agent: ['echo'], quota: ['sendsPerSecond'] }],
  ['caxton_bus_append_duration_seconds', 'histogram', {}],
  ['caxton_bus_group_commit_size', 'histogram', {}],
  ['caxton_bus_log_bytes', 'gauge', {}],
  ['caxton_bus_dead_letters_total', 'counter', {}],
  ['caxton_bus_redeliveries_total', 'counter', {}],
  ['caxton_bus_absent_queued', 'gauge', {}],
  ['caxton_kafka_produce_duration_seconds', 'histogram', {}],
  ['caxton_kafka_consumer_lag', 'gauge', { partition: ['0', '1'] }],
  ['caxton_etcd_request_duration_seconds', 'histogram', { op: ['put', 'range', 'lease-keepalive'] }],
  ['caxton_etcd_lease_up', 'gauge', {}],
  ['caxton_api_calls_total', 'counter', { method: ['ListAgents', 'SendMessage'], code: ['OK', 'UNAVAILABLE'] }],
  ['caxton_api_call_duration_seconds', 'histogram', { method: ['ListAgents', 'SendMessage'] }],
  ['caxton_telemetry_dropped_total', 'counter', { signal: ['traces', 'metrics', 'logs'] }],
];
const NODES = ['caxton-0', 'caxton-1'];

/** Every combination of label values, with node and cluster. */
function labelSets(labels: Record<string, string[]>): Array<Record<string, string>> {
  let sets: Array<Record<string, string>> = NODES.map((node) => ({ node, cluster: 'prod' }));
  for (const [name, values] of Object.entries(labels)) sets = sets.flatMap((s) => values.map((v) => ({ ...s, [name]: v })));
  return sets;
}
const fmt = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Exposition text at the n-th scrape: counters and histograms grow, so rates and quantiles exist. */
function exposition(n: number): string {
  const out: string[] = [];
  for (const [name, kind, labels] of METRICS) {
    out.push(`# TYPE ${name} ${kind}`);
    labelSets(labels).forEach((l, i) => {
      if (kind === 'counter') out.push(`${name}${fmt(l)} ${n * (i + 1)}`);
      else if (kind === 'gauge') out.push(`${name}${fmt(l)} ${name === 'caxton_etcd_lease_up' ? 1 : 10 + i + n}`);
      else {
        const buckets: Array<[string, number]> = [
          ['0.001', n],
          ['0.01', 2 * n],
          ['0.1', 3 * n],
          ['+Inf', 3 * n],
        ];
        for (const [le, c] of buckets) out.push(`${name}_bucket${fmt({ ...l, le })} ${c}`);
        out.push(`${name}_sum${fmt(l)} ${(n * 0.02).toFixed(3)}`, `${name}_count${fmt(l)} ${3 * n}`);
      }
    });
  }
  return `${out.join('\n')}\n`;
}

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  datasource?: { uid: string };
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

/** What Grafana sends for "All" of every variable and a 1 m $__rate_interval. */
const expand = (expr: string): string => expr.replaceAll('$__rate_interval', '1m').replace(/\$(cluster|node|agent)\b/g, '.*');

const SUFFIXES = /_(bucket|sum|count)$/;
const histogramBase = (m: string): string =>
  METRICS.some(([n, k]) => k === 'histogram' && n === m.replace(SUFFIXES, '')) ? m.replace(SUFFIXES, '') : m;

describe('Grafana dashboard deploy/grafana/caxton-dashboard.json', { timeout: 5 * 60_000 }, () => {
  let dash: Dashboard;
  let server: http.Server;
  let prom: Infra.PrometheusHandle;
  let scrapes = 0;

  before(async () => {
    dash = JSON.parse(await readFile(path.join(ROOT, 'deploy', 'grafana', 'caxton-dashboard.json'), 'utf8')) as Dashboard;
    server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(++scrapes));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { startPrometheus } = await infra();
    prom = await startPrometheus({ scrapeTargets: [`127.0.0.1:${(server.address() as AddressInfo).port}`], scrapeIntervalS: 1 });
  });
  after(async () => {
    await prom?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  const panels = (): Panel[] => dash.panels.filter((p) => p.type !== 'row');
  const exprs = (): string[] => panels().flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('is a well-formed dashboard: unique ids, every panel queried through the datasource variable, no overlaps', () => {
    assert.equal(dash.uid, 'caxton-overview');
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of panels()) {
      assert.ok((p.targets ?? []).length > 0 && p.targets!.every((t) => t.expr.trim() !== ''), `${p.title} has queries`);
      assert.equal(p.datasource?.uid, '${datasource}', `${p.title} uses the datasource variable`);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits in 24 columns`);
    }
    const cells = new Set<string>();
    for (const p of dash.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.equal(cells.has(`${x},${y}`), false, `${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
    assert.deepEqual(
      dash.templating.list.map((v) => v.name),
      ['datasource', 'cluster', 'node', 'agent'],
    );
  });

  it('uses exactly the agreed metric names', () => {
    const used = new Set(
      exprs()
        .flatMap((e) => e.match(/\bcaxton_[a-z_]+/g) ?? [])
        .map(histogramBase),
    );
    assert.deepEqual([...used].sort(), METRICS.map(([n]) => n).sort());
  });

  it('every panel query parses in real Prometheus and returns finite data', async () => {
    // Rates need two samples in the window, and the counters must have grown between them.
    await prom.waitFor('count_over_time(up[1m])', (d) => Number((d.result as Infra.PromVectorSample[])[0]?.value[1] ?? 0) >= 3, {
      timeoutMs: 20_000,
    });
    for (const p of panels()) {
      for (const t of p.targets!) {
        const data = await prom.query(expand(t.expr));
        assert.equal(data.resultType, 'vector', `${p.title} ${t.refId}`);
        const values = (data.result as Infra.PromVectorSample[]).map((s) => Number(s.value[1]));
        assert.ok(values.length > 0, `${p.title} ${t.refId} returns series: ${expand(t.expr)}`);
        assert.ok(
          values.some((v) => Number.isFinite(v)),
          `${p.title} ${t.refId} returns finite values: ${values.join(', ')}`,
        );
      }
    }
  });

  it("every template variable's label_values() finds values", async () => {
    for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      const m = /^label_values\((.+),\s*([a-z_]+)\)$/.exec(q);
      assert.ok(m, `${v.name}: ${q} is label_values(selector, label)`);
      const res = await fetch(`${prom.url}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(expand(m[1]!))}`);
      const body = (await res.json()) as { status: string; data: string[] };
      assert.equal(body.status, 'success');
      assert.ok(body.data.length > 0, `${v.name} has values`);
    }
  });
});
