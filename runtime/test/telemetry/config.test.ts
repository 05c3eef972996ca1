/** Telemetry configuration from flags and OTEL_* variables (runtime/src/telemetry/config.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTelemetry, parseKeyValueList, parseListenAddress, parseTelemetryConfig } from '../../src/telemetry/config.js';
import { TelemetryError } from '../../src/telemetry/errors.js';

const refused =
  (code: string, source: string) =>
  (err: unknown): boolean =>
    err instanceof TelemetryError && err.code === code && String(err.context['source']) === source && err.hint !== undefined;

test('nothing configured: telemetry off, defaults in place', () => {
  const c = parseTelemetryConfig({}, {});
  assert.equal(c.enabled, false);
  assert.equal(c.traces, undefined);
  assert.equal(c.metrics, undefined);
  assert.equal(c.logs, undefined);
  assert.equal(c.prometheus, undefined);
  assert.equal(c.serviceName, 'caxton');
  assert.deepEqual(c.sampler, { root: 'always_on', ratio: 1, parentBased: true });
  assert.equal(c.metricExportIntervalMs, 60_000);
  assert.equal(c.maxAgentLabels, 200);
  assert.equal(c.logFormat, 'text');
  assert.match(describeTelemetry(c)[0]!, /off/);
});

test('OTEL_EXPORTER_OTLP_ENDPOINT is a base: /v1/traces and /v1/metrics are appended; a signal variable is used as is', () => {
  const c = parseTelemetryConfig(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://col:4318/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://metrics.example:4318/custom/path',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=t1',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-tenant=t2',
    },
  );
  assert.equal(c.enabled, true);
  assert.equal(c.traces?.url, 'http://col:4318/v1/traces');
  assert.equal(c.metrics?.url, 'https://metrics.example:4318/custom/path');
  assert.equal(c.logs?.url, 'http://col:4318/v1/logs', 'the same switch exports agent logs (decision 1850)');
  assert.deepEqual(c.logs?.headers, { authorization: 'Bearer abc', 'x-tenant': 't1' });
  assert.deepEqual(c.traces?.headers, { authorization: 'Bearer abc', 'x-tenant': 't1' });
  assert.deepEqual(c.metrics?.headers, { authorization: 'Bearer abc', 'x-tenant': 't2' }, 'the signal headers override the shared ones');
  assert.equal(c.traces?.protocol, 'http/protobuf');
});

test('flags override the environment', () => {
  const c = parseTelemetryConfig(
    { otlpEndpoint: 'http://flag:4318', traceSample: 0.25, metricsAddr: '127.0.0.1:0', metricsMaxAgents: 7, logFormat: 'json' },
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env2:4318/v1/traces',
      OTEL_TRACES_SAMPLER: 'always_off',
    },
  );
  assert.equal(c.traces?.url, 'http://flag:4318/v1/traces');
  assert.equal(c.metrics?.url, 'http://flag:4318/v1/metrics');
  assert.equal(c.logs?.url, 'http://flag:4318/v1/logs');
  assert.deepEqual(c.sampler, { root: 'ratio', ratio: 0.25, parentBased: true });
  assert.deepEqual(c.prometheus, { host: '127.0.0.1', port: 0 });
  assert.equal(c.maxAgentLabels, 7);
  assert.equal(c.logFormat, 'json');
  const lines = describeTelemetry(c, '127.0.0.1:9464').join('\n');
  assert.match(lines, /traces → http:\/\/flag:4318\/v1\/traces .*parent-based ratio 0.25/);
  assert.match(lines, /Prometheus at http:\/\/127\.0\.0\.1:9464\/metrics/);
  assert.match(lines, /agent logs → http:\/\/flag:4318\/v1\/logs \(OTLP http\/protobuf/);
});

test('service name: OTEL_SERVICE_NAME over service.name in OTEL_RESOURCE_ATTRIBUTES over the default', () => {
  assert.equal(parseTelemetryConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=a,deployment.environment=prod' }).serviceName, 'a');
  const c = parseTelemetryConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=a,deployment.environment=prod', OTEL_SERVICE_NAME: 'b' });
  assert.equal(c.serviceName, 'b');
  assert.equal(c.resourceAttributes['deployment.environment'], 'prod');
});

test('samplers from OTEL_TRACES_SAMPLER / _ARG', () => {
  const s = (env: Record<string, string>) => parseTelemetryConfig({}, env).sampler;
  assert.deepEqual(s({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }), {
    root: 'ratio',
    ratio: 0.1,
    parentBased: true,
  });
  assert.deepEqual(s({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }), {
    root: 'ratio',
    ratio: 0.5,
    parentBased: false,
  });
  assert.deepEqual(s({ OTEL_TRACES_SAMPLER: 'always_off' }), { root: 'always_off', ratio: 0, parentBased: false });
  assert.throws(() => s({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), refused('telemetry.invalid-config', 'OTEL_TRACES_SAMPLER'));
  assert.throws(
    () => s({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }),
    refused('telemetry.invalid-config', 'OTEL_TRACES_SAMPLER_ARG'),
  );
  assert.throws(() => parseTelemetryConfig({ traceSample: -0.1 }, {}), refused('telemetry.invalid-config', '--trace-sample'));
});

test('OTEL_SDK_DISABLED=true turns off what the environment configures; explicit flags still apply', () => {
  const env = { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://col:4318' };
  assert.equal(parseTelemetryConfig({}, env).enabled, false);
  const c = parseTelemetryConfig({ metricsAddr: '0.0.0.0:9464' }, env);
  assert.equal(c.enabled, true);
  assert.equal(c.traces, undefined);
  assert.throws(() => parseTelemetryConfig({}, { OTEL_SDK_DISABLED: 'yes' }), refused('telemetry.invalid-config', 'OTEL_SDK_DISABLED'));
});

test('gRPC and http/json are refused with a typed error naming what is supported; nonsense is invalid', () => {
  assert.throws(
    () => parseTelemetryConfig({ otlpProtocol: 'grpc' }, {}),
    (err: unknown) =>
      err instanceof TelemetryError &&
      err.code === 'telemetry.unsupported' &&
      err.kind === 'unimplemented' &&
      /http\/protobuf/.test(err.message),
  );
  assert.throws(
    () => parseTelemetryConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
    refused('telemetry.unsupported', 'OTEL_EXPORTER_OTLP_PROTOCOL'),
  );
  assert.throws(
    () => parseTelemetryConfig({}, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'udp' }),
    refused('telemetry.invalid-config', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
  );
  assert.equal(
    parseTelemetryConfig({ otlpProtocol: 'http/protobuf', otlpEndpoint: 'http://c:4318' }, {}).traces?.protocol,
    'http/protobuf',
  );
});

test('bad endpoints, addresses, intervals, limits and formats are refused with their source named', () => {
  assert.throws(() => parseTelemetryConfig({ otlpEndpoint: 'col:4318' }, {}), refused('telemetry.invalid-config', '--otlp-endpoint'));
  assert.throws(
    () => parseTelemetryConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://col' }),
    refused('telemetry.invalid-config', 'OTEL_EXPORTER_OTLP_ENDPOINT'),
  );
  assert.throws(() => parseTelemetryConfig({ metricsAddr: '9464' }, {}), refused('telemetry.invalid-config', '--metrics-addr'));
  assert.throws(() => parseTelemetryConfig({ metricsAddr: 'h:70000' }, {}), refused('telemetry.invalid-config', '--metrics-addr'));
  assert.throws(
    () => parseTelemetryConfig({}, { OTEL_METRIC_EXPORT_INTERVAL: '5s' }),
    refused('telemetry.invalid-config', 'OTEL_METRIC_EXPORT_INTERVAL'),
  );
  assert.throws(() => parseTelemetryConfig({ metricsMaxAgents: -1 }, {}), refused('telemetry.invalid-config', '--metrics-max-agents'));
  assert.throws(() => parseTelemetryConfig({ logFormat: 'xml' }, {}), refused('telemetry.invalid-config', '--log-format'));
  assert.throws(
    () => parseTelemetryConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'novalue' }),
    refused('telemetry.invalid-config', 'OTEL_RESOURCE_ATTRIBUTES'),
  );
  assert.equal(parseTelemetryConfig({}, { OTEL_METRIC_EXPORT_INTERVAL: '500' }).metricExportIntervalMs, 500);
});

test('key=value lists and listen addresses', () => {
  assert.deepEqual(parseKeyValueList('X', ' a = 1 , b=%3D%2C ,'), { a: '1', b: '=,' });
  assert.deepEqual(parseListenAddress('X', '[::1]:9464'), { host: '::1', port: 9464 });
  assert.deepEqual(parseListenAddress('X', '0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
});

test("the traces exporter's timeout, compression and TLS files: the signal's variable wins, an empty one falls back to the general", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318' };
  const d = parseTelemetryConfig({}, base).traces!;
  assert.equal(d.timeoutMs, 10_000);
  assert.equal(d.compression, 'none');
  assert.deepEqual(d.tls, {});
  const c = parseTelemetryConfig(
    {},
    {
      ...base,
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: '',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/general-ca.pem',
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/etc/traces-ca.pem',
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/etc/client.pem',
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/etc/client.key',
    },
  ).traces!;
  assert.equal(c.timeoutMs, 2500);
  assert.equal(c.compression, 'gzip', 'an empty _TRACES_COMPRESSION falls back to the general variable');
  assert.deepEqual(c.tls, {
    ca: { path: '/etc/traces-ca.pem', source: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE' },
    cert: { path: '/etc/client.pem', source: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE' },
    key: { path: '/etc/client.key', source: 'OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY' },
  });
  assert.equal(
    parseTelemetryConfig({}, { ...base, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }).traces!
      .compression,
    'none',
  );
  const line = describeTelemetry(
    parseTelemetryConfig({}, { ...base, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem' }),
  )[0]!;
  assert.match(line, /OTLP http\/protobuf, gzip, CA from \/ca.pem, sampler/);
  // OTEL_SDK_DISABLED: nothing of it is read (not even a bad value).
  assert.equal(parseTelemetryConfig({}, { ...base, OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }).traces, undefined);
});

test('a bad traces compression or timeout, or a client certificate without its key, is refused at start', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  assert.throws(
    () => parseTelemetryConfig({}, { ...base, OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'zstd' }),
    refused('telemetry.invalid-config', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION'),
  );
  assert.throws(
    () => parseTelemetryConfig({}, { ...base, OTEL_EXPORTER_OTLP_COMPRESSION: 'GZIP' }),
    refused('telemetry.invalid-config', 'OTEL_EXPORTER_OTLP_COMPRESSION'),
  );
  for (const bad of ['0', '-5', 'soon'])
    assert.throws(
      () => parseTelemetryConfig({}, { ...base, OTEL_EXPORTER_OTLP_TIMEOUT: bad }),
      refused('telemetry.invalid-config', 'OTEL_EXPORTER_OTLP_TIMEOUT'),
    );
  assert.throws(
    () => parseTelemetryConfig({}, { ...base, OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: '/c.pem' }),
    refused('telemetry.invalid-config', 'OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE'),
  );
});
