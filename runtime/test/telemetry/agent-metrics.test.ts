/**
 * installAgentMetrics with a real MeterProvider (decision 1301): agents beyond the label bound are
 * folded into `other`, their counters and gauges summed, never split into new series; outcomes
 * that ran nothing (not-running) are not handled messages; removal stops recording.
 */
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BusEvents } from '../../src/bus/events.js';
import { installAgentMetrics, type AgentSample } from '../../src/node/agent-metrics.js';
import { candidateKey, parseCandidateKey } from '../../src/node/rollouts/index.js';
import { runSampleOf } from '../../src/node/run-sample-key.js';
import { agentLabels, setMaxAgentLabels, DEFAULT_MAX_AGENT_LABELS } from '../../src/telemetry/cardinality.js';

class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** name → [attributes, value] of every data point (sum/gauge value, histogram count). */
function points(rm: ResourceMetrics, name: string): [Record<string, unknown>, number][] {
  const metric = rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => [
    p.attributes,
    typeof p.value === 'number' ? p.value : (p.value as { count: number }).count,
  ]);
}

const handled = (agent: string, status: 'ok' | 'crashed' | 'not-running', durationUs = 250) => ({
  type: 'handled' as const,
  agent,
  deliveryId: `d-${agent}`,
  messageId: `m-${agent}`,
  fuelUsed: 1000,
  attempt: 1,
  durationUs,
  conversationId: undefined,
  messagesSent: 0,
  bytesSent: 0,
  stateBytesWritten: 0,
  httpCalls: 0,
  outcome:
    status === 'ok' ? { status } : status === 'crashed' ? { status, kind: 'trap' as const, message: 'boom' } : { status, reason: 'failed' },
});

