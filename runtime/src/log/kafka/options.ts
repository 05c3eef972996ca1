/**
 * Options of the Kafka message log, with the defaults and why they are what they are.
 */
import os from 'node:os';
import type { RecordKeyRing } from './record-mac.js';
import {
  checkKafkaRequestTable,
  DEFAULT_KAFKA_REQUEST_LIMITS,
  resolveStateSweepLimits,
  type KafkaRequestLimits,
  type StateSweepLimits,
} from '@caxton/core';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Where kafkajs' own log lines go (it logs transient errors loudly during broker restarts). */
export type KafkaLogSink = (entry: { level: KafkaLogLevel; namespace: string; message: string; extra: Record<string, unknown> }) => void;

/**
 * What the log tells observers (the log's `events`, an Instrumentation: docs/decisions/1106-instrumentation.md);
 * none of them needs an action to stay correct.
 */
export type KafkaLogEvent =
  | { type: 'assignment'; partitions: readonly number[] }
  | { type: 'consumer-crash'; error: Error; restart: boolean }
  | { type: 'undecodable'; partition: number; offset: string; error: string }
  /**
   * A record without a valid tag of the cluster's record keys (decision 2185): not believed. A
   * delivery is dead-lettered (`deadLettered`; said false when its write to the dead letters gave
   * up: `dead-letter-failed`), a state record or dead letter is skipped.
   */
  | { type: 'record-refused'; topic: string; partition: number; offset: string; reason: string; deadLettered: boolean }
  /**
   * A record could not be moved to the dead letters (a refused one, an undecodable one): it stays
   * pending (holding back its partition's commits) and is tried again after a backoff while
   * `retrying`; after the last attempt it waits for the next restart or rebalance to hand it out again.
   */
  | { type: 'dead-letter-failed'; partition: number; offset: string; attempt: number; error: string; retrying: boolean }
  /**
   * A delivery read from a partition other than its receiver's home (decision 2189: written before
   * its placement key was known) was appended to `to`, and completed where it was read.
   */
  | { type: 'relocated'; receiver: string; id: string; partition: number; offset?: string; to: number }
  | { type: 'handler-error'; error: unknown }
  | { type: 'append-retry'; attempt: number; error: string }
  | { type: 'commit-retry'; attempt: number; error: string }
  /**
   * Completions whose state commit (and marker) is durable, their offset commit not confirmed in
   * time: completed all the same (decision 1602), the marker naming them until an offset commit does.
   */
  | { type: 'commit-deferred'; ids: string[]; error: string }
  /**
   * As commit-deferred, but the agents' markers are full (decision 1602): complete() waits for the
   * offsets, each wait that failed said here (`waits` so far); the agents go no further meanwhile.
   */
  | { type: 'commit-awaited'; agents: string[]; waits: number; error: string }
  /** The agents' state of an assigned partition could not be read; its deliveries wait, it is retried. */
  | { type: 'state-load-failed'; partition: number; error: string }
  /** The owner could not re-write keys a stale owner's late records would hide at compaction (decision 1800); retried at the next load. */
  | { type: 'state-repair-failed'; partition: number; error: string }
  /** The owner swept a state partition: keys tombstoned, records re-written, old claims retired (decision 1800). */
  | { type: 'state-swept'; partition: number; tombstones: number; rewritten: number; retired: number; claims: number }
  /** A sweep run could not be produced; the next run (its interval later) plans again. */
  | { type: 'state-sweep-failed'; partition: number; error: string }
  /** One produce request of deliveries acknowledged (metrics, decision 1301): built only for a listener. */
  | { type: 'produced'; records: number; seconds: number }
  /** A batch fetched from a partition: its deliveries handed to the bus and the partition's lag behind its end. */
  | { type: 'consumed'; partition: number; records: number; lag: number };

/** TLS to the brokers: PEM text (the caller reads the files). No `ca` = the system's roots. */
export interface KafkaTlsOptions {
  ca?: string[];
  /** Client certificate and key, for brokers that require them (`ssl.client.auth=required`). */
  cert?: string;
  key?: string;
}

