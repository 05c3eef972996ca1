/**
 * startTelemetry with the Prometheus endpoint (a real node:http server on loopback, port 0): every
 * series carries node and cluster, target_info carries the resource, the drop counter is there at
 * zero, other paths are 404; a port in use, or a trace certificate file that cannot be read, is a
 * typed error; shutdown unregisters the SDK so the next start in the same process works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { parseTelemetryConfig } from '../../src/telemetry/config.js';
import { startTelemetry } from '../../src/telemetry/start-telemetry.js';
import { TelemetryError } from '../../src/telemetry/errors.js';
import { withConstantLabels } from '../../src/telemetry/constant-labels.js';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { producedHandleDurations } from '../../src/telemetry/meters.js';

const node = { nodeId: 'n9', cluster: 'prod', version: '0.1.0' };

test('the scrape: node and cluster on every series, target_info, the drop counter at 0, 404 elsewhere', async () => {
  const t = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, { OTEL_RESOURCE_ATTRIBUTES: 'region=eu' }), node);
  try {
    metrics.getMeter('t').createCounter('caxton.test.things').add(2, { agent: 'a' });
    const res = await fetch(`http://${t.prometheusAddress}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^caxton_test_things_total\{node="n9",cluster="prod",agent="a",otel_scope_name="t"\} 2$/m);
    assert.match(
      text,
      /^caxton_telemetry_dropped_total\{node="n9",cluster="prod",signal="traces",reason="queue_full",otel_scope_name="caxton.telemetry"\} 0$/m,
    );
    assert.match(text, /^target_info\{region="eu",.*service_instance_id="n9",caxton_node_id="n9",caxton_cluster="prod"\} 1$/m);
    assert.equal((await fetch(`http://${t.prometheusAddress}/other`)).status, 404);
    assert.deepEqual(t.describe(), [
      'telemetry: traces not exported',
      `telemetry: metrics → Prometheus at http://${t.prometheusAddress}/metrics`,
    ]);
  } finally {
    await t.shutdown();
  }
  // Unregistered: a second start in the same process registers again.
  const again = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node);
  await again.shutdown();
});

test("handle durations go through the node's producer: the scrape shows the histogram as the SDK's did (decision 2200)", async () => {
  const t = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node);
  try {
    const produced = producedHandleDurations();
    assert.ok(produced !== undefined, 'the registered provider has the producer');
    const s = produced.seriesOf('echo', { agent: 'echo' });
    s.record(0.0003);
    s.record(0.002);
    const text = await (await fetch(`http://${t.prometheusAddress}/metrics`)).text();
    const labels = 'node="n9",cluster="prod",agent="echo",otel_scope_name="caxton.runtime",otel_scope_version="0.1.0"';
    assert.match(text, /^# TYPE caxton_agent_handle_duration_seconds histogram$/m);
    assert.match(text, new RegExp(`^caxton_agent_handle_duration_seconds_count\\{${labels}\\} 2$`, 'm'));
    assert.match(text, new RegExp(`^caxton_agent_handle_duration_seconds_bucket\\{${labels},le="0.00025"\\} 0$`, 'm'));
    assert.match(text, new RegExp(`^caxton_agent_handle_duration_seconds_bucket\\{${labels},le="0.0005"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^caxton_agent_handle_duration_seconds_bucket\\{${labels},le="\\+Inf"\\} 2$`, 'm'));
  } finally {
    await t.shutdown();
  }
  assert.equal(producedHandleDurations(), undefined, 'nothing registered after shutdown');
});

test('an OTLP exporter asked for delta temporality keeps the SDK histogram (the producer is cumulative only)', async () => {
  const key = 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE';
  const before = process.env[key];
  process.env[key] = 'delta';
  try {
    // Nothing listens on port 1: no export is waited for (the interval is an hour, shutdown's flush fails at once).
    const t = await startTelemetry(
      parseTelemetryConfig({ otlpEndpoint: 'http://127.0.0.1:1' }, { OTEL_METRIC_EXPORT_INTERVAL: '3600000' }),
      node,
    );
    try {
      assert.equal(producedHandleDurations(), undefined);
    } finally {
      await t.shutdown(500);
    }
  } finally {
    if (before === undefined) delete process.env[key];
    else process.env[key] = before;
  }
  const t = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node);
  try {
    assert.ok(producedHandleDurations() !== undefined, 'cumulative (the default): the producer');
  } finally {
    await t.shutdown();
  }
});

test('a port in use is a typed error with a hint, and nothing stays registered', async () => {
  const busy = http.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as AddressInfo).port;
  try {
    await assert.rejects(
      startTelemetry(parseTelemetryConfig({ metricsAddr: `127.0.0.1:${port}` }, {}), node),
      (err: unknown) =>
        err instanceof TelemetryError &&
        err.code === 'telemetry.listen-failed' &&
        /EADDRINUSE/.test(err.message) &&
        /--metrics-addr/.test(err.hint ?? ''),
    );
    const t = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node);
    await t.shutdown();
  } finally {
    busy.close();
  }
});

test('a second SDK in the same process is refused while the first runs', async () => {
  const t = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node);
  try {
    await assert.rejects(
      startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node),
      (err: unknown) => err instanceof TelemetryError && err.code === 'telemetry.already-registered',
    );
  } finally {
    await t.shutdown();
  }
});

test('a trace certificate file that cannot be read stops the start (telemetry.invalid-config), and nothing stays registered', async () => {
  const config = parseTelemetryConfig(
    { otlpEndpoint: 'https://127.0.0.1:9', metricsAddr: '127.0.0.1:0' },
    { OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/nonexistent/caxton-ca.pem' },
  );
  await assert.rejects(
    startTelemetry(config, node),
    (err: unknown) =>
      err instanceof TelemetryError &&
      err.code === 'telemetry.invalid-config' &&
      err.context['source'] === 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE' &&
      err.hint !== undefined,
  );
  const t = await startTelemetry(parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}), node);
  await t.shutdown();
});

test('shutdown with an unreachable collector returns within its bound', async () => {
  // A port nothing listens on: exports fail (and are counted), shutdown does not hang.
  const t = await startTelemetry(
    parseTelemetryConfig({ otlpEndpoint: 'http://127.0.0.1:9' }, { OTEL_METRIC_EXPORT_INTERVAL: '100' }),
    node,
  );
  const started = performance.now();
  await t.shutdown(500);
  assert.ok(performance.now() - started < 2500, `shutdown took ${(performance.now() - started).toFixed(0)} ms`);
});

test('withConstantLabels copies, and a data point keeps its own value of a label', () => {
  const rm = {
    resource: {} as ResourceMetrics['resource'],
    scopeMetrics: [
      {
        scope: { name: 's' },
        metrics: [
          {
            descriptor: { name: 'm' },
            dataPoints: [
              { attributes: { node: 'own', a: '1' }, value: 1 },
              { attributes: {}, value: 2 },
            ],
          },
        ],
      },
    ],
  } as unknown as ResourceMetrics;
  const out = withConstantLabels(rm, { node: 'n1', cluster: 'c' });
  const points = out.scopeMetrics[0]!.metrics[0]!.dataPoints as Array<{ attributes: Record<string, string> }>;
  assert.deepEqual(
    points.map((p) => p.attributes),
    [
      { node: 'own', cluster: 'c', a: '1' },
      { node: 'n1', cluster: 'c' },
    ],
  );
  assert.deepEqual((rm.scopeMetrics[0]!.metrics[0]!.dataPoints[1] as { attributes: object }).attributes, {}, 'the input is not changed');
});