describe('installAgentMetrics', () => {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  beforeEach(() => {
    agentLabels.reset();
    setMaxAgentLabels(2);
  });
  after(async () => {
    setMaxAgentLabels(DEFAULT_MAX_AGENT_LABELS);
    agentLabels.reset();
    await provider.shutdown();
  });

  it('folds agents beyond the bound into other and sums them', async () => {
    const events = new BusEvents();
    const samples: AgentSample[] = ['a', 'b', 'c', 'd'].map((agent, i) => ({
      agent,
      memoryPages: i + 1,
      restarts: i,
      refusals: { sendsPerSecond: 1, invalidMessage: 5 },
      mailboxDepth: 10 * i,
      timersPending: 1,
    }));
    const remove = installAgentMetrics(meter, { events, sample: async () => samples });
    for (const agent of ['a', 'b', 'c', 'd']) events.emit(handled(agent, 'ok'));
    events.emit(handled('c', 'crashed'));
    events.emit(handled('a', 'not-running'));
    const { resourceMetrics: rm } = await reader.collect();

    const byAgent = (name: string) =>
      Object.fromEntries(
        points(rm, name).map(([a, v]) => [
          `${String(a['agent'])}${a['outcome'] ? `/${String(a['outcome'])}` : ''}${a['quota'] ? `/${String(a['quota'])}` : ''}`,
          v,
        ]),
      );
    assert.deepEqual(byAgent('caxton.agent.messages.handled'), { 'a/ok': 1, 'b/ok': 1, 'other/ok': 2, 'other/crashed': 1 });
    assert.deepEqual(byAgent('caxton.agent.handle.duration.seconds'), { a: 1, b: 1, other: 3 });
    assert.deepEqual(byAgent('caxton.agent.crashes'), { other: 1 });
    assert.deepEqual(byAgent('caxton.agent.memory.bytes'), { a: 65_536, b: 2 * 65_536, other: 7 * 65_536 });
    assert.deepEqual(byAgent('caxton.agent.restarts'), { a: 0, b: 1, other: 5 });
    assert.deepEqual(byAgent('caxton.agent.mailbox.depth'), { a: 0, b: 10, other: 50 });
    assert.deepEqual(byAgent('caxton.agent.quota.refusals'), { 'a/sendsPerSecond': 1, 'b/sendsPerSecond': 1, 'other/sendsPerSecond': 2 });
    remove();
  });

  it("reports a replica under its agent's label with replica=n, taking no label slot (decision 2010)", async () => {
    setMaxAgentLabels(1);
    const events = new BusEvents();
    const samples: AgentSample[] = [
      { agent: 'svc', memoryPages: 2, restarts: 0, refusals: { timers: 1 }, mailboxDepth: 4, timersPending: 1 },
      { agent: 'svc', replica: 2, memoryPages: 3, restarts: 1, refusals: { timers: 2 }, mailboxDepth: 0, timersPending: 0 },
    ];
    const remove = installAgentMetrics(meter, { events, sample: async () => samples });
    const rm = (await reader.collect()).resourceMetrics;
    const of = (name: string) =>
      Object.fromEntries(
        points(rm, name)
          .filter(([a]) => a['agent'] === 'svc')
          .map(([a, v]) => [
            `${String(a['agent'])}${a['replica'] ? `#${String(a['replica'])}` : ''}${a['quota'] ? `/${String(a['quota'])}` : ''}`,
            v,
          ]),
      );
    assert.deepEqual(of('caxton.agent.memory.bytes'), { svc: 2 * 65_536, 'svc#2': 3 * 65_536 });
    assert.deepEqual(of('caxton.agent.restarts'), { svc: 0, 'svc#2': 1 });
    assert.deepEqual(of('caxton.agent.quota.refusals'), { 'svc/timers': 1, 'svc#2/timers': 2 });
    assert.deepEqual(of('caxton.agent.mailbox.depth'), { svc: 4 }, "the mailbox is the agent's, reported once");
    assert.equal(agentLabels.size, 1, 'one label slot for the agent and its replica');
    remove();
  });

  it('300 rollouts do not exhaust the agent labels: a candidate is its agent\'s label with candidate="true" (decision 2101)', async () => {
    setMaxAgentLabels(2);
    const events = new BusEvents();
    let samples: AgentSample[] = [];
    const remove = installAgentMetrics(meter, { events, sample: async () => samples });
    const own: AgentSample = { agent: 'svc', memoryPages: 2, restarts: 0, refusals: {}, mailboxDepth: 1, timersPending: 0 };
    for (let version = 2; version <= 301; version++) {
      // What the sandbox host reports of a rollout's new instance: its key through the host's own mapping.
      const mapped = runSampleOf(candidateKey('svc', version), { memoryPages: 3, restarts: 1, refusals: { timers: 1 } });
      assert.deepEqual(mapped, { agent: 'svc', candidate: true, memoryPages: 3, restarts: 1, refusals: { timers: 1 } });
      samples = [own, { ...mapped, mailboxDepth: 0, timersPending: 0 }];
      await reader.collect();
    }
    assert.equal(agentLabels.size, 1, 'the agent and its 300 candidates hold one label slot');
    samples = [own, { agent: 'fresh', memoryPages: 1, restarts: 0, refusals: {}, mailboxDepth: 0, timersPending: 0 }];
    const rm = (await reader.collect()).resourceMetrics;
    const memory = points(rm, 'caxton.agent.memory.bytes');
    assert.ok(
      memory.some(([a]) => a['agent'] === 'fresh'),
      'an agent deployed after the rollouts still gets its own label',
    );
    assert.equal(agentLabels.size, 2, 'svc and fresh: nothing folded into other');
    assert.ok(!memory.some(([a]) => String(a['agent']).includes('#')), "no series labelled with a candidate's sandbox key");
    remove();
  });

  it('reports a candidate\'s samples under its agent with candidate="true"; the mailbox once, without it', async () => {
    setMaxAgentLabels(5);
    const events = new BusEvents();
    const samples: AgentSample[] = [
      { agent: 'cv', memoryPages: 2, restarts: 0, refusals: {}, mailboxDepth: 4, timersPending: 0 },
      { agent: 'cv', candidate: true, memoryPages: 3, restarts: 1, refusals: {}, mailboxDepth: 0, timersPending: 0 },
    ];
    const remove = installAgentMetrics(meter, { events, sample: async () => samples });
    const rm = (await reader.collect()).resourceMetrics;
    const of = (name: string) =>
      Object.fromEntries(
        points(rm, name)
          .filter(([a]) => a['agent'] === 'cv')
          .map(([a, v]) => [`${String(a['agent'])}${a['candidate'] ? `/candidate=${String(a['candidate'])}` : ''}`, v]),
      );
    assert.deepEqual(of('caxton.agent.memory.bytes'), { cv: 2 * 65_536, 'cv/candidate=true': 3 * 65_536 });
    assert.deepEqual(of('caxton.agent.restarts'), { cv: 0, 'cv/candidate=true': 1 });
    assert.deepEqual(of('caxton.agent.mailbox.depth'), { cv: 4 });
    remove();
  });

  it("parses only a rollout candidate's key back to its agent", () => {
    assert.deepEqual(parseCandidateKey('svc#4'), { agent: 'svc', version: 4 });
    for (const key of ['svc', 'svc#r2', 'svc#0', 'svc#04', 'k/x#4', '#4', 'svc#4#5', 'svc#99999999999999999'])
      assert.equal(parseCandidateKey(key), undefined, key);
  });

  it('records nothing once removed', async () => {
    const events = new BusEvents();
    const remove = installAgentMetrics(meter, { events, sample: async () => [] });
    const before = points((await reader.collect()).resourceMetrics, 'caxton.agent.messages.handled').reduce((n, [, v]) => n + v, 0);
    remove();
    assert.equal(events.wants('handled'), false, 'the bus builds nothing for a removed listener');
    events.emit(handled('a', 'ok'));
    const later = points((await reader.collect()).resourceMetrics, 'caxton.agent.messages.handled').reduce((n, [, v]) => n + v, 0);
    assert.equal(later, before);
  });
});
