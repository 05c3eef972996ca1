/**
 * A topology assembles one set of storage adapters and says how agents are placed and in which order
 * a node starts: `embedded` (one node, everything on local disk) or `cluster` (Kafka, etcd,
 * placement). The node is composed from whichever `openTopology` returns and never asks which one it
 * got (docs/decisions/1103-topologies.md).
 */
import type { ClusterNodeStatus, NodeHealth, ReplayReach, StorageBackendStatus } from '@caxton/core';
import type { Bus, ProtocolGate } from '../bus/bus.js';
import type { ConversationGate } from '../node/tracker-persistence.js';
import type { ResidencyFactory } from '../node/agent-residency.js';
import type { AgentStateStore, AgentStore, TimerStore, TopicStore, WatchedDirectory } from '../storage/ports.js';
import type { MessageLog } from '../log/message-log.js';
import type { HistoryReader } from '../replay/recorded.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AuditAnchorStore } from '../audit/anchor-store.js';
import type { Meter } from '@opentelemetry/api';
import type { SwitchStore } from '../node/kill-switch/switch-store.js';

/**
 * The storage ports a topology hands to the node: each consumer takes the one it needs. Here rather
 * than in storage/ports.ts because it names the message log, the artifact store and the audit
 * trail, whose adapters import storage/ (decision 1702).
 */
export interface StoragePorts {
  agents: AgentStore;
  directory: WatchedDirectory;
  timers: TimerStore;
  /** Topic subscriptions (decision 1960): the registry, so they outlive nodes. */
  topics: TopicStore;
  log: MessageLog;
  artifacts: ArtifactStore;
  /** Agents' durable state (decision 1600): the log itself where it keeps state (storage/state-store.ts). */
  state: AgentStateStore;
  /** The audit trail of management calls (decision 1402). */
  audit: AuditTrail;
  /** Where the trail's signed anchor is kept, outside the trail: the registry (decision 1750). */
  auditAnchors: AuditAnchorStore;
}

export interface Topology {
  readonly ports: StoragePorts;
  /**
   * Cluster: the kill switch every node shares (cluster-wide freeze, suspended agents; decision
   * 1403). Embedded: absent, the node's own file keeps both.
   */
  readonly sharedSwitch?: SwitchStore;
  /**
   * Where agent kinds are stored (decision 1980; a cluster: the etcd registry, decision 2060);
   * absent: this topology runs no kinds, and a kind deploy is refused.
   */
  readonly kinds?: AgentStore;
  /** Where deployed agents run; the agent lifecycle builds it with its context. */
  readonly residency: ResidencyFactory;
  /**
   * The protocol gate the bus calls on every send (embedded: the tracker itself; cluster: one that
   * tracks each conversation on its initiator's node, see cluster/protocols.ts).
   */
  protocolGate(tracker: ConversationGate, context: ProtocolContext): ProtocolGate;
  /**
   * Start-up before the API listens, as this topology orders the steps. Embedded: open the log
   * (what agents' init sends must be accepted), restore the agents, then replay the log into their
   * mailboxes. Cluster: consume only; agents start as placement activates them, and deliveries
   * consumed before that wait in their mailboxes.
   */
  beforeApi(steps: StartSteps): Promise<void>;
  /**
   * Start-up once the API listens at `apiAddress`. Cluster: join placement, announcing that (real)
   * address to peers. Embedded: nothing.
   */
  afterApi(context: { apiAddress: string }): Promise<void>;
  /** Stop running agents as the topology requires (cluster: deactivate, drain, leave placement). */
  stopAgents(): Promise<void>;
  /**
   * Whether this topology lets the node take work, a field read (polled for grpc.health.v1). Cluster:
   * only while it holds its membership lease; embedded: always.
   */
  health(): NodeHealth;
  /** Nodes and storage backends for `caxton status`; `local` are the agents on this node. */
  status(local: { names(): string[] }): Promise<TopologyStatus>;
  /**
   * Instruments of this topology's storage (embedded log; Kafka and etcd), made on `meter`; returns
   * their removal. Called only when a MeterProvider is registered (decision 1301).
   */
  installMetrics?(meter: Meter): () => void;
  /**
   * Where this topology's message log can be read back for a replay (issue 57): the embedded log's
   * directory on disk, a cluster's Kafka topics. Absent: nothing to replay from here (a memory log).
   */
  readonly recordedHistory?: HistoryReader;
  close(): Promise<void>;
}

export interface StartSteps {
  /**
   * The node's audit trail as every change is written to it: anchored (decision 1750), so what the
   * topology records itself (a cluster's refused Kafka records) is vouched for like an operator's change.
   */
  audit: Pick<AuditTrail, 'append'>;
  /** Opens the message log: sends are accepted from here on. */
  openLog(): Promise<void>;
  /** Starts the deployed agents this node brings up by itself (AgentLifecycle.restore). */
  restoreAgents(): Promise<void>;
  /** Starts consuming the log into the agents' mailboxes (opens it first if needed). */
  consume(): Promise<void>;
}

export interface TopologyStatus {
  nodes: ClusterNodeStatus[];
  storage: StorageBackendStatus[];
  /** How far back a replay reaches, as the topology's message log says (issue 57); absent: it does not say. */
  replay?: ReplayReach;
}

/** What a protocol gate may ask of the node; functions, because the node builds them after the topology. */
export interface ProtocolContext {
  platform: string;
  bus: () => Bus | undefined;
  isLocal: (agent: string) => boolean;
}