/** SASL authentication; SCRAM keeps the password off the wire, PLAIN only makes sense over TLS. */
export interface KafkaSaslOptions {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

export interface KafkaMessageLogOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** Cluster name: nodes with the same name share one consumer group (and so the partitions). */
  cluster?: string;
  /** Override the consumer group id (default `<topicPrefix>.bus.<cluster>`). */
  groupId?: string;
  /** Topics are `<prefix>.deliveries`, `<prefix>.dead-letters` and `<prefix>.state`. Default `caxton`. */
  topicPrefix?: string;
  /** kafkajs client id; default `caxton-<host>-<pid>`, which shows in broker logs and quotas. */
  clientId?: string;
  /**
   * This node's id, as in the cluster membership (etcd). Partitions are assigned to nodes by
   * rendezvous hashing of their ids (partition-placement.ts); default: the client id.
   */
  nodeId?: string;
  /**
   * Partitions of the deliveries topic. Used when creating it; if the topic exists with another
   * count, open() fails, because changing it re-routes receivers (and breaks per-receiver order).
   * Unset: create with 12, accept whatever exists. It caps how many nodes share the load.
   */
  partitions?: number;
  /** Replication factor when creating topics; default min(3, number of brokers). */
  replicationFactor?: number;
  /** retention.ms of the deliveries topic when creating it; default 7 days. An unhandled delivery
   *  older than this is lost, so keep it well above the longest outage you plan to survive. */
  retentionMs?: number;
  /** TCP connect timeout per attempt; short so a dead address fails open() in seconds. Default 3000. */
  connectionTimeoutMs?: number;
  /** Per-request timeout. Default 10000. */
  requestTimeoutMs?: number;
  /** open() gives up after this long. Default 15000. */
  openTimeoutMs?: number;
  /** append() keeps retrying (e.g. across a broker restart) this long, then rejects. Default 30000. */
  appendTimeoutMs?: number;
  /** complete()/deadLetter() keep retrying their commit this long, then reject. Default 60000. */
  commitTimeoutMs?: number;
  /** Handed out but not completed, per partition; the partition pauses when reached. Default 256. */
  maxPendingPerPartition?: number;
  /** Deliveries per produce request (appends waiting meanwhile are grouped). Default 500. */
  maxAppendBatch?: number;
  /**
   * Milliseconds an idle producer (deliveries, agents' state) or commit queue waits before its
   * first request, so that more appends and completions share one request. See core's KAFKA_REQUEST_LIMIT_TABLE.
   */
  lingerMs?: number;
  /** The deliveries consumer's fetch shape (kafkajs `minBytes`, `maxWaitTimeInMs`, `maxBytesPerPartition`). See core's KAFKA_REQUEST_LIMIT_TABLE. */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  fetchMaxBytesPerPartition?: number;
  /** How many completed ids hasCompleted() remembers. Default 100000. */
  completedWindow?: number;
  /**
   * Records read back below the committed offset when this node takes a partition, to put the
   * completed deliveries' ids back in the window (decision 1801). Default: completedWindow divided
   * by the partition count. 0 turns the read-back off.
   */
  windowRebuildRecords?: number;
  /**
   * Test seam (decision 1800): awaited in complete() after the ownership check and before the
   * state records are produced, so a test can hold a completion inside the rebalance window.
   */
  beforeStateCommit?: (agent: string, ids: readonly string[]) => Promise<void>;
  /**
   * The owner's sweep of the state partitions (decision 1800): when old claims are retired, how
   * many records a run writes, how often a partition is swept. Defaults and ranges: core's
   * STATE_SWEEP_LIMIT_TABLE.
   */
  stateSweep?: Partial<StateSweepLimits>;
  /** Test seam: awaited between a sweep run's plan and its produce (state-sweep.ts). */
  beforeStateSweep?: (partition: number) => Promise<void>;
  /**
   * Test seam: awaited before each offset commit attempt; a rejection fails the attempt as a
   * coordinator that refuses it would (the commit queue retries it until its waiters' deadline).
   */
  beforeOffsetCommit?: () => Promise<void>;
  /** Consumer session timeout: how long before a silent node's partitions move. Default 10000. */
  sessionTimeoutMs?: number;
  logger?: KafkaLogSink;
  /** Encrypt the connections to the brokers (decision 1404). */
  tls?: KafkaTlsOptions;
  /** Authenticate to the brokers (decision 1404). */
  sasl?: KafkaSaslOptions;
  /**
   * The cluster's record keys (decision 2185): every record produced is signed with the first,
   * every record read must carry a valid tag of one of them. Unset: nothing signed, nothing checked.
   */
  recordKeys?: RecordKeyRing;
  /**
   * The placement key of a receiver (decision 2189): its partition is partitionFor(key), so an agent
   * deployed `--near` another shares its partition. Given by the topology (the log does not read the
   * registry); the key of one receiver never changes while it is deployed. Unset: its name.
   */
  placementKeyOf?: (receiver: string) => string;
}

