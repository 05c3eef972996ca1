/**
 * The union of storage ports a registry adapter implements. Embedded (`registry/embedded/`, durable
 * on local disk) by default; etcd (`registry/etcd/`) in a cluster. The registry's records (deployed
 * agents, cluster nodes, timers, change events) are defined in storage/records.ts.
 */
import type { AgentStore, DirectoryStore, MembershipStore, RegistryWatch, TimerStore, TopicStore } from '../storage/ports.js';

/**
 * Everything one registry adapter (embedded, etcd) implements: the union of the storage ports it
 * backs with one store. Only adapters and topologies see it; the node's consumers take one port
 * each (storage/ports.ts).
 */
export interface RegistryStore extends AgentStore, DirectoryStore, TimerStore, TopicStore, MembershipStore, RegistryWatch {
  open(): Promise<void>;
  close(): Promise<void>;
}
