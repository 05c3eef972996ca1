/**
 * Cluster-mode settings of a node (`caxton serve --kafka … --etcd …`), their defaults and why.
 *
 * Failover after a node dies is bounded by the slower of two detectors: the etcd membership lease
 * (placement hands the dead node's agents to the survivors) and the Kafka consumer session (the
 * group hands its partitions over). Both defaults are as short as a production network allows:
 * the session's 6 s is the broker's default `group.min.session.timeout.ms` (a shorter one is
 * refused unless the broker is configured for it), and the 5 s lease expires before it, so the
 * agents are already claimed when their partitions arrive. Measured failover: docs/cluster.md.
 */
import {
  CaxtonError,
  checkClusterTable,
  checkKafkaRequestTable,
  CLUSTER_LIMIT_TABLE,
  DEFAULT_CLUSTER_LIMITS,
  tableRowsOf,
} from '@caxton/core';
import type { KafkaRequestShape } from '../../log/kafka/options.js';

/**
 * The most absent deliveries one partition keeps, whatever the consumer window (decision 2157):
 * every send to an absent agent rewrites its partition's shared count in etcd, one entry per
 * delivery of at most ~620 bytes (a 257-character instance name twice, an id, a time); 1,024 keeps
 * the record under ~640 KB, within etcd's default 1.5 MiB request. The default window's half is 128.
 */
export const ABSENT_PER_PARTITION_MAX = 1_024;

export interface ClusterOptions {
  /**
   * Cluster name: nodes with the same name (and the same Kafka and etcd) form one cluster. It
   * scopes the etcd keys (`/caxton/<name>/`), the Kafka topics (`caxton.<name>.deliveries`,
   * `.dead-letters`) and the consumer group (`caxton.<name>.bus`). Default `default`.
   */
  name?: string;
  /** Membership lease TTL in whole seconds (etcd leases are whole seconds), 1..86,400 (core's CLUSTER_LIMIT_TABLE). Default 5. */
  leaseTtlSeconds?: number;
  /** Kafka consumer session timeout (ms); heartbeats go every fifth of it. Default 6000. */
  sessionTimeoutMs?: number;
  /**
   * Partitions of the deliveries topic; caps the useful node count. Unset: create it with 12 and
   * accept the count of an existing topic. Set (1..4,096, core's CLUSTER_LIMIT_TABLE): a topic with another count is refused at start-up.
   */
  partitions?: number;
  /** How long a node lets an agent's in-flight work finish before handing it to another node. Default 5000. */
  drainTimeoutMs?: number;
  /** Start-up gives up on Kafka after this long (nothing answering at all; a refused port fails at once). Default 10000. */
  kafkaOpenTimeoutMs?: number;
  /**
   * A completion is recorded only if the membership lease outlives it by this margin (ms): the
   * time a Kafka offset commit may take (decision 0702's `withinMs`). Default 1000.
   */
  completionWithinMs?: number;
  /**
   * Deliveries of one partition handed out and not yet completed before the node stops fetching
   * that partition (the Kafka consumer's window). Default 256. Absent agents' queues (decision 1990)
   * are such deliveries: one partition's absent agents hold at most half of it together
   * (`absentPerPartition`), so they never stall the partition's other agents.
   */
  maxPendingPerPartition?: number;
  /**
   * The Kafka client's request shape (linger before a produce or commit, the fetch's minBytes and
   * wait): defaults and ranges in core's KAFKA_REQUEST_LIMIT_TABLE, measurements in decision 2100.
   */
  kafkaRequests?: KafkaRequestShape;
}

export interface ResolvedClusterOptions {
  name: string;
  etcdPrefix: string;
  topicPrefix: string;
  groupId: string;
  leaseTtlSeconds: number;
  sessionTimeoutMs: number;
  partitions: number | undefined;
  drainTimeoutMs: number;
  kafkaOpenTimeoutMs: number;
  completionWithinMs: number;
  maxPendingPerPartition: number;
  /** Half the window (decision 1990, *Cluster*): what a partition's absent queues hold together at most. */
  absentPerPartition: number;
  /** Only the values given (the Kafka log fills in the defaults), each checked against its row of KAFKA_REQUEST_LIMIT_TABLE. */
  kafkaRequests: KafkaRequestShape;
}

/** Usable in an etcd key, a Kafka topic name and a consumer group id alike. */
const NAME_RULE = /^[a-z0-9][a-z0-9_-]{0,47}$/;

/** The defaults, from core's CLUSTER_LIMIT_TABLE (decisions 2149, 2153) but for the name. */
export const CLUSTER_DEFAULTS = {
  name: 'default',
  leaseTtlSeconds: DEFAULT_CLUSTER_LIMITS.leaseTtlSeconds,
  sessionTimeoutMs: DEFAULT_CLUSTER_LIMITS.sessionTimeoutMs,
  drainTimeoutMs: DEFAULT_CLUSTER_LIMITS.drainTimeoutMs,
  kafkaOpenTimeoutMs: DEFAULT_CLUSTER_LIMITS.kafkaOpenTimeoutMs,
  completionWithinMs: DEFAULT_CLUSTER_LIMITS.completionWithinMs,
  maxPendingPerPartition: DEFAULT_CLUSTER_LIMITS.maxPendingPerPartition,
} as const;

function invalid(what: string, hint: string): CaxtonError {
  return new CaxtonError('node.cluster-config', what, { kind: 'internal', hint });
}

export function resolveClusterOptions(o: ClusterOptions = {}): ResolvedClusterOptions {
  const name = o.name ?? CLUSTER_DEFAULTS.name;
  if (!NAME_RULE.test(name)) {
    throw invalid(
      `cluster name "${name}" is not usable`,
      'use 1-48 characters: lower-case letters, digits, "_" and "-", starting with a letter or digit',
    );
  }
  // Every number is a row of core's CLUSTER_LIMIT_TABLE or KAFKA_REQUEST_LIMIT_TABLE (decisions 2149, 2153):
  // startNode checked them first, with the same checks; a value out of its row is limits.out-of-range.
  const rows = { ...DEFAULT_CLUSTER_LIMITS, partitions: undefined, ...checkClusterTable(tableRowsOf(CLUSTER_LIMIT_TABLE, o)) };
  const kafkaRequests: KafkaRequestShape = checkKafkaRequestTable(o.kafkaRequests ?? {}, 'cluster.kafkaRequests');
  return {
    name,
    etcdPrefix: `/caxton/${name}/`,
    topicPrefix: `caxton.${name}`,
    groupId: `caxton.${name}.bus`,
    leaseTtlSeconds: rows.leaseTtlSeconds,
    sessionTimeoutMs: rows.sessionTimeoutMs,
    // Unset: the topic's own count (a new topic gets the row's default where it is created).
    partitions: rows.partitions,
    drainTimeoutMs: rows.drainTimeoutMs,
    kafkaOpenTimeoutMs: rows.kafkaOpenTimeoutMs,
    completionWithinMs: rows.completionWithinMs,
    maxPendingPerPartition: rows.maxPendingPerPartition,
    absentPerPartition: Math.min(Math.floor(rows.maxPendingPerPartition / 2), ABSENT_PER_PARTITION_MAX),
    kafkaRequests,
  };
}
