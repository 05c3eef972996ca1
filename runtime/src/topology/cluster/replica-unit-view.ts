/**
 * What an operator sees of an agent scaled across nodes (decision 2097): for each replica, the node
 * placed to run it — its partition's consumer among the live nodes, computed as every node computes
 * it (decision 2093: nothing per unit is stored for placement) — and where it is active now (the
 * presence entries nodes keep under their leases). Pure: the caller reads the registry.
 */
import { parseReplicaUnit, replicaUnitName, type ReplicaUnitView } from '@caxton/core';

export interface ReplicaUnitFacts {
  agent: string;
  /** The recorded count (≥ 2 when shown). */
  count: number;
  /** The node running the agent itself (replica 1): its claim, else its partition's owner; '' when none. */
  agentNode: string;
  /** Replica 1 runs (a claim is held, or it runs on the node answering). */
  agentActive: boolean;
  /** The node placed to run a unit, from its partition and the live nodes. */
  nodeOf: (unit: string) => string | undefined;
  /** Units active anywhere, from the presence entries. */
  active: ReadonlyArray<{ unit: string; node: string }>;
  /** Messages handled, for the replicas the answering node runs (replica → count). */
  handled: ReadonlyMap<number, number>;
}

export function replicaUnitViews(f: ReplicaUnitFacts): ReplicaUnitView[] {
  const activeOn = new Map<number, string[]>();
  for (const a of f.active) {
    const parsed = parseReplicaUnit(a.unit);
    if (parsed === undefined || parsed.agent !== f.agent) continue;
    activeOn.set(parsed.replica, [...(activeOn.get(parsed.replica) ?? []), a.node].sort());
  }
  // The count's replicas, then any unit still active above it (what a scale-down drains).
  const above = [...activeOn.keys()].filter((k) => k > f.count).sort((a, b) => a - b);
  const replicas = [...Array.from({ length: f.count }, (_, i) => i + 1), ...above];
  return replicas.map((replica) => {
    const handled = f.handled.get(replica);
    const view: ReplicaUnitView =
      replica === 1
        ? { replica, node: f.agentNode, activeOn: f.agentActive && f.agentNode !== '' ? [f.agentNode] : [] }
        : { replica, node: f.nodeOf(replicaUnitName(f.agent, replica)) ?? '', activeOn: activeOn.get(replica) ?? [] };
    return handled === undefined ? view : { ...view, handled };
  });
}
