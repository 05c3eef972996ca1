/**
 * Every metric of one node, installed in one call from startNode (decision 1301): per-agent and
 * bus instruments, and the topology's storage ones (embedded log; Kafka, etcd). When no
 * MeterProvider is registered nothing is installed: the node runs exactly as without telemetry.
 */
import type { BusEvents } from '../bus/events.js';
import type { AgentRunSample } from '../node/agent-host.js';
import type { Topology } from '../topology/topology.js';
import { installAgentMetrics, type AgentSample } from '../node/agent-metrics.js';
import { installBusMetrics } from '../bus/bus-metrics.js';
import { metricsRegistered, producedHandleDurations, runtimeMeter } from '../telemetry/meters.js';

export interface NodeMetricsSources {
  events: BusEvents;
  topology: Pick<Topology, 'installMetrics'>;
  /** The sandbox's view of every agent (memory, restarts, refusals); absent: no per-agent gauges. */
  runSamples: (() => Promise<AgentRunSample[]>) | undefined;
  mailboxDepth: (agent: string) => number;
  /** Deliveries one mailbox holds (the bus's mailboxCapacity). */
  mailboxCapacity: number;
  timersPending: (agent: string) => number;
  /** Agents whose circuit breaker is open or half-open (decision 1921). */
  breakersOpen?: () => number;
  /** Messages waiting for absent agents (decision 1990). */
  absentQueued?: () => number;
  /** Message text the node's mailboxes hold, and may hold (decision 2195). */
  mailboxText?: () => number;
  mailboxTextLimit?: number;
}

/** Installs the node's instruments; returns their removal (a no-op when none were installed). */
export function installNodeMetrics(sources: NodeMetricsSources): () => void {
  if (!metricsRegistered()) return () => {};
  const meter = runtimeMeter();
  const sample = async (): Promise<AgentSample[]> => {
    const runs = (await sources.runSamples?.()) ?? [];
    // A replica or a rollout's candidate has no mailbox or timers of its own: they are the agent's, reported with its own instance.
    return runs.map((r) => {
      const own = r.replica === undefined && r.candidate === undefined;
      return { ...r, mailboxDepth: own ? sources.mailboxDepth(r.agent) : 0, timersPending: own ? sources.timersPending(r.agent) : 0 };
    });
  };
  const removals = [
    installAgentMetrics(meter, { events: sources.events, sample, handleDurations: producedHandleDurations() }),
    installBusMetrics(
      meter,
      sources.events,
      sources.mailboxCapacity,
      sources.breakersOpen,
      sources.absentQueued,
      sources.mailboxText,
      sources.mailboxTextLimit,
    ),
    sources.topology.installMetrics?.(meter) ?? (() => {}),
  ];
  return () => {
    for (const remove of removals) remove();
  };
}
