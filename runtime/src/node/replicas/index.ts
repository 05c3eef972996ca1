/** Replicas behind one name (decision 2010): on one node, and a cluster's recorded count (decisions 2091, 2168). */
export { AgentReplicas } from './agent-replicas.js';
export { ClusterReplicaCounts } from './cluster-replica-counts.js';
export {
  MAX_REPLICA_NUMBER,
  REPLICA_CONFIG_KEY,
  parseReplicaKey,
  replicaKey,
  type AgentReplicasOptions,
  type ReplicasAudit,
} from './replica-model.js';
