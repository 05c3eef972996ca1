/**
 * Telemetry leaving a node (issue 13, decision 1300), with real receivers: `caxton serve` in its own
 * process, exactly as an operator runs it, with --otlp-endpoint pointing at the real OpenTelemetry
 * Collector (scripts/infra) and --metrics-addr scraped by a real Prometheus (Debian's). A contract
 * net (the JS initiator and three AssemblyScript contractors) runs one conversation; then:
 *  - the collector holds its spans: the operator's request, the cfp each contractor handled, their
 *    proposals, the accept and rejects and the winner's inform, all in ONE trace, across agents,
 *    each span carrying the node's resource (service.name, service.instance.id = node id, …);
 *  - the collector holds metrics from the node's OTLP metric export;
 *  - Prometheus, scraping the node, answers a query for a caxton_ metric;
 *  - with --log-format json every line the node wrote is a JSON object naming the node, and the
 *    initiator's own log line (written while it handled a message of the conversation) carries
 *    that conversation's trace id;
 *  - the collector holds that same line as an OTLP log record (decision 1850): the agent's name,
 *    its severity and body, the node's resource, and the trace and span ids of the handle span
 *    that wrote it — the span the collector received in the conversation's trace;
 *  - the node's own lines (its notes, "serving the API on …") reach the collector as log records
 *    too, under their own scope (caxton.node.logs), never mixed with the agents'.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { MessageEvent } from '@caxton/core';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { example } from '../cluster/support/paths.js';
import { ServeProcess } from './support/serve-process.js';
import { attrsOf, spansOfTrace, waitForConversationTrace, type FoundSpan } from './support/otlp.js';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;
const local = (name: string | undefined): string => (name ?? '').replace(/@caxton$/, '');

const NODE_ID = 'ops-telemetry-n1';
const PRICES: Record<string, string> = { c1: '40', c2: '25', c3: '70' };

describe('telemetry export from caxton serve (real collector and Prometheus)', { timeout: 10 * 60_000 }, () => {
  let lib: typeof Infra;
  let col: Infra.OtelCollectorHandle;
  let prom: Infra.PrometheusHandle | undefined;
  let node: ServeProcess;
  const seen: MessageEvent[] = [];
  let sendTrace = '';

  before(async () => {
    lib = await infra();
    col = await lib.startOtelCollector();
    node = ServeProcess.start(
      ['--node-id', NODE_ID, '--otlp-endpoint', col.otlpHttpEndpoint, '--metrics-addr', '127.0.0.1:0', '--log-format', 'json'],
      { OTEL_METRIC_EXPORT_INTERVAL: '500', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ops-test' },
    );
    await node.ready();
    const api = await node.api();
    api.tail({}, (e) => seen.push(e));
    const contractor = readFileSync(example('contract-net/as-contractor', 'cnet-contractor.wasm'));
    for (const [name, price] of Object.entries(PRICES)) await api.deploy({ name, config: { price } }, contractor);
    await api.deploy(
      { name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '3000' } },
      readFileSync(example('contract-net/js-initiator', 'cnet-initiator.wasm')),
    );
    await api.send({
      structured: {
        performative: 'request',
        receivers: [{ name: 'broker' }],
        content: 'parcel 9',
        protocol: 'fipa-request',
        conversationId: 'parcel-9',
        replyWith: 'parcel-9-req',
      },
    });
    const deadline = Date.now() + 120_000;
    while (
      !seen.some(
        (e) => local(e.message.sender?.name) === 'broker' && e.message.performative === 'inform' && e.message.conversationId === 'parcel-9',
      )
    ) {
      if (Date.now() > deadline)
        throw new Error(
          `no result; saw:\n${seen.map((e) => `${local(e.message.sender?.name)} ${e.message.performative}`).join('\n')}\n${node.stderr.slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    const exit = await node?.stop();
    await prom?.stop();
    await col?.stop();
    if (exit && exit.code !== 0) process.stderr.write(`caxton serve exited ${exit.code ?? exit.signal}:\n${node.stderr.slice(-2000)}\n`);
  });

  it('serve says where telemetry goes', () => {
    const notes = node.jsonLines('stderr').map((l) => String(l['msg']));
    assert.ok(
      notes.some((m) => m.includes(`traces → ${col.otlpHttpEndpoint}/v1/traces`)),
      notes.join('\n'),
    );
    assert.ok(
      notes.some((m) => m.includes(`metrics → ${col.otlpHttpEndpoint}/v1/metrics`)),
      notes.join('\n'),
    );
    assert.ok(
      notes.some((m) => m.includes(`agent logs → ${col.otlpHttpEndpoint}/v1/logs`)),
      notes.join('\n'),
    );
    assert.match(node.prometheusAddress(), /^127\.0\.0\.1:\d+$/);
  });

  it('one conversation of the contract net is one trace across the initiator and every contractor', async () => {
    // Every span asserted below is waited for: the losers' reject-proposal spans may end after the
    // winner's inform reached the broker (other shards).
    const trace = await waitForConversationTrace(col, lib.otlpSpans, 'parcel-9', {
      'handle request': 1,
      'handle cfp': 3,
      'handle propose': 3,
      'handle accept-proposal': 1,
      'handle reject-proposal': 2,
      'handle inform': 1,
    });
    sendTrace = trace[0]!.span['traceId'] as string;
    const handled = (name: string): string[] =>
      trace
        .filter((s) => s.span['name'] === name)
        .map((s) => attrsOf(s.span)['caxton.agent'] ?? '?')
        .sort();

    assert.deepEqual(handled('handle request'), ['broker'], 'the broker handled the operator request in the trace');
    assert.deepEqual(handled('handle cfp'), ['c1', 'c2', 'c3'], 'every contractor handled the cfp in the same trace');
    assert.deepEqual(handled('handle propose'), ['broker', 'broker', 'broker'], 'the broker handled the three proposals in the same trace');
    assert.deepEqual(handled('handle accept-proposal'), ['c2'], 'the cheapest won');
    assert.deepEqual(handled('handle reject-proposal'), ['c1', 'c3']);
    assert.ok(handled('handle inform').includes('broker'), "the winner's inform reached the broker in the trace");
    // What each handling cost is on its span: the broker's request sent its agree and the cfp (one
    // message to three receivers), each contractor's cfp one propose; fuel and sandbox time by all.
    const costs = (name: string): Record<string, string>[] => trace.filter((s) => s.span['name'] === name).map((s) => attrsOf(s.span));
    assert.deepEqual(
      costs('handle request').map((a) => a['caxton.messages_sent']),
      ['2'],
    );
    assert.deepEqual(
      costs('handle cfp').map((a) => a['caxton.messages_sent']),
      ['1', '1', '1'],
    );
    for (const a of costs('handle cfp').concat(costs('handle request'))) {
      assert.ok(Number(a['caxton.fuel']) > 0 && Number(a['caxton.handler_us']) > 0, JSON.stringify(a));
      assert.equal(a['caxton.state_keys_written'], '0');
      assert.equal(a['caxton.state_bytes_written'], '0');
      assert.equal(a['caxton.http_calls'], '0');
      // The content of what it sent (decision 2184): an agree and a cfp, a propose.
      assert.ok(Number(a['caxton.bytes_sent']) > 0, JSON.stringify(a));
    }
    // The cfp is its own conversation (the broker's), yet it continues the request's trace.
    const cfpConversations = new Set(
      trace.filter((s) => s.span['name'] === 'handle cfp').map((s) => attrsOf(s.span)['caxton.conversation_id']),
    );
    assert.equal(cfpConversations.size, 1);
    assert.notEqual([...cfpConversations][0], 'parcel-9');
    // Parent links hold inside the trace: one root (the API call, or the send without one), and
    // every other span hangs off a span of the same trace.
    const ids = new Set(trace.map((s) => s.span['spanId']));
    const roots = trace.filter((s) => !s.span['parentSpanId']);
    assert.equal(roots.length, 1, `one root: ${roots.map((s) => s.span['name']).join(', ')}`);
    const orphans = trace.filter((s) => s.span['parentSpanId'] && !ids.has(s.span['parentSpanId']));
    assert.deepEqual(
      orphans.map((s) => s.span['name']),
      [],
      'every span hangs off another span of the trace',
    );
    for (const s of trace) {
      const r = attrsOf(s.resource);
      assert.equal(r['service.name'], 'caxton');
      assert.equal(r['service.instance.id'], NODE_ID);
      assert.equal(r['caxton.node.id'], NODE_ID);
      assert.equal(r['caxton.cluster'], 'embedded');
      assert.equal(r['deployment.environment'], 'ops-test', 'OTEL_RESOURCE_ATTRIBUTES is added');
      assert.match(String(r['service.version']), /^\d+\.\d+\.\d+/);
    }
  });

  it("the collector receives the node's metrics over OTLP", async () => {
    const exports = await col.waitFor(
      'metrics',
      (reqs) => lib.otlpMetrics(reqs).some((m) => m.metric['name'] === 'caxton.agent.messages.handled'),
      { timeoutMs: 30_000 },
    );
    const found = lib.otlpMetrics(exports);
    const dropped = found.filter((m) => m.metric['name'] === 'caxton.telemetry.dropped');
    assert.ok(dropped.length > 0);
    assert.equal(attrsOf(dropped[0]!.resource)['service.instance.id'], NODE_ID);
    const names = new Set(found.map((m) => m.metric['name'] as string));
    process.stderr.write(`# metrics received by the collector: ${[...names].sort().join(', ')}\n`);
    for (const want of ['caxton.agent.messages.handled', 'caxton.agent.handle.duration.seconds', 'caxton.api.calls']) {
      assert.ok(names.has(want), `the collector received ${want}`);
    }
  });

  it('a real Prometheus scrapes --metrics-addr and answers for a caxton_ metric', async () => {
    prom = await lib.startPrometheus({ scrapeTargets: [node.prometheusAddress()], scrapeIntervalS: 1 });
    const data = await prom.waitFor('caxton_telemetry_dropped_total', (d) => (d.result as unknown[]).length > 0, { timeoutMs: 60_000 });
    const samples = data.result as Infra.PromVectorSample[];
    assert.ok(
      samples.some((s) => s.metric['signal'] === 'traces'),
      JSON.stringify(samples),
    );
    // Nothing was dropped: the collector was up the whole time.
    assert.equal(
      samples.reduce((n, s) => n + Number(s.value[1]), 0),
      0,
    );
    // The agents' own metrics (decision 1301): the handled count equals the deliveries the
    // conversation made to the four agents (read from the node's tail), and the handle-duration
    // histogram has its buckets.
    const agents = new Set([...Object.keys(PRICES), 'broker']);
    const delivered = seen.reduce((n, e) => n + e.message.receivers.filter((r) => agents.has(local(r.name))).length, 0);
    assert.ok(delivered >= 1 + 3 + 3 + 3 + 1, `deliveries in the conversation: ${delivered}`);
    const handled = await prom.waitFor(
      'sum(caxton_agent_messages_handled_total)',
      (d) => Number((d.result as Infra.PromVectorSample[])[0]?.value[1] ?? -1) === delivered,
      { timeoutMs: 60_000 },
    );
    assert.equal(Number((handled.result as Infra.PromVectorSample[])[0]!.value[1]), delivered);
    // Every series carries node and cluster (what deploy/grafana's dashboard filters by).
    const perAgent = await prom.query(`sum by (agent) (caxton_agent_messages_handled_total{node="${NODE_ID}",cluster="embedded"})`);
    assert.deepEqual(new Set((perAgent.result as Infra.PromVectorSample[]).map((s) => s.metric['agent'])), agents);
    const buckets = await prom.query('caxton_agent_handle_duration_seconds_bucket{agent="broker",le="+Inf"}');
    const brokerHandled = seen.filter((e) => e.message.receivers.some((r) => local(r.name) === 'broker')).length;
    assert.equal(
      Number((buckets.result as Infra.PromVectorSample[])[0]?.value[1]),
      brokerHandled,
      'the +Inf bucket counts every handling of the broker',
    );
    const info = await prom.query('target_info');
    assert.equal((info.result as Infra.PromVectorSample[])[0]?.metric['caxton_node_id'], NODE_ID, 'target_info carries the resource');
  });

  it('--log-format json: every line is a JSON object with the node; an agent line carries its trace id', () => {
    const stderrLines = node.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.ok(stderrLines.length > 0);
    for (const line of stderrLines) {
      const o = JSON.parse(line) as Record<string, unknown>;
      assert.ok(typeof o['time'] === 'string' && typeof o['level'] === 'string' && typeof o['msg'] === 'string', line);
    }
    assert.ok(
      node.jsonLines('stderr').some((o) => o['node'] === NODE_ID),
      'lines after start name the node',
    );
    const stdoutLines = node.stdout.split('\n').filter((l) => l.trim() !== '');
    for (const line of stdoutLines) JSON.parse(line);
    const award = node.jsonLines('stdout').find((o) => o['agent'] === 'broker' && String(o['msg']).startsWith('awarding "parcel 9"'));
    assert.ok(award, `the initiator's log line is printed:\n${node.stdout.slice(-2000)}`);
    assert.equal(award['node'], NODE_ID);
    assert.ok(sendTrace !== '', 'the trace test ran first');
    assert.equal(award['trace_id'], sendTrace, "the line links to the conversation's trace");
    assert.match(String(award['span_id']), /^[\da-f]{16}$/);
  });

  it("the collector receives the node's own lines as OTLP log records of their own scope, not the agents'", async () => {
    const serving = `caxton: node ${NODE_ID} serving the API on`;
    const exports = await col.waitFor(
      'logs',
      (reqs) =>
        lib
          .otlpLogRecords(reqs)
          .some((l) => String((l.record['body'] as { stringValue?: string } | undefined)?.stringValue ?? '').startsWith(serving)),
      { timeoutMs: 30_000 },
    );
    const nodeRecords = lib.otlpLogRecords(exports).filter((l) => l.scope['name'] === 'caxton.node.logs');
    const found = nodeRecords.filter((l) => String((l.record['body'] as { stringValue: string }).stringValue).startsWith(serving));
    assert.equal(found.length, 1, 'the line is exported once');
    const { record, resource } = found[0]!;
    assert.equal(record['severityText'], 'INFO');
    assert.equal(attrsOf(resource)['service.instance.id'], NODE_ID);
    // The same text the node printed (as the msg of its --log-format json line).
    const printed = node.jsonLines('stderr').map((o) => String(o['msg']));
    assert.ok(printed.includes((record['body'] as { stringValue: string }).stringValue), 'the record is the line the node printed');
    // An agent's line is an agent's record only (printed on stdout, under caxton.agent.logs).
    assert.ok(
      !nodeRecords.some((l) =>
        String((l.record['body'] as { stringValue?: string } | undefined)?.stringValue ?? '').startsWith('awarding "parcel 9"'),
      ),
      "no agent line among the node's",
    );
  });

  it("the collector receives the agent's log line as an OTLP log record in the handling's trace", async () => {
    assert.ok(sendTrace !== '', 'the trace test ran first');
    const isAward = (r: Record<string, unknown>): boolean =>
      String((r['body'] as { stringValue?: string } | undefined)?.stringValue ?? '').startsWith('awarding "parcel 9"');
    const exports = await col.waitFor('logs', (reqs) => lib.otlpLogRecords(reqs).some((l) => isAward(l.record)), { timeoutMs: 30_000 });
    const found = lib.otlpLogRecords(exports).filter((l) => isAward(l.record));
    assert.equal(found.length, 1, 'the line is exported once');
    const { record, resource, scope } = found[0]!;
    assert.equal(attrsOf(record)['caxton.agent'], 'broker');
    assert.equal(attrsOf(resource)['service.instance.id'], NODE_ID);
    assert.equal(attrsOf(resource)['caxton.node.id'], NODE_ID);
    assert.equal(scope['name'], 'caxton.agent.logs');
    // The same line as --log-format json printed it: same level, same handling.
    const printed = node.jsonLines('stdout').find((o) => o['agent'] === 'broker' && String(o['msg']).startsWith('awarding "parcel 9"'))!;
    const severityNumbers: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17 };
    const level = String(printed['level']).toUpperCase();
    assert.equal(record['severityText'], level);
    assert.equal(Number(record['severityNumber']), severityNumbers[level]);
    assert.equal((record['body'] as { stringValue: string }).stringValue, printed['msg']);
    // The ids are those of a span the collector received: the broker's handling in the conversation's trace.
    assert.equal(record['traceId'], sendTrace, "the record is in the conversation's trace");
    assert.equal(record['spanId'], printed['span_id']);
    const spans = lib.otlpSpans(await col.readTraces()) as FoundSpan[];
    const handling = spansOfTrace(spans, sendTrace).find((sp) => sp.span['spanId'] === record['spanId']);
    assert.ok(handling, `span ${String(record['spanId'])} was exported in the trace`);
    assert.match(String(handling.span['name']), /^handle /);
    assert.equal(attrsOf(handling.span)['caxton.agent'], 'broker');
    // The record's time is the line's own (when the agent wrote it), not when it was exported.
    assert.equal(
      Number(BigInt(String(record['timeUnixNano'])) / 1_000_000n),
      Date.parse(String(printed['time'])),
      "the record keeps the line's time",
    );
  });
});
