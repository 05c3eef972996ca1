/**
 * Where deployed agents run, as a strategy the topology gives the agent lifecycle. The lifecycle
 * validates a request, prepares and stores the component and builds the record; the residency
 * decides what a deployment means on this node:
 *
 * - embedded (topology/embedded/every-agent-local.ts): every agent runs here, started and swapped
 *   at once, no fencing;
 * - cluster (topology/cluster/placed-agents.ts): a deployment is a registry write, placement
 *   activates and deactivates agents on this node under fencing tokens, status of agents elsewhere
 *   comes from the registry and the claims.
 */
import type { ExecutionResult } from '../bus/executor.js';
import type {
  AclMessage,
  AgentId,
  AgentNear,
  AgentStatus,
  Instrumentation,
  OntologySchemas,
  TopicPatterns,
  ReplicaUnitView,
} from '@caxton/core';
import type { DispatchOwnership, SharedAbsentCount } from '../bus/port.js';
import type { Bus } from '../bus/bus.js';
import type { MessageLog } from '../log/message-log.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { AgentRecord, RolloutRecord } from '../storage/records.js';
import type { AgentHost } from './agent-host.js';
import type { AgentMessaging } from './agent-messaging.js';
import type { AgentLifecycleEvent, LocalAgents } from './local-agents.js';
import type { AgentKinds } from './kinds/index.js';

