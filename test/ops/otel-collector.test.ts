/**
 * The real OpenTelemetry Collector that scripts/infra builds (ocb, from the Go module proxy, cached)
 * receives OTLP the three ways an SDK sends it: OTLP/HTTP with JSON (one trace and one metrics
 * export, plus logs), OTLP/HTTP with protobuf (the SDK's default) and OTLP/gRPC; and everything it
 * received is read back from its file exporter's JSON lines. The protobuf messages are encoded by
 * hand here (the tests may use node: builtins only), field numbers from opentelemetry-proto.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http2 from 'node:http2';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type * as Infra from '../../scripts/infra/index.d.mts';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const nowNs = (): string => `${BigInt(Date.now()) * 1_000_000n}`;
const attr = (key: string, value: string): object => ({ key, value: { stringValue: value } });
type Attrs = Array<{ key: string; value: { stringValue?: string } }>;
const attrOf = (attrs: Attrs | undefined, key: string): string | undefined => attrs?.find((a) => a.key === key)?.value.stringValue;

async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

// --- a minimal protobuf writer: varints, length-delimited fields, fixed64 --------------------------
function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const tag = (field: number, wire: number): Buffer => varint((field << 3) | wire);
const bytesField = (field: number, value: Buffer): Buffer => Buffer.concat([tag(field, 2), varint(value.length), value]);
const stringField = (field: number, value: string): Buffer => bytesField(field, Buffer.from(value, 'utf8'));
const varintField = (field: number, value: number): Buffer => Buffer.concat([tag(field, 0), varint(value)]);
function fixed64Field(field: number, value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return Buffer.concat([tag(field, 1), b]);
}

/** opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest with one span. */
function traceRequestProto(traceId: string, spanId: string, name: string, service: string): Buffer {
  const keyValue = (k: string, v: string): Buffer => Buffer.concat([stringField(1, k), bytesField(2, stringField(1, v))]); // KeyValue{key, AnyValue{string_value}}
  const resource = bytesField(1, keyValue('service.name', service)); // Resource.attributes = 1
  const start = BigInt(Date.now()) * 1_000_000n;
  const span = Buffer.concat([
    bytesField(1, Buffer.from(traceId, 'hex')), // trace_id
    bytesField(2, Buffer.from(spanId, 'hex')), // span_id
    stringField(5, name), // name
    varintField(6, 2), // kind = SPAN_KIND_SERVER
    fixed64Field(7, start), // start_time_unix_nano
    fixed64Field(8, start + 1_000_000n), // end_time_unix_nano
  ]);
  const scopeSpans = Buffer.concat([bytesField(1, stringField(1, 'caxton-ops-test')), bytesField(2, span)]); // scope, spans
  const resourceSpans = Buffer.concat([bytesField(1, resource), bytesField(2, scopeSpans)]); // resource, scope_spans
  return bytesField(1, resourceSpans); // resource_spans
}

