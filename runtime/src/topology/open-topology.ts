/**
 * Chooses the node's topology from its options: cluster when Kafka or etcd is configured (both are
 * required, see cluster-topology.ts), embedded otherwise. The only place that tells them apart.
 * The cluster topology is imported when it is chosen: it brings kafkajs, etcd3 and cockatiel, which
 * a node on the embedded log and registry never uses (gRPC and protobufjs load anyway, for the API
 * server; decision 2146).
 */
import type { TopologyOptions } from './topology-options.js';
import type { Topology } from './topology.js';
import { openEmbeddedTopology } from './embedded/embedded-topology.js';

export async function openTopology(options: TopologyOptions, dataDir: string, nodeId: string, platform: string): Promise<Topology> {
  if (options.kafka || options.etcd) {
    const { openClusterTopology } = await import('./cluster/cluster-topology.js');
    return openClusterTopology(options, dataDir, nodeId, platform);
  }
  return openEmbeddedTopology(options, dataDir, nodeId);
}
