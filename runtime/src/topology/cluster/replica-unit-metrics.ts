/**
 * Replica units in metrics (decision 2097): `caxton_replica_units_active{agent}` — the units of
 * each agent scaled across nodes (decision 2093) this node runs now. Summed over a cluster's nodes
 * it is how many of an agent's replicas 2..N are in memory; one series per scaled agent with a unit
 * here, none otherwise; the agent label goes through `boundedAgentLabel` like every agent metric's.
 */
import type { Meter } from '@opentelemetry/api';
import { boundedAgentLabel } from '../../telemetry/cardinality.js';

export function installReplicaUnitMetrics(
  meter: Meter,
  running: () => readonly string[],
  agentOf: (unit: string) => string | undefined,
): () => void {
  const gauge = meter.createObservableGauge('caxton.replica.units.active', {
    description: 'Replica units (replicas 2..N of an agent scaled across nodes) this node runs now, per agent',
  });
  const observe = (r: { observe(value: number, attributes: { agent: string }): void }): void => {
    const perAgent = new Map<string, number>();
    for (const unit of running()) {
      const agent = agentOf(unit);
      // The agent label is bounded as every agent metric's is (past the bound: `other`, summed).
      if (agent !== undefined) {
        const label = boundedAgentLabel(agent);
        perAgent.set(label, (perAgent.get(label) ?? 0) + 1);
      }
    }
    for (const [agent, n] of perAgent) r.observe(n, { agent });
  };
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}
