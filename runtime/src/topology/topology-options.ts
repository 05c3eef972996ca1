/**
 * What a topology reads of the node's options (decision 1702): where the node's API listens (the
 * address it announces) and the storage it runs on. `StartNodeOptions` (start/options.ts) extends
 * this, so the topology does not import the node's start-up code that opens it.
 */
import type { FsyncPolicy } from '../log/embedded/index.js';
import type { ClusterOptions } from './cluster/options.js';
import type { EtcdConnectionSpec, KafkaConnectionSpec } from './cluster/transport-security.js';

export interface TopologyOptions {
  apiHost: string;
  /** 0 = any free port. */
  apiPort: number;
  /** Cluster mode: the bus on Kafka (TLS and SASL optional: decision 1404). */
  kafka?: KafkaConnectionSpec;
  /** Cluster mode: the registry (and artifacts, placement) on etcd (TLS and auth optional). */
  etcd?: EtcdConnectionSpec;
  /**
   * Join a cluster whose Kafka or etcd lies beyond loopback without TLS or authentication. Refused
   * by default (`node.insecure-cluster`); with this, allowed with a warning on every start.
   */
  insecureCluster?: boolean;
  /** Cluster mode: cluster name and tuning (lease TTL, Kafka session timeout…); see topology/cluster/options.ts. */
  cluster?: ClusterOptions;
  /** Embedded log fsync policy. Default `always` (group commit). */
  fsync?: FsyncPolicy;
  /**
   * Embedded log tuning: `maxRecordBytes`, the largest record (a message, a state transaction's
   * entry) the log stores; default 16 MiB. A state value the sandbox allows but the log cannot
   * store is refused at commit (`log.invalid-state`): the handling is dead-lettered.
   */
  embeddedLog?: {
    maxRecordBytes?: number;
    /** A new segment past this many bytes (default 64 MiB): the unit retention deletes and history keeps. */
    segmentBytes?: number;
  };
  /**
   * History the embedded log keeps for `caxton replay` and `upgrade --replay` (decision 2179):
   * closed segments closed less than `seconds` ago, at most `bytes` of them, are kept. Rows of
   * core's REPLAY_HISTORY_LIMIT_TABLE (default 0 s: none kept beyond what is live). Unused in
   * cluster mode and with `persistence: 'memory'`.
   */
  replayHistory?: { seconds?: number; bytes?: number };
  /**
   * Agents whose own history outlives the embedded log's segments (decision 2182), by deployment
   * name: their frames are copied out before retention deletes a segment, kept `seconds` and at most
   * `bytes` (rows of core's AGENT_REPLAY_HISTORY_LIMIT_TABLE). Refused in cluster mode (the topics'
   * retention is the history there); unused with `persistence: 'memory'`.
   */
  agentReplayHistory?: Readonly<Record<string, { seconds: number; bytes?: number }>>;
  /**
   * `memory` keeps the bus in this process only (a crash loses pending messages): for benchmarks
   * and embedders who ask for it explicitly. Default `disk`. Ignored in cluster mode.
   */
  persistence?: 'disk' | 'memory';
  /**
   * The embedded audit trail's segments (decision 1790): a new segment past `segmentBytes` (default
   * 4 MiB), and with `retainSegments` the oldest closed segments beyond that many are deleted (the
   * signed anchor records where the trail then starts). Bounds: core's AUDIT_SEGMENT_LIMIT_TABLE,
   * checked by startNode in either mode; then unused in cluster mode (the trail is in etcd).
   */
  auditSegments?: { segmentBytes?: number; retainSegments?: number | undefined };
}
