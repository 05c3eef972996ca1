/** The model of replicas on this node (decision 2010): a scaled agent and its replicas, their keys, and the options the node gives. */
import type { AgentStateStore } from '../../storage/ports.js';
import type { AgentRecord } from '../../storage/records.js';
import type { AgentHost } from '../agent-host.js';
import type { AgentMessaging } from '../agent-messaging.js';
import type { AgentLifecycleEvent } from '../local-agents.js';
import {
  REPLICA_LIMITS,
  parseReplicaUnit,
  replicaUnitName,
  type Instrumentation,
  type ReplicaBalancer,
  type ReplicaRewindError,
} from '@caxton/core';

/** Runs a scale the node decided by itself (back to one after a state write) as an audited change (decision 1701). */
export type ReplicasAudit = <T>(agent: string, fields: Record<string, string>, effect: () => Promise<T>) => Promise<T>;

export interface AgentReplicasOptions {
  host: AgentHost;
  messaging: AgentMessaging;
  events: Instrumentation<AgentLifecycleEvent>;
  state?: AgentStateStore | undefined;
  /** Records the count in the agent's registry record (restored at the next start); absent: not kept. */
  persist?: (name: string, replicas: number) => Promise<void>;
  /** Replica instances beyond the agents' own this node runs at once: 1 to (and absent:) `REPLICA_LIMITS.maxReplicaInstances`, else `limits.out-of-range` (decision 2154). */
  maxInstances?: number;
  /**
   * Whether recording `replicas` for the agent writes anything (it runs here, its record says another
   * count, and the count has a place to be kept): a settle that would write nothing is not audited.
   * Absent: every settle is audited.
   */
  writes?: (name: string, replicas: number) => boolean;
  /** The version running here now (re-read once new replicas have started: an upgrade meanwhile refuses the scale). */
  current?: (name: string) => AgentRecord | undefined;
  /**
   * Marks the agent's own instance failed (it takes no more work; a start reads its committed
   * state): replica 1's view could not be rewound after a dropped write. Absent: only logged (an
   * `AgentReplicas` used alone).
   */
  fail?: (name: string, err: ReplicaRewindError) => void;
}

/** The init config key a replica reads its number from (1 for the agent's own instance, which has none). */
export const REPLICA_CONFIG_KEY = 'caxton.replica';

/** The sandbox key of replica `n` (n ≥ 2) of `name`: the one `X#r<k>` shape, core's (decision 2093's units share it). */
export function replicaKey(name: string, n: number): string {
  return replicaUnitName(name, n);
}

/**
 * The highest replica number a node gives out: a scale-up takes numbers above the replicas still
 * draining, and every replica beyond the agent's own instance counts against the node's
 * `REPLICA_LIMITS.maxReplicaInstances`, so replicas are numbered 2..maxReplicaInstances + 1 (the
 * bound of the metrics' `replica` label too).
 */
export const MAX_REPLICA_NUMBER = REPLICA_LIMITS.maxReplicaInstances + 1;

/**
 * The agent and replica number of a replica's sandbox key (`svc#r2` → svc, 2, up to
 * MAX_REPLICA_NUMBER); undefined for any other key. Core's one parse of the `X#r<k>` shape, with
 * this node's own bound (a unit across nodes stops at REPLICA_LIMITS.maxReplicas).
 */
export function parseReplicaKey(key: string): { agent: string; replica: number } | undefined {
  return parseReplicaUnit(key, MAX_REPLICA_NUMBER);
}

export interface Replica {
  n: number;
  key: string;
  /** Being removed: takes no new work, stops once the agent's handling in hand finished. */
  draining: boolean;
  /** Crash-looped past its restart policy: takes nothing, and is removed. */
  failed?: boolean;
}

export interface Scaled {
  name: string;
  replicas: Map<number, Replica>;
  balancer: ReplicaBalancer;
  /** Items handed to each replica and not yet finished. */
  inHand: Map<number, number>;
  /** Told whenever a replica's items in hand are finished (a drain waits for its leaving replicas only). */
  settled: Set<() => void>;
  /** A handling wrote the agent's own state since the scaling began (a scale-up under way is refused by it). */
  wrote: boolean;
}

/** Resolves once none of `replicas` holds an item. */
export function untilFinished(s: Scaled, replicas: readonly Replica[]): Promise<void> {
  const done = (): boolean => replicas.every((r) => (s.inHand.get(r.n) ?? 0) === 0);
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (!done()) return;
      s.settled.delete(check);
      resolve();
    };
    s.settled.add(check);
  });
}

/** The replicas that take work (not draining), by number. */
export function activeNumbers(s: Scaled): number[] {
  return [...s.replicas.values()].filter((r) => !r.draining).map((r) => r.n);
}
