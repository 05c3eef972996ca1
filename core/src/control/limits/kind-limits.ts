/** The bounds of agent kinds (decisions 1980, 2060) and what a kind asks for itself (decision 2153). */
import { defineLimitTable, type LimitDeployment, type LimitRow } from './limit-table.js';

/**
 * The bounds of agent kinds (decision 1980): node-wide, not per-deployment agent limits. V8 reserves
 * ~10 GiB of address space per WebAssembly memory, and one process stopped at ~12,900 instances
 * (issue 30), so the node holds at most `maxActiveInstances` instances in memory, split evenly over
 * its shards; an activation past its shard's share is refused (`bus.activation-limit`, retried).
 */
export const KIND_LIMITS = Object.freeze({
  /** Instances in memory at once on one node, over all kinds and shards; also the ceiling of a kind's own cap (`--max-active`). */
  maxActiveInstances: 12_000,
  /** An instance idle this long is passivated, unless its kind says otherwise (`--idle`); see decision 1980 for the measurement. */
  defaultIdleMs: 30_000,
  /** What a sender refused `bus.activation-limit` is told to wait. */
  activationRetryAfterMs: 1_000,
  /**
   * Passivated instances with a pending timer the node remembers the next due time of: past it,
   * wakes are re-read from the registry when due, never lost. Measured ~350 bytes per entry with
   * 40-character names (map entry, heap entry, name), more for longer names, plus up to twice the
   * live entries in stale heap entries: the default costs up to ~350 MB–1 GB at its bound.
   */
  maxTimerWakes: 1_000_000,
  /** Due wakes one firing activates at most (the rest stay in the index, tried at the next drop or after `wakeRetryMs`). */
  maxWakesPerFiring: 256,
  /** How long due wakes that found no slot wait before they are tried again (a drop tries them sooner). */
  wakeRetryMs: 250,
  /** The shortest time between two rebuilds of a spilled wake index from the registry. */
  minWakeRefillIntervalMs: 1_000,
  /** A shard's slots kept free of timer wakes: this fraction of the shard's bound stays for mail (a wake burst cannot take every slot). */
  wakeHeadroom: 0.125,
  /** Pending timers one kind instance may have (a named agent may have 1,000): their records outlive the instance in the registry. */
  maxTimersPerInstance: 16,
  /**
   * How long a fired instance timer's registry delete waits for the log to show its commit counted
   * (decision 2060): the reader follows the partition, so normally milliseconds. Past it the timer is
   * left in the registry (its done marker makes whoever arms it next forget it): bytes, never a loss.
   */
  countedWithinMs: 10_000,
  /**
   * A cluster (decision 2060): the share of a partition's handed-out deliveries
   * (`maxPendingPerPartition`) that may wait on its owner for instances to be activated. Past it,
   * mail for one more instance that finds no slot is dead-lettered `bus.activation-limit` with a
   * failure to its sender (who retries, as on one node), so activation waits never fill the
   * partition's window and pause every agent and key on it.
   */
  activationWaitShare: 0.25,
  /** The ceiling of that cap in deliveries, whatever `maxPendingPerPartition` is configured to. */
  maxActivationWaitsPerPartition: 1_024,
  /**
   * The share of that cap one instance's waiting mail may hold (at least 1 delivery): the first key
   * to wait cannot take the whole cap and starve every later key on the partition.
   */
  activationWaitKeyShare: 0.125,
  /** A partition assigned to a node: its passivated instances' timers are read from the registry in pages of this many keys. */
  timerPageSize: 500,
  /**
   * The registry keys one walk of the instance timer TABLE may read (counted in pages of
   * `timerPageSize`). etcd counts the rest of the range at every page, so a walk of the table costs
   * O(n²) in its size (decision 2060): past this bound a node logs what it did not walk, and those
   * timers fire when mail reaches their instance or at the next assignment of their partition.
   * The walk of an assignment reads the per-partition wake index instead once it is complete
   * (decision 2060, *Wake index*), with no bound: this one applies to the table walk alone (the
   * index not swept yet, a spilled index's rebuild).
   */
  maxTimerKeysPerWalk: 100_000,
});

/**
 * What a kind asks for itself (decision 1980): `caxton deploy --kind K --idle / --max-active`, the
 * ArtifactHeader's `kind` (`idle_ms`, `max_active`), checked by the one check where a kind is deployed
 * (decision 2153; the two were checked by hand in the CLI and the node). The idle period's floor keeps
 * the passivation sweep from churning an instance between two messages; its ceiling, a day, is past
 * any idleness worth keeping memory for. A kind's cap is at most the node's own bound of instances.
 */
export const KIND_LIMIT_TABLE = {
  idleMs: {
    unit: 'ms',
    default: KIND_LIMITS.defaultIdleMs,
    min: 100,
    ceiling: 86_400_000,
    description: 'An instance of the kind idle this long is passivated: its state kept, its next message activates it again.',
    deploy: { flag: 'idle', wire: 'kind.idle_ms' },
  },
  maxActive: {
    unit: 'instances',
    computedDefault: `none: only the node's bound of ${KIND_LIMITS.maxActiveInstances.toLocaleString('en-US')} instances`,
    ceiling: KIND_LIMITS.maxActiveInstances,
    description: 'At most this many instances of the kind in memory at once; past it the least recently used idle one is passivated early.',
    deploy: { flag: 'max-active', wire: 'kind.max_active' },
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { deploy: LimitDeployment }>;

export type KindLimitName = keyof typeof KIND_LIMIT_TABLE;

/** A kind's settings given, each a whole number in its row (`field` `header`: named by their wire fields, `header.kind.idle_ms`). */
export const { check: checkKindTable } = defineLimitTable(KIND_LIMIT_TABLE, { what: 'kind setting', field: 'header' });

/**
 * Deliveries of one partition that may wait for activations (decision 2060): a quarter of the
 * partition's window, at least 1, at most `maxActivationWaitsPerPartition`.
 */
export function activationWaitCap(maxPendingPerPartition: number): number {
  const share = Math.floor(maxPendingPerPartition * KIND_LIMITS.activationWaitShare);
  return Math.min(KIND_LIMITS.maxActivationWaitsPerPartition, Math.max(1, share));
}

/** Deliveries one instance may have waiting for its activation, of a partition's `cap` (decision 2060): an eighth, at least 1. */
export function activationWaitsPerKey(cap: number): number {
  return Math.max(1, Math.floor(cap * KIND_LIMITS.activationWaitKeyShare));
}
