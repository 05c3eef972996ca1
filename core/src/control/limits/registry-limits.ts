/** The registry's retries of an etcd compare-and-swap. */

/** How many times an etcd compare-and-swap is tried when another writer got in between, before the write is refused. */
export const REGISTRY_CAS_ATTEMPTS = Object.freeze({
  /** A DF entry's update (etcd-registry.ts). */
  dfEntry: 5,
  /** An agent record's field update (the replica count, etcd-registry.ts `updateAgent`). */
  agentRecord: 5,
  /** A timer and its wake, written or deleted in one transaction (registry/etcd/timers.ts). */
  timerAndWake: 8,
  /** The cluster's replica mode recorded at a node's start (registry/etcd/replica-mode.ts, decision 2097). */
  replicaMode: 5,
  /**
   * A partition's shared count of absent queues (registry/etcd/absent-counts.ts, decision 2157): a
   * node's sends to the partition's absent agents go in one transaction, but other nodes' sends and
   * the holder's publication may get in between.
   */
  absentCount: 8,
});
