/**
 * Metric instruments (decision 1301) on a real node with real WASM agents and a real OpenTelemetry
 * metrics SDK, read through the Prometheus exporter's serializer (the names a scrape shows):
 * handled counts by outcome equal what the agents handled, the handle-duration histogram counts
 * every handling, a hostile agent's crashes are counted by kind with its restarts, a refused send
 * counts as a quota refusal, the mailbox gauge follows a burst, memory is pages × 64 KiB, and the
 * embedded log reports its group commits and bytes. Every name the dashboard uses for agents and
 * the bus is produced, with the exact spelling of deploy/grafana/caxton-dashboard.json.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './support/artifacts.js';
import { sendHonouringRetryAfter as sendOrRetry } from './support/overload-retry.js';
import { TestNode } from './support/test-node.js';
import { TestMetrics, metricNames, total, type Sample } from './support/metrics-reader.js';

const ATTEMPTS = 2;
const MAILBOX_CAPACITY = 12_000; // not the default: the gauge shows what the node was given
const telemetry = new TestMetrics();
let t: TestNode;

before(async () => {
  telemetry.register();
  t = await TestNode.start({ maxAttempts: ATTEMPTS, mailboxCapacity: MAILBOX_CAPACITY });
  await t.deploy('echo', 'as-echo');
  await t.deploy('fragile', 'hostile/as-poison');
  await t.deploy('alice', 'conformance/puppet');
});

after(async () => {
  await t?.dispose();
  await telemetry.shutdown();
});

const handledBy = (agent: string, status?: string) =>
  t.handled.filter(
    (h) =>
      h.agent === agent && (status === undefined ? ['ok', 'rejected', 'crashed'].includes(h.outcome.status) : h.outcome.status === status),
  ).length;

test('handled counts, durations, fuel, crashes and restarts match what the agents did', async () => {
  for (let i = 0; i < 20; i++) await t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: `m${i}` });
  for (const content of ['a', 'poison pill', 'b']) await t.send({ performative: 'request', receivers: [{ name: 'fragile' }], content });
  await t.waitFor('the poison to be dead-lettered', () => t.deadLettered.length === 1, 20_000);
  await t.settle();

  const s = await telemetry.samples();
  const handledOk = total(s, 'caxton_agent_messages_handled_total', { agent: 'echo', outcome: 'ok' });
  assert.equal(handledOk, handledBy('echo', 'ok'));
  assert.ok(handledOk >= 20, `echo handled ${handledOk}`);
  assert.equal(total(s, 'caxton_agent_handle_duration_seconds_count', { agent: 'echo' }), handledBy('echo'));
  assert.ok(total(s, 'caxton_agent_handle_duration_seconds_sum', { agent: 'echo' }) > 0);
  // Every handling used fuel; the counter is the sum of the handled events' fuel.
  const fuel = t.handled.filter((h) => h.agent === 'echo').reduce((sum, h) => sum + h.fuelUsed, 0);
  assert.equal(total(s, 'caxton_agent_fuel_used_total', { agent: 'echo' }), fuel);
  // What it sent (decision 2184): the echo's replies, their content's bytes, the sums of its handled events.
  const sent = t.handled.filter((h) => h.agent === 'echo').reduce((sum, h) => sum + h.messagesSent, 0);
  const sentBytes = t.handled.filter((h) => h.agent === 'echo').reduce((sum, h) => sum + h.bytesSent, 0);
  assert.ok(sent >= 20 && sentBytes >= 40, `echo sent ${sent} messages, ${sentBytes} bytes`);
  assert.equal(total(s, 'caxton_agent_messages_sent_total', { agent: 'echo' }), sent);
  assert.equal(total(s, 'caxton_agent_sent_bytes_total', { agent: 'echo' }), sentBytes);

  const crashes = handledBy('fragile', 'crashed');
  assert.equal(crashes, ATTEMPTS, 'the poison crashed the agent on every attempt');
  assert.equal(total(s, 'caxton_agent_crashes_total', { agent: 'fragile' }), crashes);
  const kinds = s.filter((x) => x.name === 'caxton_agent_crashes_total' && x.labels['agent'] === 'fragile').map((x) => x.labels['kind']);
  assert.ok(
    kinds.every((k) => k !== undefined && k.length > 0),
    `crash kinds: ${kinds.join(', ')}`,
  );
  assert.equal(total(s, 'caxton_agent_messages_handled_total', { agent: 'fragile', outcome: 'crashed' }), crashes);
  const restarts = (await t.control.getAgent('fragile'))!.restarts;
  assert.ok(restarts >= 1, 'the pool restarted the crashed instance');
  assert.equal(total(s, 'caxton_agent_restarts_total', { agent: 'fragile' }), restarts);
  assert.equal(total(s, 'caxton_bus_dead_letters_total'), 1);
  assert.equal(total(s, 'caxton_bus_redeliveries_total'), ATTEMPTS - 1, 'the poison was handed out again after its first crash');

  const echo = (await t.control.getAgent('echo'))!;
  assert.ok(echo.memoryPages > 0);
  assert.equal(total(s, 'caxton_agent_memory_bytes', { agent: 'echo' }), echo.memoryPages * 65_536);
});

test('a send over the outbox quota is a quota refusal, and the handling a rejection', async () => {
  // maxOutbox is 1000 sends per handling: the 1001st is refused and the puppet fails its handling.
  await t.puppet('alice', { performative: 'inform', to: 'echo', content: 'q', count: 1001 });
  await t.waitFor('alice to be rejected', () => handledBy('alice', 'rejected') === 1);
  await t.settle();
  const s = await telemetry.samples();
  assert.equal(total(s, 'caxton_agent_quota_refusals_total', { agent: 'alice', quota: 'outboxFull' }), 1);
  assert.equal(total(s, 'caxton_agent_messages_handled_total', { agent: 'alice', outcome: 'rejected' }), 1);
});

const sendHonouringRetryAfter = (message: Parameters<TestNode['send']>[0]) => sendOrRetry(t.control, message);

test('the mailbox gauge follows a burst and goes back to zero', async () => {
  const burst = Array.from({ length: 2000 }, (_, i) =>
    sendHonouringRetryAfter({ performative: 'inform', receivers: [{ name: 'echo' }], content: `burst ${i}` }),
  );
  let peak = 0;
  const seen: number[] = [];
  while (seen.length < 200) {
    const depth = total(await telemetry.samples(), 'caxton_agent_mailbox_depth', { agent: 'echo' });
    seen.push(depth);
    peak = Math.max(peak, depth);
    if (peak > 0) break;
  }
  await Promise.all(burst);
  assert.ok(peak > 0, `the gauge saw echo's queue (${seen.join(', ')})`);
  await t.settle();
  const after = await telemetry.samples();
  assert.equal(total(after, 'caxton_agent_mailbox_depth', { agent: 'echo' }), 0);
  // The denominator of deploy/prometheus's saturation alert: the node's configured capacity.
  assert.equal(total(after, 'caxton_bus_mailbox_capacity'), MAILBOX_CAPACITY);
  // Nothing failed to commit, and the counter says so (a 0, not an absent series).
  assert.ok(metricNames(after).has('caxton_bus_commit_failures_total'));
  assert.equal(total(after, 'caxton_bus_commit_failures_total'), 0);
  assert.equal(total(after, 'caxton_agent_timers_pending', { agent: 'echo' }), 0);
});

test('the embedded log reports group commits, append latency and its bytes', async () => {
  const s: Sample[] = await telemetry.samples();
  const groups = total(s, 'caxton_bus_group_commit_size_count');
  assert.ok(groups > 0, 'commit groups were observed');
  // Every accepted delivery is a record of some group: the groups' sizes add up to at least those.
  assert.ok(
    total(s, 'caxton_bus_group_commit_size_sum') >= t.accepted.length,
    `${total(s, 'caxton_bus_group_commit_size_sum')} records for ${t.accepted.length} accepted`,
  );
  assert.equal(total(s, 'caxton_bus_append_duration_seconds_count'), groups);
  assert.ok(total(s, 'caxton_bus_log_bytes') > 0);
});

test('the names are exactly those of the dashboard for agents and the bus', async () => {
  const names = metricNames(await telemetry.samples());
  for (const name of [
    'caxton_agent_messages_handled_total',
    'caxton_agent_handle_duration_seconds',
    'caxton_agent_fuel_used_total',
    'caxton_agent_messages_sent_total',
    'caxton_agent_sent_bytes_total',
    'caxton_agent_memory_bytes',
    'caxton_agent_crashes_total',
    'caxton_agent_restarts_total',
    'caxton_agent_mailbox_depth',
    'caxton_agent_timers_pending',
    'caxton_agent_quota_refusals_total',
    'caxton_bus_append_duration_seconds',
    'caxton_bus_group_commit_size',
    'caxton_bus_log_bytes',
    'caxton_bus_dead_letters_total',
    'caxton_bus_redeliveries_total',
  ])
    assert.ok(names.has(name), `${name} is produced (got ${[...names].sort().join(', ')})`);
});

test('every metric the node produces is one the dashboard or the alert rules know', async () => {
  // Some series exist for alerting only (commit failures, mailbox capacity: decision 1850).
  const operatorFiles = await Promise.all(
    ['deploy/grafana/caxton-dashboard.json', 'deploy/prometheus/alerts.yaml'].map((f) => readFile(path.join(repoRoot, f), 'utf8')),
  );
  const known = new Set(
    operatorFiles.flatMap((text) => [...text.matchAll(/caxton_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))),
  );
  const produced = [...metricNames(await telemetry.samples())].filter((n) => n.startsWith('caxton_'));
  assert.ok(produced.length >= 16);
  for (const name of produced)
    assert.ok(known.has(name), `${name} is in neither deploy/grafana/caxton-dashboard.json nor deploy/prometheus/alerts.yaml`);
});

// Last: a deployment and a timer here would change what the burst above meets at the node's edge.
test("a timer's handling counts in the agent's cost metrics, which add up to its costs (decision 2184)", async () => {
  await t.deploy('reminder', 'as-reminder');
  // agree at once (a delivery's handling), then the inform from the timer's own handling.
  await t.send({ performative: 'request', receivers: [{ name: 'reminder' }], content: '0 water the plants', replyWith: 'rw-timer' });
  await t.waitFor('the reminder', () => t.external.find((e) => e.message.inReplyTo === 'rw-timer' && e.message.performative === 'inform'));
  await t.settle();
  const costs = (await t.control.getAgent('reminder'))!.costs!;
  const byDeliveries = t.handled.filter((h) => h.agent === 'reminder').reduce((sum, h) => sum + h.messagesSent, 0);
  assert.ok(costs.messagesSent > byDeliveries, `the timer's send is in its costs (${costs.messagesSent} > ${byDeliveries})`);
  const s = await telemetry.samples();
  assert.equal(total(s, 'caxton_agent_messages_sent_total', { agent: 'reminder' }), costs.messagesSent);
  assert.equal(total(s, 'caxton_agent_sent_bytes_total', { agent: 'reminder' }), costs.bytesSent);
  assert.equal(total(s, 'caxton_agent_fuel_used_total', { agent: 'reminder' }), costs.fuel);
  assert.equal(
    total(s, 'caxton_agent_messages_handled_total', { agent: 'reminder' }),
    handledBy('reminder'),
    'the handled counts stay about messages',
  );
});