// The first run builds the collector (~2.5 min cold on 2 cores); then each test takes well under a second.
describe('OpenTelemetry Collector (real, from scripts/infra)', { timeout: 15 * 60_000 }, () => {
  let col: Infra.OtelCollectorHandle;
  let lib: typeof Infra;

  before(async () => {
    lib = await infra();
    col = await lib.startOtelCollector();
  });
  after(async () => {
    if (!col) return;
    const dir = col.dataDir;
    await col.stop();
    assert.equal(existsSync(dir), false, 'stop() deletes the temp dir');
  });

  it('listens on loopback and writes nothing before the first export', async () => {
    assert.match(col.otlpHttpEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(col.otlpGrpcEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(col.otlpHttpEndpoint, col.otlpGrpcEndpoint);
    assert.deepEqual(await col.readTraces(), []);
  });

  it('an OTLP/HTTP JSON trace export comes back from the traces file', async () => {
    const traceId = hex(16);
    const spanId = hex(8);
    const r = await postJson(`${col.otlpHttpEndpoint}/v1/traces`, {
      resourceSpans: [
        {
          resource: { attributes: [attr('service.name', 'caxton'), attr('service.instance.id', 'n1')] },
          scopeSpans: [
            {
              scope: { name: 'caxton-ops-test', version: '1' },
              spans: [
                {
                  traceId,
                  spanId,
                  name: 'deliver echo@caxton',
                  kind: 4,
                  startTimeUnixNano: nowNs(),
                  endTimeUnixNano: nowNs(),
                  attributes: [attr('caxton.agent', 'echo'), attr('fipa.performative', 'request')],
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const exports = await col.waitFor('traces', (reqs) => lib.otlpSpans(reqs).some((s) => s.span['traceId'] === traceId));
    const found = lib.otlpSpans(exports).find((s) => s.span['traceId'] === traceId)!;
    assert.equal(found.span['spanId'], spanId);
    assert.equal(found.span['name'], 'deliver echo@caxton');
    assert.equal(found.span['kind'], 4);
    assert.equal(attrOf(found.span['attributes'] as Attrs, 'caxton.agent'), 'echo');
    assert.equal(attrOf(found.resource['attributes'] as Attrs, 'service.name'), 'caxton');
    assert.equal(found.scope['name'], 'caxton-ops-test');
    assert.deepEqual(await col.readTraces(), exports, 'readTraces reads the same file');
  });

  it('an OTLP/HTTP JSON metrics export (a counter and a histogram) comes back from the metrics file', async () => {
    const run = hex(4);
    const t = nowNs();
    const r = await postJson(`${col.otlpHttpEndpoint}/v1/metrics`, {
      resourceMetrics: [
        {
          resource: { attributes: [attr('service.name', 'caxton'), attr('caxton.test.run', run)] },
          scopeMetrics: [
            {
              scope: { name: 'caxton-ops-test' },
              metrics: [
                {
                  name: 'caxton.agent.messages_handled',
                  unit: '{message}',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      { asInt: '42', startTimeUnixNano: t, timeUnixNano: t, attributes: [attr('agent', 'echo'), attr('outcome', 'ok')] },
                    ],
                  },
                },
                {
                  name: 'caxton.agent.handle_duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        startTimeUnixNano: t,
                        timeUnixNano: t,
                        count: '3',
                        sum: 0.006,
                        bucketCounts: ['1', '2', '0'],
                        explicitBounds: [0.001, 0.01],
                        attributes: [attr('agent', 'echo')],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const mine = (reqs: Infra.OtlpExport[]): ReturnType<typeof lib.otlpMetrics> =>
      lib.otlpMetrics(reqs).filter((m) => attrOf(m.resource['attributes'] as Attrs, 'caxton.test.run') === run);
    const exports = await col.waitFor('metrics', (reqs) => mine(reqs).length === 2);
    const [counter, histogram] = mine(exports);
    assert.equal(counter!.metric['name'], 'caxton.agent.messages_handled');
    assert.equal(counter!.metric['sum'].isMonotonic, true);
    assert.equal(counter!.metric['sum'].dataPoints[0].asInt, '42'); // int64 as a JSON string, per OTLP/JSON
    assert.equal(histogram!.metric['name'], 'caxton.agent.handle_duration');
    assert.equal(histogram!.metric['histogram'].dataPoints[0].count, '3');
    assert.deepEqual(histogram!.metric['histogram'].dataPoints[0].bucketCounts, ['1', '2', '0']);
    assert.deepEqual(await col.readMetrics(), exports);
  });

  it('an OTLP/HTTP JSON logs export comes back from the logs file', async () => {
    const body = `agent echo restarted ${hex(4)}`;
    const r = await postJson(`${col.otlpHttpEndpoint}/v1/logs`, {
      resourceLogs: [
        {
          resource: { attributes: [attr('service.name', 'caxton')] },
          scopeLogs: [
            {
              scope: { name: 'caxton-ops-test' },
              logRecords: [{ timeUnixNano: nowNs(), severityNumber: 13, severityText: 'WARN', body: { stringValue: body } }],
            },
          ],
        },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const exports = await col.waitFor('logs', (reqs) => lib.otlpLogRecords(reqs).some((l) => l.record['body']?.stringValue === body));
    const rec = lib.otlpLogRecords(exports).find((l) => l.record['body']?.stringValue === body)!;
    assert.equal(rec.record['severityText'], 'WARN');
  });

  it('an OTLP/HTTP protobuf export (the SDK default) arrives too', async () => {
    const traceId = hex(16);
    const spanId = hex(8);
    const res = await fetch(`${col.otlpHttpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: traceRequestProto(traceId, spanId, 'protobuf span', 'caxton-proto'),
    });
    assert.equal(res.status, 200, await res.text());
    const exports = await col.waitFor('traces', (reqs) => lib.otlpSpans(reqs).some((s) => s.span['traceId'] === traceId));
    const found = lib.otlpSpans(exports).find((s) => s.span['traceId'] === traceId)!;
    assert.equal(found.span['spanId'], spanId);
    assert.equal(found.span['name'], 'protobuf span');
    assert.equal(found.span['kind'], 2);
    assert.equal(attrOf(found.resource['attributes'] as Attrs, 'service.name'), 'caxton-proto');
  });

  it('an OTLP/gRPC export arrives on the gRPC endpoint', { timeout: 30_000 }, async () => {
    const traceId = hex(16);
    const message = traceRequestProto(traceId, hex(8), 'grpc span', 'caxton-grpc');
    const frame = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), message]); // uncompressed flag, length, message
    frame.writeUInt32BE(message.length, 1);
    const session = http2.connect(col.otlpGrpcEndpoint);
    try {
      const status = await new Promise<string | undefined>((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let grpcStatus: string | undefined;
        req.on('response', (h) => {
          if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
        });
        req.on('trailers', (t) => {
          grpcStatus = String(t['grpc-status']);
        });
        req.on('data', () => {
          /* an empty ExportTraceServiceResponse */
        });
        req.on('end', () => resolve(grpcStatus));
        req.on('error', reject);
        req.end(frame);
      });
      assert.equal(status, '0', 'grpc-status OK');
    } finally {
      session.close();
    }
    const exports = await col.waitFor('traces', (reqs) => lib.otlpSpans(reqs).some((s) => s.span['traceId'] === traceId));
    const found = lib.otlpSpans(exports).find((s) => s.span['traceId'] === traceId)!;
    assert.equal(found.span['name'], 'grpc span');
  });

  it('refuses what is not OTLP, and says so', async () => {
    const res = await fetch(`${col.otlpHttpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans": 7}',
    });
    assert.equal(res.status, 400);
    await assert.rejects(
      col.waitFor('traces', () => false, { timeoutMs: 300 }),
      (e: Error & { code?: string }) => e.code === 'infra.otelcol.wait-timeout',
    );
  });
});
