/**
 * Which node consumes which partition, and so which node runs which agent in Kafka mode
 * (docs/decisions/0600-kafka-bus-partitioning.md). The unit of placement is the partition: agent X
 * lives where partition partitionFor(X) is consumed, and that partition goes to the rendezvous
 * (HRW) winner of the key `kafka-partition:<p>` among the live nodes — the same hash the
 * PlacementController uses (placement/rendezvous.ts). So placement can compute an agent's node
 * from the etcd membership alone, and the consumer group computes the same answer from its members.
 */
import { replicaUnitName } from '@caxton/core';
import { ownerOf } from '../../placement/rendezvous.js';
import { partitionFor } from './partitioner.js';

/** The placement key of an agent in Kafka mode: give this to rendezvous `ownerOf` instead of the agent name. */
export function placementKey(receiver: string, partitions: number): string {
  return partitionKey(partitionFor(receiver, partitions));
}

export function partitionKey(partition: number): string {
  return `kafka-partition:${partition}`;
}

/** The node that should consume `partition`, among `nodes` (undefined when there are none). */
export function partitionOwner(partition: number, nodes: readonly string[]): string | undefined {
  return ownerOf(partitionKey(partition), nodes);
}

/**
 * The node a keyed instance of an agent kind runs on in a Kafka cluster (decision 2060): key →
 * partition by Kafka's keyed hash of the instance name (`counter/alice`), partition → node by
 * rendezvous over the live nodes. Two steps of consistent hashing and no per-key record anywhere:
 * every node computes it alike. Losing a node moves exactly the instances of its partitions, each
 * partition to its runner-up; a joining node takes only the partitions it now wins.
 */
export function instanceNode(instance: string, partitions: number, nodes: readonly string[]): string | undefined {
  return ownerOf(placementKey(instance, partitions), nodes);
}

/**
 * The node each replica of a scaled agent runs on in a Kafka cluster (decision 2093): replica k is
 * the placement unit `agent#r<k>` (replica 1 the agent itself), placed as a kind's instance is —
 * its own partition, that partition's rendezvous owner. Index 0 is replica 1. Each unit lands
 * independently, so N replicas cover about M·(1 − (1 − 1/M)^N) of M nodes on average, not always N:
 * spread is by hashing, as for keys, with no per-replica record to balance it.
 */
export function replicaUnitNodes(agent: string, replicas: number, partitions: number, nodes: readonly string[]): (string | undefined)[] {
  return Array.from({ length: replicas }, (_, i) => instanceNode(replicaUnitName(agent, i + 1), partitions, nodes));
}

export interface GroupMember {
  memberId: string;
  nodeId: string;
}

/**
 * Assign partitions 0..n-1 to group members: each to the member whose node is the rendezvous
 * owner. Two members claiming the same node id (a restarted node whose old session has not expired
 * yet) cannot both get it: the lowest member id does, and the stale one is evicted on its own.
 * Every member appears in the result, possibly with no partitions.
 */
export function assignPartitions(partitions: number, members: readonly GroupMember[]): Map<string, number[]> {
  const out = new Map<string, number[]>(members.map((m) => [m.memberId, []]));
  const byNode = new Map<string, string>();
  for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
    if (!byNode.has(m.nodeId)) byNode.set(m.nodeId, m.memberId);
  }
  const nodes = [...byNode.keys()];
  for (let p = 0; p < partitions; p++) {
    const node = partitionOwner(p, nodes);
    if (node !== undefined) out.get(byNode.get(node)!)!.push(p);
  }
  return out;
}
