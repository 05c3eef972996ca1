/**
 * The real Prometheus that scripts/infra unpacks from Debian's package scrapes a tiny node:http
 * server on loopback every second, serving hand-written exposition text with a counter and a
 * histogram; the HTTP API then answers with the counter's value, the histogram's _count and a
 * quantile computed from its buckets.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type * as Infra from '../../scripts/infra/index.d.mts';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

// Text exposition format 0.0.4, written by hand.
const EXPOSITION = `# HELP ops_test_requests_total Requests served.
# TYPE ops_test_requests_total counter
ops_test_requests_total{path="/a"} 7
ops_test_requests_total{path="/b"} 3
# HELP ops_test_latency_seconds Request latency.
# TYPE ops_test_latency_seconds histogram
ops_test_latency_seconds_bucket{le="0.1"} 2
ops_test_latency_seconds_bucket{le="0.5"} 4
ops_test_latency_seconds_bucket{le="1"} 5
ops_test_latency_seconds_bucket{le="+Inf"} 5
ops_test_latency_seconds_sum 1.7
ops_test_latency_seconds_count 5
`;

type Sample = Infra.PromVectorSample;
const vector = (data: Infra.PromQueryData): Sample[] => (data.resultType === 'vector' ? (data.result as Sample[]) : []);

describe('Prometheus (real, Debian package via scripts/infra)', { timeout: 5 * 60_000 }, () => {
  let server: http.Server;
  let prom: Infra.PrometheusHandle;
  let target: string;
  let scrapes = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(EXPOSITION);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { startPrometheus } = await infra();
    prom = await startPrometheus({ scrapeTargets: [target], scrapeIntervalS: 1 });
  });
  after(async () => {
    const dir = prom?.dataDir;
    await prom?.stop();
    if (dir) assert.equal(existsSync(dir), false, 'stop() deletes the temp TSDB dir');
    await new Promise((resolve) => server?.close(resolve));
  });

  it('is ready on loopback and scrapes the target', async () => {
    assert.match(prom.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const up = await prom.waitFor(`up{instance="${target}"}`, (d) => vector(d)[0]?.value[1] === '1');
    assert.equal(vector(up)[0]!.metric['job'], 'caxton');
    assert.ok(scrapes >= 1);
  });

  it('answers with the counter value', async () => {
    const data = await prom.waitFor('ops_test_requests_total', (d) => vector(d).length === 2);
    const byPath = Object.fromEntries(vector(data).map((s) => [s.metric['path'], s.value[1]]));
    assert.deepEqual(byPath, { '/a': '7', '/b': '3' });
    const sum = vector(await prom.query('sum(ops_test_requests_total)'));
    assert.equal(sum[0]!.value[1], '10');
  });

  it("answers with the histogram's _count, _sum and a quantile from its buckets", async () => {
    const count = await prom.waitFor('ops_test_latency_seconds_count', (d) => vector(d).length === 1);
    assert.equal(vector(count)[0]!.value[1], '5');
    assert.equal(vector(await prom.query('ops_test_latency_seconds_sum'))[0]!.value[1], '1.7');
    // Rank 2.5 of 5 falls in (0.1, 0.5], which holds ranks 3-4: 0.1 + 0.4 × (2.5 - 2) / 2 = 0.2.
    const median = vector(await prom.query('histogram_quantile(0.5, ops_test_latency_seconds_bucket)'));
    assert.ok(Math.abs(Number(median[0]!.value[1]) - 0.2) < 1e-9, `median ${median[0]?.value[1]}`);
  });

  it('refuses bad PromQL with an InfraError', async () => {
    await assert.rejects(prom.query('sum(('), (e: Error & { code?: string }) => e.code === 'infra.prometheus.query-failed');
  });
});
