/**
 * Per-agent metrics (decision 1301), from what the node already has: the bus's `handled` events
 * (emitted for every handling whether anyone listens or not, so subscribing builds nothing new)
 * and, at collection time only, a sample of every local agent (memory, restarts, refusals from
 * the sandbox; mailbox depth; pending timers). Nothing here runs per message unless a
 * MeterProvider is registered: `installAgentMetrics` is not called otherwise (meters.ts).
 *
 * Agent labels go through `boundedAgentLabel`; label objects are cached per agent so that a
 * handling records with objects made once, not one per message.
 *
 * Handled counts and fuel are plain per-label totals read by observable counters at collection
 * (decision 1303): a synchronous `add` hashes its attribute set once per reader (JSON.stringify of
 * the sorted keys) on every call, which with OTLP and Prometheus both reading cost ~9 % of the bus
 * thread in the telemetry-on benchmark. The duration histogram keeps its buckets per label here
 * and is read by the node's readers as a producer (decision 2200), for the same reason.
 */
import type { Attributes, BatchObservableResult, Meter } from '@opentelemetry/api';
import type { BusEvent, BusEvents } from '../bus/events.js';
import { boundedAgentLabel } from '../telemetry/cardinality.js';
import type { CumulativeHistogram, HistogramSeries } from '../telemetry/cumulative-histogram.js';
import { HANDLE_DURATION, SECONDS_BUCKETS } from '../telemetry/meters.js';
import { WASM_PAGE_BYTES } from '@caxton/core';
import type { AgentRunSample } from './agent-host.js';

/**
 * What the node reports of one local agent at collection time: the sandbox's sample of it
 * (memory, restarts since deployed here, refusals per quota; replica and candidate labels) and
 * the bus's figures.
 */
export interface AgentSample extends AgentRunSample {
  mailboxDepth: number;
  timersPending: number;
}

export interface AgentMetricsSource {
  events: BusEvents;
  /** Every local agent, read when a reader collects (never on the message path). */
  sample(): Promise<readonly AgentSample[]>;
  /** Handle durations aggregated here and read as a producer (decision 2200); absent: the SDK's histogram. */
  handleDurations?: CumulativeHistogram | undefined;
}

/** A wasm page is 64 KiB (defined once, with the limits table of @caxton/core). */
export { WASM_PAGE_BYTES };

/**
 * The sandbox's refusal counters that are quotas (an agent asking for more than its limits allow);
 * `invalidMessage` and `badArgument` are malformed calls, not quotas, and are left out.
 */
export const QUOTA_LABELS = [
  'outboxFull',
  'sendsPerSecond',
  'sendBytesPerSecond',
  'directoryChanges',
  'timers',
  'logLinesDropped',
  'outputDropped',
  'liftLimit',
  'state',
  'http',
  'topics',
] as const;

type Outcome = 'ok' | 'rejected' | 'crashed';

/** Attribute sets of one agent, made once, and the totals of its (bounded) label. */
interface AgentLabels {
  agent: Attributes;
  outcome: Record<Outcome, Attributes>;
  crash: Map<string, Attributes>;
  totals: LabelTotals;
}

/** Cumulative handled counts and fuel of one bounded agent label (several agents may share `other`). */
interface LabelTotals {
  labels: { agent: Attributes; outcome: Record<Outcome, Attributes> };
  handled: Record<Outcome, number>;
  fuel: number;
  /** What the handlings cost beside fuel (decision 2184). */
  sent: number;
  sentBytes: number;
  stateBytes: number;
  httpCalls: number;
  /** This label's handle durations, when they are pre-aggregated. */
  durations: HistogramSeries | undefined;
}