export interface AgentResidency {
  /**
   * Deployed according to the registry the nodes share (cluster), whether or not it runs here: the
   * bus routes to it. Embedded: false, the agents on this node are the whole truth.
   */
  isDeployedAnywhere(name: string): boolean;
  /**
   * The topic allow-list (decision 2050) of an agent deployed elsewhere in the cluster, from the
   * registry's watched mirror; undefined: every topic, or not known. Absent: every agent is local.
   */
  deployedTopics?(name: string): TopicPatterns | undefined;
  /** The declared ontologies (decision 2183) of an agent deployed elsewhere in the cluster, from the same mirror; undefined: none, or not known. */
  deployedOntologies?(name: string): OntologySchemas | undefined;
  /**
   * Cluster (decision 2189): fix `name`'s placement at its first deploy `--near` another, or find
   * the one fixed earlier (kept for good, across undeploys). `asked`: what `--near` resolved to
   * (undefined: no `--near`). Returns what the deployment records; throws `agent.near-changed` when
   * `--near` names another placement than the fixed one, `agent.near-keep-state` for a first one
   * with `--keep-state`, `agent.near-unsupported` when a live node does not place by keys. Called
   * once the artifact is validated and stored, before anything else is. Absent (embedded): the
   * deployment records what was asked.
   */
  fixPlacement?(name: string, asked: AgentNear | undefined, keepState: boolean): Promise<AgentNear | undefined>;
  /** Asked only of an agent running here: may it take work now (cluster: is its claim still safe)? */
  mayRun(name: string): boolean;
  /**
   * May this node keep, bound and expire `name`'s absent queue now (decision 1990)? Absent: always
   * (every agent is local). Cluster: it holds the agent's claim, with the completion margin.
   */
  holdsQueue?(name: string): boolean;
  /**
   * Cluster (decision 1990, *Cluster*): the partition `name`'s deliveries go to, and how many absent
   * deliveries one partition may hold on its node — below the consumer's window of pending
   * deliveries per partition, so absent mail never stalls the partition's other agents.
   * Absent (embedded): no such bound.
   */
  absentBudget?(name: string): { partition: number; budget: number } | undefined;
  /**
   * Cluster (decision 2157): the count of absent queues every node's sends take their places in;
   * the claim holder publishes into it, each sweep, what it holds. Absent (embedded): the one node
   * counts every send itself.
   */
  readonly sharedAbsent?: SharedAbsentCount & {
    publish(held: readonly { agent: string; queue: number; ids: readonly string[] }[]): Promise<void>;
  };
  /**
   * Cluster: the longest absent TTL a message may wait (decision 1990): below the log's retention,
   * so Kafka never deletes a waiting message before the holder expires it with a dead letter.
   */
  readonly maxAbsentTtlMs?: number;
  /** The fencing the dispatcher applies before recording a completion (embedded: none). */
  ownership(): DispatchOwnership | undefined;
  /** Deliveries arrived for `agent` (called by the bus's consumer). */
  noticeMail(agent: string): void;
  /** Starts the deployed agents this node runs by itself at start-up (cluster: none, placement does). */
  restore(): Promise<void>;
  /**
   * Cluster (decisions 2091, 2168): writes `replicas` into the agent's registry record (absent at
   * one); the senders spread over that many workers, each placed by its own partition. Its presence
   * is how the lifecycle tells a cluster. Absent (embedded): the lifecycle keeps the count in its own
   * store and runs the replicas itself.
   */
  recordReplicas?(name: string, replicas: number): Promise<void>;
  /** The receiver a send to `name` is written to: a scaled agent's replica unit (decision 2093), else `name`. */
  replicaUnit?(name: string, message: AclMessage, messageId: string): string;
  /** X's record a replica unit running here runs (its HTTP egress rules are X's); undefined otherwise. */
  replicaUnitRecord?(name: string): AgentRecord | undefined;
  /**
   * Replicas across nodes (decision 2097): each replica's placed node, where it is active, and what
   * it handled when this node runs it; undefined when replicas are not spread or `count` < 2.
   */
  replicaUnitViews?(
    agent: string,
    count: number,
    agentNode: string,
    agentActive: boolean,
    agentHandled?: number,
  ): Promise<readonly ReplicaUnitView[] | undefined>;
  /** A replica unit may take work here now; undefined for a name that is no replica unit. */
  replicaUnitRunnable?(name: string): boolean | undefined;
  /** Throws AlreadyExistsError when `name` is deployed already. */
  refuseExisting(name: string): Promise<void>;
  /** The record an upgrade starts from; throws NotFoundError (or ConflictError when busy). */
  upgradeBase(name: string): Promise<AgentRecord>;
  /** Puts a new, validated deployment into effect (its component is stored already). */
  deploy(record: AgentRecord, artifactSize: number): Promise<AgentStatus>;
  /** Puts a new version into effect (its component is prepared and stored already). */
  upgrade(previous: AgentRecord, next: AgentRecord, artifactSize: number): Promise<AgentStatus>;
  /**
   * Cluster (decision 2171): records `rollout` beside `previous` (a compare-and-swap on the live
   * record: refused when another rollout is recorded or the version changed); the node running the
   * agent follows the record. Absent (embedded): the lifecycle runs rollouts itself.
   */
  startRollout?(previous: AgentRecord, rollout: RolloutRecord): Promise<AgentStatus>;
  /**
   * Cluster: removes the recorded rollout started at `startedAt` (its identity: a version number
   * recurs after a rollback); what it removed, undefined when the record held none (or another).
   */
  endRollout?(name: string, startedAt: number): Promise<RolloutRecord | undefined>;
  /**
   * Cluster (decision 2171): follows the live registry record of an agent running on this node
   * again (`rollouts.follow`), in the agent's own order of steps, so a recorded rollout's retry never
   * runs beside a stop, move or swap of it. False when the agent does not run here; throws when its
   * record cannot be read.
   */
  refollowRollout?(name: string): Promise<boolean>;
  /**
   * Cluster: an operator's rollback of the recorded rollout — marked for the node running the
   * agent, which aborts it and removes it; resolves with what was recorded once it is gone (removed
   * here after `waitMs` if that node did not), undefined when none was recorded.
   */
  abortRollout?(name: string, reason: string, waitMs: number): Promise<RolloutRecord | undefined>;
  /**
   * Cluster: a promotion (decision 2171): `next` written by compare-and-swap only while the live
   * record still holds the rollout started at `recordedAt`, unmarked, on `current`'s version, and
   * this node still holds the agent's claim; a ConflictError otherwise.
   */
  promoteRollout?(current: AgentRecord, next: AgentRecord, artifactSize: number, recordedAt: number): Promise<AgentStatus>;
  /**
   * Cluster: resolves once the record, read now, is in effect here (a promotion's swap, which the
   * registry's watch would start later). Absent: `upgrade` puts it into effect before it returns.
   */
  settle?(name: string): Promise<void>;
  /**
   * `keepQueue` (decision 1990): the name stays taken and its messages wait for the next deploy of
   * it; a residency that cannot keep them refuses it.
   */
  stop(name: string, force: boolean, keepQueue?: boolean): Promise<AgentStatus>;
  status(name: string): Promise<AgentStatus | undefined>;
  list(): Promise<AgentStatus[]>;
}

