/** The model of agent kinds (decision 1980): a kind and its instances in memory, and the pure helpers that name and place them. */
import { CaxtonError, type HandlingCosts } from '@caxton/core';
import type { AgentRecord } from '../../storage/records.js';

/** Config keys the node sets in every instance's init config (decision 1980); a deployer's values for them are replaced. */
export const KIND_CONFIG_KEY = 'caxton.kind';
export const INSTANCE_CONFIG_KEY = 'caxton.key';

/** `reserved`: a send routed to it holds a slot of its shard, and it starts once mail for it was appended (decision 1980). */
export type InstanceState = 'reserved' | 'activating' | 'running' | 'passivating';

export interface Instance {
  readonly name: string;
  readonly key: string;
  readonly shard: number;
  state: InstanceState;
  /** When it last took work (or was activated): passivated once idle this long past the kind's period. */
  lastActive: number;
  /** The kind version it runs. */
  version: number;
  /** Its activation, while one is under way: a kind's stop waits for it. */
  starting?: Promise<void>;
  /** A cluster: the partition's tenure it was activated under (see `placed.tenureOf`). */
  tenure?: number;
}

export interface Kind {
  record: AgentRecord;
  readonly instances: Map<string, Instance>;
  passivated: number;
  activations: number;
  failed: number;
  /** Instances passivated early to make room under the kind's own cap (`maxActive`). */
  evicted: number;
  /** Instances passivated to make room for an instance of a higher priority class (decision 2187). */
  preempted: number;
  /** What its instances' handlings on this node cost since the kind was added here (decision 2184); absent: none yet. */
  costs?: HandlingCosts;
  /** Set while the kind is being stopped: nothing new activates. */
  stopping: boolean;
  /** The stop under way (a cluster's redeploy seen meanwhile waits for it, then adds the kind afresh). */
  stopped?: Promise<unknown>;
}

/** An operation agent kinds do not have (yet): typed, with what to do instead (decision 1980). */
export class KindUnsupportedError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('agent.kind-unsupported', message, { kind: 'failed-precondition', hint });
  }
}

/**
 * Did an activation fail for a reason that passes (the node unavailable or shutting down, a pool
 * or shard closed, a state read or a memory reservation failing)? Such mail is not the instance's
 * fault: it must wait, durable, not be dead-lettered as if the instance could never start.
 */
export function isPassingActivationError(err: unknown): boolean {
  if (err instanceof CaxtonError) return err.kind === 'unavailable' || err.kind === 'resource-exhausted';
  return false;
}

/**
 * What one instance starts from: the kind's record under the instance's name (so its state, logs
 * and stats are its own), with its kind and key in its init config. No `kind` (it is no kind) and
 * no `previous` (rollback is the kind's).
 */
export function instanceRecord(kind: AgentRecord, name: string, key: string): AgentRecord {
  const { kind: _kind, previous: _previous, rollout: _rollout, ...rest } = kind;
  return { ...rest, name, config: { ...kind.config, [KIND_CONFIG_KEY]: kind.name, [INSTANCE_CONFIG_KEY]: key } };
}

/** The shard an instance goes to: FNV-1a of its name, so a key always lands on the same shard. */
export function shardOf(name: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
