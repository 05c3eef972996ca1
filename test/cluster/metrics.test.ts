/**
 * Cluster-mode metrics and log spans (decision 1301) on one in-process node against the real
 * Kafka and etcd `npm test` started: Kafka produce latency (which is also the bus's append latency
 * and group size there), the consumer lag of each partition the node consumes, etcd request latency
 * by operation and the membership lease gauge; with a tracer, a produce span per request and a
 * consume span per batch linked to the context of the messages it carried. Names through the
 * Prometheus exporter's serializer, as a scrape shows them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TestNode } from '../bus/support/test-node.js';
import { TestMetrics, metricNames, total } from '../bus/support/metrics-reader.js';
import { servers, type Servers } from './support/servers.js';
import { waitFor } from './support/cluster.js';

const telemetry = new TestMetrics();
const spans = new InMemorySpanExporter();
const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
let infra: Servers;
let t: TestNode;

before(async () => {
  telemetry.register();
  trace.setGlobalTracerProvider(tracing);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  infra = await servers();
  t = await TestNode.start({
    kafka: { brokers: [infra.kafka] },
    etcd: { endpoints: [infra.etcd] },
    cluster: { name: `metrics-${randomBytes(3).toString('hex')}`, partitions: 4 },
    api: true,
    apiPort: 0,
  });
  await t.deploy('echo', 'as-echo');
});

after(async () => {
  await t?.dispose();
  await infra?.stop();
  await telemetry.shutdown();
  await tracing.shutdown();
  trace.disable();
  propagation.disable();
});

test('Kafka produce latency, consumer lag, etcd requests and the lease are measured', async () => {
  // Placement activates echo after the node joined: wait until it runs here.
  await waitFor('echo to be placed here', async () => (await t.control.getAgent('echo'))?.state === 'running', 30_000);
  for (let i = 0; i < 10; i++) await t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: `k${i}` });
  await t.waitFor(
    'echo to handle all ten',
    () => t.handled.filter((h) => h.agent === 'echo' && h.outcome.status === 'ok').length >= 10,
    30_000,
  );
  await t.settle();

  const s = await telemetry.samples();
  const produced = total(s, 'caxton_kafka_produce_duration_seconds_count');
  assert.ok(produced >= 1, 'produce requests were timed');
  assert.equal(total(s, 'caxton_bus_append_duration_seconds_count'), produced, 'in a cluster an append is a produce');
  assert.ok(total(s, 'caxton_bus_group_commit_size_sum') >= 10, 'every sent message was in some produce request');
  const lags = s.filter((x) => x.name === 'caxton_kafka_consumer_lag');
  assert.ok(lags.length >= 1, 'the lag of a consumed partition is reported');
  for (const l of lags) assert.ok(Number.isInteger(Number(l.labels['partition'])) && l.value >= 0, JSON.stringify(l));
  assert.ok(total(s, 'caxton_etcd_request_duration_seconds_count', { op: 'put' }) >= 1, 'the deployment was stored');
  assert.ok(total(s, 'caxton_etcd_request_duration_seconds_count', { op: 'lease-grant' }) >= 1, 'the membership lease was granted');
  const ops = new Set(s.filter((x) => x.name === 'caxton_etcd_request_duration_seconds_count').map((x) => x.labels['op']));
  assert.ok(!ops.has('other'), `every etcd call has a known op: ${[...ops].join(', ')}`);
  assert.equal(total(s, 'caxton_etcd_lease_up'), 1);
  const names = metricNames(s);
  for (const n of [
    'caxton_kafka_produce_duration_seconds',
    'caxton_kafka_consumer_lag',
    'caxton_etcd_request_duration_seconds',
    'caxton_etcd_lease_up',
  ]) {
    assert.ok(names.has(n), n);
  }
});

test('produce and consume spans: the consumed batch links to the traced message', async () => {
  spans.reset();
  const root = trace.getTracer('test').startSpan('operator');
  const traceparent = `00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`;
  const sent = await t.send({
    performative: 'request',
    receivers: [{ name: 'echo' }],
    content: 'traced',
    userParams: { 'X-traceparent': traceparent },
  });
  root.end();
  await t.waitFor('echo to handle it', () => t.handled.some((h) => h.messageId === sent.messageId), 30_000);
  await t.settle();
  const finished = spans.getFinishedSpans();
  assert.ok(
    finished.some((x) => x.name === 'kafka produce' && Number(x.attributes['caxton.records']) >= 1),
    finished.map((x) => x.name).join(', '),
  );
  const send = finished.find((x) => x.name === 'send request' && x.spanContext().traceId === root.spanContext().traceId);
  assert.ok(send, "the send continues the message's trace");
  const consume = finished.find(
    (x) => x.name.startsWith('kafka consume') && x.links.some((l) => l.context.spanId === send.spanContext().spanId),
  );
  assert.ok(consume, `a consume span links to the message's send span (${finished.map((x) => `${x.name}[${x.links.length}]`).join(', ')})`);
  assert.ok(Number.isInteger(Number(consume.attributes['messaging.destination.partition.id'])));
});