export function installAgentMetrics(meter: Meter, source: AgentMetricsSource): () => void {
  const handled = meter.createObservableCounter('caxton.agent.messages.handled', {
    description: 'Messages an agent handled, by outcome (ok, rejected: its handler returned an error, crashed)',
  });
  const produced = source.handleDurations;
  // Pre-aggregated, a handling records into its label's series; else through the SDK (a meter not the node's own).
  const duration =
    produced === undefined
      ? meter.createHistogram(HANDLE_DURATION.name, {
          description: HANDLE_DURATION.description,
          unit: HANDLE_DURATION.unit,
          advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
        })
      : undefined;
  const fuel = meter.createObservableCounter('caxton.agent.fuel.used', {
    description: 'Fuel (wasm instructions, host calls included) agents used handling messages and timers',
    unit: '{fuel}',
  });
  // What handlings cost beside fuel (decision 2184): per agent only, never per conversation (its
  // ids are the senders' and unbounded; the console and `caxton top --conversations` show those).
  const sent = meter.createObservableCounter('caxton.agent.messages.sent', {
    description: 'Messages the agent sent while handling messages and timers',
  });
  const sentBytes = meter.createObservableCounter('caxton.agent.sent.bytes', {
    description: 'UTF-8 bytes of the content of the messages the agent sent while handling messages and timers',
    unit: 'By',
  });
  const stateBytes = meter.createObservableCounter('caxton.agent.state.written.bytes', {
    description: 'UTF-8 bytes of the state keys and values the agent wrote while handling messages and timers',
    unit: 'By',
  });
  const httpCalls = meter.createObservableCounter('caxton.agent.http.requests.started', {
    description: 'Outbound HTTP requests the agent started while handling messages and timers',
  });
  const crashes = meter.createCounter('caxton.agent.crashes', { description: 'Handlings that crashed the agent instance, by crash kind' });
  const memory = meter.createObservableGauge('caxton.agent.memory.bytes', {
    description: 'Linear memory of the agent instance (pages × 64 KiB); 0 when it is failed',
    unit: 'By',
  });
  const restarts = meter.createObservableCounter('caxton.agent.restarts', {
    description: 'Restarts of the agent instance after crashes, since it was deployed on this node',
  });
  const refusals = meter.createObservableCounter('caxton.agent.quota.refusals', {
    description: 'Host calls refused because they exceeded a quota, since the agent was deployed on this node',
  });
  const mailbox = meter.createObservableGauge('caxton.agent.mailbox.depth', {
    description: 'Deliveries accepted for the agent and not completed yet',
  });
  const timers = meter.createObservableGauge('caxton.agent.timers.pending', {
    description: 'Timers the agent set that have not fired yet',
  });

  const labels = new Map<string, AgentLabels>();
  /** By bounded label value; kept when the per-agent cache is cleared (they are cumulative). */
  const totals = new Map<string, LabelTotals>();
  const totalsOf = (a: string): LabelTotals => {
    let t = totals.get(a);
    if (t === undefined) {
      const outcome = {
        ok: { agent: a, outcome: 'ok' },
        rejected: { agent: a, outcome: 'rejected' },
        crashed: { agent: a, outcome: 'crashed' },
      };
      totals.set(
        a,
        (t = {
          labels: { agent: { agent: a }, outcome },
          handled: { ok: 0, rejected: 0, crashed: 0 },
          fuel: 0,
          sent: 0,
          sentBytes: 0,
          stateBytes: 0,
          httpCalls: 0,
          durations: produced?.seriesOf(a, { agent: a }),
        }),
      );
    }
    return t;
  };
  const labelsOf = (name: string): AgentLabels => {
    // An instance of a kind is counted under its kind (decision 1980): one label set per kind, not per key.
    const slash = name.indexOf('/');
    const agent = slash > 0 ? name.slice(0, slash) : name;
    let l = labels.get(agent);
    if (l === undefined) {
      // Names beyond the bound share `other`; the cache itself is bounded the same way.
      if (labels.size >= 4096) labels.clear();
      const t = totalsOf(boundedAgentLabel(agent));
      l = { agent: t.labels.agent, outcome: t.labels.outcome, crash: new Map(), totals: t };
      labels.set(agent, l);
    }
    return l;
  };

  const onHandled = (e: BusEvent): void => {
    if (e.type !== 'handled' && e.type !== 'timer-handled') return;
    const status = e.outcome.status;
    // not-running: nothing ran (a failed agent, or one not placed here); skipped is never emitted.
    if (status !== 'ok' && status !== 'rejected' && status !== 'crashed') return;
    const l = labelsOf(e.agent);
    // What a handling cost counts for a timer's handling too, so the agent's figures add up to its
    // costs (decision 2184); the handled counts, durations and crashes stay about messages.
    l.totals.fuel += e.fuelUsed;
    l.totals.sent += e.messagesSent;
    l.totals.sentBytes += e.bytesSent;
    l.totals.stateBytes += e.stateBytesWritten;
    l.totals.httpCalls += e.httpCalls;
    if (e.type === 'timer-handled') return;
    l.totals.handled[status]++;
    if (e.durationUs !== undefined) {
      if (l.totals.durations !== undefined) l.totals.durations.record(e.durationUs / 1e6);
      else duration?.record(e.durationUs / 1e6, l.agent);
    }
    if (e.outcome.status === 'crashed') {
      const kind = e.outcome.kind;
      let attrs = l.crash.get(kind);
      if (attrs === undefined) l.crash.set(kind, (attrs = { agent: l.agent['agent']!, kind }));
      crashes.add(1, attrs);
    }
  };
  const off = source.events.on(onHandled, ['handled', 'timer-handled']);

  const observe = async (r: BatchObservableResult): Promise<void> => {
    for (const t of totals.values()) {
      for (const o of ['ok', 'rejected', 'crashed'] as const) if (t.handled[o] > 0) r.observe(handled, t.handled[o], t.labels.outcome[o]);
      if (t.fuel > 0) r.observe(fuel, t.fuel, t.labels.agent);
      if (t.sent > 0) r.observe(sent, t.sent, t.labels.agent);
      if (t.sentBytes > 0) r.observe(sentBytes, t.sentBytes, t.labels.agent);
      if (t.stateBytes > 0) r.observe(stateBytes, t.stateBytes, t.labels.agent);
      if (t.httpCalls > 0) r.observe(httpCalls, t.httpCalls, t.labels.agent);
    }
    const samples = await source.sample();
    // Several agents may fold into `other`: their values are summed, an observation per label set.
    // A replica's series is its agent's label plus `replica` (2..MAX_REPLICA_NUMBER, node-chosen: parseReplicaKey parses no other):
    // it takes no agent-label slot, and summing by agent counts every replica.
    // A rollout's candidate likewise, with `candidate="true"` (decision 2101).
    const sums = new Map<
      string,
      { attrs: Attributes; own: boolean; memory: number; restarts: number; mailbox: number; timers: number; quota: Map<string, number> }
    >();
    for (const s of samples) {
      const label = labelsOf(s.agent).agent;
      const replica = s.replica === undefined ? undefined : String(s.replica);
      const key = `${String(label['agent'])}${replica === undefined ? '' : `#r${replica}`}${s.candidate === true ? '#candidate' : ''}`;
      let sum = sums.get(key);
      if (sum === undefined) {
        const attrs = { ...label, ...(replica !== undefined ? { replica } : {}), ...(s.candidate === true ? { candidate: 'true' } : {}) };
        sums.set(
          key,
          (sum = {
            attrs,
            own: replica === undefined && s.candidate !== true,
            memory: 0,
            restarts: 0,
            mailbox: 0,
            timers: 0,
            quota: new Map(),
          }),
        );
      }
      sum.memory += s.memoryPages * WASM_PAGE_BYTES;
      sum.restarts += s.restarts;
      sum.mailbox += s.mailboxDepth;
      sum.timers += s.timersPending;
      for (const q of QUOTA_LABELS) sum.quota.set(q, (sum.quota.get(q) ?? 0) + (s.refusals[q] ?? 0));
    }
    for (const sum of sums.values()) {
      r.observe(memory, sum.memory, sum.attrs);
      r.observe(restarts, sum.restarts, sum.attrs);
      // The mailbox and timers are the agent's, not a replica's or a candidate's: reported once, without either.
      if (sum.own) {
        r.observe(mailbox, sum.mailbox, sum.attrs);
        r.observe(timers, sum.timers, sum.attrs);
      }
      for (const [quota, n] of sum.quota) if (n > 0) r.observe(refusals, n, { ...sum.attrs, quota });
    }
  };
  const observables = [handled, fuel, sent, sentBytes, stateBytes, httpCalls, memory, restarts, refusals, mailbox, timers];
  meter.addBatchObservableCallback(observe, observables);
  return () => {
    off();
    meter.removeBatchObservableCallback(observe, observables);
  };
}
