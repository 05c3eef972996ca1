/**
 * Chooses the node's topology from its options: cluster when Kafka or etcd is configured (both are
 * required, see cluster-topology.ts), embedded otherwise. The only place that tells them apart.
 */
import type { TopologyOptions } from './topology-options.js';
import type { Topology } from './topology.js';
import { openEmbeddedTopology } from './embedded/embedded-topology.js';
import { openClusterTopology } from './cluster/cluster-topology.js';

export function openTopology(options: TopologyOptions, dataDir: string, nodeId: string, platform: string): Promise<Topology> {
  if (options.kafka || options.etcd) return openClusterTopology(options, dataDir, nodeId, platform);
  return openEmbeddedTopology(options, dataDir, nodeId);
}