export type ResolvedKafkaOptions = Required<
  Omit<
    KafkaMessageLogOptions,
    | 'partitions'
    | 'replicationFactor'
    | 'logger'
    | 'tls'
    | 'sasl'
    | 'recordKeys'
    | 'placementKeyOf'
    | 'windowRebuildRecords'
    | 'beforeStateCommit'
    | 'stateSweep'
    | 'beforeStateSweep'
    | 'beforeOffsetCommit'
  >
> &
  Pick<
    KafkaMessageLogOptions,
    | 'partitions'
    | 'replicationFactor'
    | 'tls'
    | 'sasl'
    | 'recordKeys'
    | 'placementKeyOf'
    | 'windowRebuildRecords'
    | 'beforeStateCommit'
    | 'beforeStateSweep'
    | 'beforeOffsetCommit'
  > & {
    stateSweep: StateSweepLimits;
    logger: KafkaLogSink;
    deliveriesTopic: string;
    deadLetterTopic: string;
    /** Agents' state (decision 1602): compacted, partitioned like the deliveries. */
    stateTopic: string;
  };

/** The request shape as an operator sets it (each value optional; defaults and ranges: core's KAFKA_REQUEST_LIMIT_TABLE). */
export type KafkaRequestShape = Partial<KafkaRequestLimits>;

/**
 * The request shape this log runs with: the values given, checked by core's one check (a value out
 * of its row is `limits.out-of-range`, named `KafkaMessageLog.<setting>`), the rest the rows' defaults.
 */
function requestShape(o: KafkaMessageLogOptions): KafkaRequestLimits {
  const given = checkKafkaRequestTable(
    {
      lingerMs: o.lingerMs,
      fetchMinBytes: o.fetchMinBytes,
      fetchMaxWaitMs: o.fetchMaxWaitMs,
      fetchMaxBytesPerPartition: o.fetchMaxBytesPerPartition,
    },
    'KafkaMessageLog',
  );
  return { ...DEFAULT_KAFKA_REQUEST_LIMITS, ...given };
}

/** Default sink: kafkajs errors to stderr, the rest dropped (transient errors retry on their own). */
const stderrErrors: KafkaLogSink = (e) => {
  if (e.level === 'error') process.stderr.write(`[kafka] ${e.namespace}: ${e.message}\n`);
};

export function resolveOptions(o: KafkaMessageLogOptions): ResolvedKafkaOptions {
  if (o.brokers.length === 0) throw new RangeError('KafkaMessageLog needs at least one broker address');
  const topicPrefix = o.topicPrefix ?? 'caxton';
  const cluster = o.cluster ?? 'default';
  const clientId = o.clientId ?? `caxton-${os.hostname()}-${process.pid}`;
  return {
    brokers: [...o.brokers],
    cluster,
    topicPrefix,
    groupId: o.groupId ?? `${topicPrefix}.bus.${cluster}`,
    clientId,
    nodeId: o.nodeId ?? clientId,
    partitions: o.partitions,
    replicationFactor: o.replicationFactor,
    retentionMs: o.retentionMs ?? 7 * 24 * 3600_000,
    connectionTimeoutMs: o.connectionTimeoutMs ?? 3000,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    openTimeoutMs: o.openTimeoutMs ?? 15_000,
    appendTimeoutMs: o.appendTimeoutMs ?? 30_000,
    commitTimeoutMs: o.commitTimeoutMs ?? 60_000,
    maxPendingPerPartition: o.maxPendingPerPartition ?? 256,
    maxAppendBatch: o.maxAppendBatch ?? 500,
    ...requestShape(o),
    completedWindow: o.completedWindow ?? 100_000,
    windowRebuildRecords: o.windowRebuildRecords,
    beforeStateCommit: o.beforeStateCommit,
    stateSweep: resolveStateSweepLimits(o.stateSweep, 'KafkaMessageLog.stateSweep'),
    beforeStateSweep: o.beforeStateSweep,
    beforeOffsetCommit: o.beforeOffsetCommit,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    logger: o.logger ?? stderrErrors,
    tls: o.tls,
    sasl: o.sasl,
    recordKeys: o.recordKeys,
    placementKeyOf: o.placementKeyOf,
    deliveriesTopic: `${topicPrefix}.deliveries`,
    deadLetterTopic: `${topicPrefix}.dead-letters`,
    stateTopic: `${topicPrefix}.state`,
  };
}
