/**
 * Cluster storage: the bus on Kafka, the registry, artifacts and placement on etcd.
 * (Being wired: see openClusterStorage below.)
 */
import { CaxtonError } from '../errors.js';
import type { NodeStorage } from './storage.js';
import type { StartNodeOptions } from './options.js';

export async function openClusterStorage(options: StartNodeOptions, _dataDir: string, _nodeId: string): Promise<NodeStorage> {
  if (!options.kafka || !options.etcd) {
    throw new CaxtonError('node.cluster-config', 'cluster mode needs both --kafka and --etcd', {
      hint: 'pass both (the bus lives in Kafka, the registry and placement in etcd), or neither for the embedded defaults',
    });
  }
  throw new CaxtonError('node.cluster-unavailable', 'cluster mode is not wired into this build yet', { hint: 'run without --kafka/--etcd' });
}