/** What a residency is built with (by the topology, for the lifecycle that will use it). */
export interface ResidencyContext {
  nodeId: string;
  /** The agents on this node and how an instance starts. */
  local: LocalAgents;
  host: AgentHost;
  artifacts: ArtifactStore;
  messaging: AgentMessaging;
  /** For topologies that keep the bus's mailboxes consistent with ownership (cluster). */
  bus: Bus;
  log: MessageLog;
  /** The identity an instance starts with: the platform name. */
  identity(name: string): AgentId;
  /** Lines for agents' logs: emit with agentLog(events, …) (decision 1106). */
  events: Instrumentation<AgentLifecycleEvent>;
  /**
   * The agent no longer runs on this node: undeployed (its pending timers go), or, in a cluster,
   * moved or stopped here only (they stay for whichever node runs it next). `keepsQueue`: stopped
   * with its queue kept (decision 1990): its topic subscriptions stay with the queue (decision 2050).
   */
  onStopped: (agent: string, undeployed: boolean, keepsQueue?: boolean) => Promise<void>;
  /** What an instance's init produced, applied through the bus (a cluster's worker units start through it too, decision 2163). */
  onStarted: (init: ExecutionResult) => Promise<void>;
  /** The earliest due time of the timers this node holds for `name` (undefined: none). */
  timerDue?: (name: string) => number | undefined;
  /**
   * The kill switch (decision 1403): true while no code of `agent` may run (the node is frozen or the
   * agent suspended). A residency starts no instance (init is agent code) while it holds.
   */
  held: (agent: string) => boolean;
  /** The kill switch suspends `agent` (decision 1403), wherever it runs: it is absent (decision 1990). */
  suspended: (agent: string) => boolean;
  /** The bound of `record`'s absent queue on this node: its deployment's `absentQueue`, else the node's default (decision 1990). */
  absentQueueOf: (record: { limits: { absentQueue?: number } }) => number;
  /** Resolves once `agent` may run code; rejects when the node shuts down. */
  untilRunnable: (agent: string) => Promise<void>;
  /** Agent kinds and their instances (decision 1980): a cluster places the instances (decision 2060). */
  kinds: AgentKinds;
  /**
   * Replicas behind one name (decisions 2010, 2091), for a residency that starts and stops agents by
   * itself (cluster): `follow` runs the agent (running here) as the count `record` holds; `leave`
   * removes its replicas before its own instance stops here (drained unless `force`).
   */
  replicas: {
    follow(record: AgentRecord): Promise<void>;
    leave(name: string, force: boolean): Promise<void>;
    /** Replica instances running here beyond the agents' own (decision 2010's budget, which replica units share: decision 2096). */
    instances(): number;
    /** The node's budget of replica instances (the operator's `maxReplicaInstances`, parsed): replica units' cap too. */
    budget(): number;
    /** Replica units hold the budget too: `AgentReplicas`' scales count them (decision 2096). */
    shareBudgetWith(units: () => number): void;
  };
  /**
   * Rollouts recorded in the registry (decision 2171), for a residency that starts agents by itself
   * (cluster): `follow` runs, or ends, the rollout `record` holds for the agent running here (`force`:
   * an ended one's new instance is stopped at once, as a forced stop of the agent stops its own);
   * `leave` ends it here, unrecorded, before the agent stops here (it goes on where the agent runs next).
   */
  rollouts: {
    follow(record: AgentRecord, force?: boolean): Promise<void>;
    leave(name: string, force: boolean): Promise<void>;
  };
}

export type ResidencyFactory = (context: ResidencyContext) => AgentResidency;
