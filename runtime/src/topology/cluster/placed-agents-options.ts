/** What the cluster topology gives its residency (placed-agents.ts): the registry, the mirror of deployments, and the bus's partitions. */
import type { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';
import type { ClusterDeployments } from './deployments.js';

export interface PlacedAgentsOptions {
  registry: EtcdRegistry;
  deployments: ClusterDeployments;
  /** The deliveries-topic partition of an agent (placement follows it). */
  partitionOf: (agent: string) => number;
  /** Margin a completion asks of the membership lease (ms), see ClusterOptions.completionWithinMs. */
  completionWithinMs: number;
  /** Absent deliveries one partition may hold (decision 1990, *Cluster*): see ClusterOptions.maxPendingPerPartition. */
  absentPerPartition: number;
  /**
   * Deliveries of one partition that may wait on this node for instances of kinds to be activated
   * (`activationWaitCap(maxPendingPerPartition)`, decision 2060); absent: uncapped.
   */
  activationWaitCap?: number;
  /** The deliveries topic's retention (ms): an absent TTL stays an hour below it (decision 1990). */
  retentionMs: number;
  /**
   * True once this node consumes the agent's partition and has read the agents' state in it
   * (KafkaMessageLog.stateLoaded); false while the partition is not assigned here yet.
   */
  stateLoaded: (agent: string) => Promise<boolean>;
}
