/**
 * The OTLP exporters are imported when the config exports a signal (decision 2138): one that
 * cannot be loaded fails the start with a typed error naming the library and what to do, not a
 * bare module-not-found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOtlpExporter } from '../../src/telemetry/load-otlp-exporter.js';
import { TelemetryError } from '../../src/telemetry/errors.js';

test('a loaded exporter library is returned as the import gave it', async () => {
  const library = { OTLPMetricExporter: class {} };
  assert.equal(await loadOtlpExporter('metrics', '@opentelemetry/exporter-metrics-otlp-proto', async () => library), library);
});

test('an exporter library that cannot be loaded is a TelemetryError naming it, with a hint', async () => {
  const missing = Object.assign(new Error("Cannot find package '@opentelemetry/exporter-logs-otlp-proto'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  await assert.rejects(
    loadOtlpExporter('logs', '@opentelemetry/exporter-logs-otlp-proto', () => Promise.reject(missing)),
    (err: unknown) => {
      assert.ok(err instanceof TelemetryError);
      assert.equal(err.code, 'telemetry.unsupported');
      assert.match(err.message, /OTLP logs exporter could not be loaded: Cannot find package/);
      assert.match(err.hint ?? '', /@opentelemetry\/exporter-logs-otlp-proto.*npm ci.*without OTLP logs export/);
      assert.equal(err.cause, missing);
      return true;
    },
  );
});

test('the real exporters load through it (what startTelemetry imports)', async () => {
  const { OTLPMetricExporter } = await loadOtlpExporter(
    'metrics',
    '@opentelemetry/exporter-metrics-otlp-proto',
    () => import('@opentelemetry/exporter-metrics-otlp-proto'),
  );
  assert.equal(typeof OTLPMetricExporter, 'function');
});
