/** A cluster member's lease, partitions, Kafka session and hand-off (decision 2149). */
import { defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * A cluster member's membership lease, the deliveries topic's partitions (decision 2149) and its Kafka
 * session: `caxton serve --lease-ttl / --partitions / --kafka-session-timeout`,
 * `startNode({ cluster: { leaseTtlSeconds, partitions, sessionTimeoutMs } })`.
 * Ceilings (not measured; what the node can keep to, with room): a lease of a day — a dead node's
 * agents unowned for longer serve no failover, and its keep-alive timer (a third of it) stays far
 * inside a timer's 24.8 days; 4,096 partitions — Kafka's guidance is a few thousand per broker, the
 * node that owns them all keeps a window of deliveries for each, and the count caps the useful
 * number of nodes far beyond any cluster this runs. The partitions' default is the count a new
 * topic is created with; a topic that exists keeps its own when the flag is not given. The session's
 * ceiling is the broker's default group.max.session.timeout.ms; the flagless durations' ten minutes
 * is past any hand-off or start-up anyone waits for (judgements, like the lease's).
 */
export const CLUSTER_LIMIT_TABLE = {
  leaseTtlSeconds: {
    unit: 'seconds',
    default: 5,
    ceiling: 86_400,
    description: "Cluster membership lease: how long a dead node's agents wait for a new owner (etcd leases are whole seconds).",
    serve: 'lease-ttl',
    flagDigitsOnly: true,
  },
  partitions: {
    unit: 'partitions',
    default: 12,
    defaultWhen: "when the node creates the topic; else the topic's own count",
    ceiling: 4_096,
    description:
      'Partitions of the deliveries topic when the node creates it (a topic that exists keeps its count; a flag that differs from it is refused at start); all nodes must agree.',
    serve: 'partitions',
    flagDigitsOnly: true,
  },
  sessionTimeoutMs: {
    unit: 'ms',
    default: 6_000,
    min: 1_000,
    ceiling: 1_800_000,
    description:
      "Kafka consumer session: a dead node's partitions move after this. It must also lie within the broker's group.min/max.session.timeout.ms (6,000..1,800,000 by default): the ceiling is the broker's default maximum.",
    serve: 'kafka-session-timeout',
    flagDigitsOnly: true,
  },
  // Rows without a flag (drainTimeoutMs, completionWithinMs, maxPendingPerPartition): an embedder sets them (`startNode({ cluster })`), checked by the same check.
  drainTimeoutMs: {
    unit: 'ms',
    default: 5_000,
    min: 0,
    ceiling: 600_000,
    description: "How long a hand-off lets an agent's in-flight work finish before it moves; the agent takes nothing new meanwhile.",
  },
  kafkaOpenTimeoutMs: {
    unit: 'ms',
    default: 10_000,
    min: 500,
    ceiling: 600_000,
    description:
      "How long start-up waits for Kafka (the broker's answer, the topics' leaders, the first consumer-group assignment) before it fails, typed.",
    serve: 'kafka-open-timeout',
    flagDigitsOnly: true,
  },
  completionWithinMs: {
    unit: 'ms',
    default: 1_000,
    min: 0,
    ceiling: 600_000,
    description: 'Margin a completion must be recorded within before the membership lease runs out; keep it well below the lease.',
  },
  maxPendingPerPartition: {
    unit: 'count',
    default: 256,
    min: 2,
    ceiling: 65_536,
    description:
      "Deliveries the consumer hands out per partition before it pauses that partition; half of it is what absent agents' queues hold per partition (decision 1990).",
  },
} as const satisfies Record<string, LimitRow & { default: number; serve?: string; flagDigitsOnly?: true }>;

export type ClusterLimitName = keyof typeof CLUSTER_LIMIT_TABLE;
export type ClusterLimits = LimitsOf<typeof CLUSTER_LIMIT_TABLE>;

/** The cluster limits given: each a whole number in its row (the defaults are applied where they differ by meaning: an unset partition count accepts the topic's). */
export const { defaults: DEFAULT_CLUSTER_LIMITS, check: checkClusterTable } = defineLimitTable(CLUSTER_LIMIT_TABLE, {
  what: 'cluster limit',
  field: 'cluster',
});
