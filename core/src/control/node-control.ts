/**
 * What the management API needs from a Caxton node. The gRPC server (server.ts) validates every
 * request into these typed values before calling in, and turns what comes back (or what is thrown)
 * into wire messages and status codes; a node implements this interface and never sees protobuf.
 *
 * Errors: methods reject (or end a sink) with a `CaxtonError`. Its `kind` (declared where it is
 * raised: 'not-found', 'invalid-argument', 'unavailable'… see ../errors.ts) is what the API turns
 * into a gRPC status, through one table in runtime/src/api/grpc-status.ts; the code is only an
 * identifier. Fields named in errors are the domain's own (`limits.fuelPerMessage`), never proto
 * fields. Message, context and hint reach the operator, so they must not contain secrets.
 */
import type { AclMessage, Performative } from '../acl/message.js';
import type { DfAgentDescription, DfSearchTemplate } from './directory.js';
import type { TopicSubscription } from './topics.js';
import type { TopicPatterns } from './topic-patterns.js';
import type { HttpPolicy } from './http.js';
import type { AgentLimitsSpec, RolloutThresholds } from './limits/index.js';
import type { RolloutStrategy, RolloutView } from './rollout.js';
import type { ReplayGateSpec } from './replay-gate.js';
import type { ReplayReach } from './replay-reach.js';
import type { ConversationReplay } from './replay-trace.js';
import type { PriorityClass } from './priority-class.js';
import type { ReplicasView } from './replicas.js';
import type { A2aCardSpec } from './a2a-card.js';
import type { OntologySchemas } from './ontologies.js';
import type { AgentNear } from './near.js';
import type { StateWrite } from './state.js';
import type { ConversationCostsQuery, ConversationCostsView, HandlingCosts } from './costs.js';
import type { IdempotencyKey } from './idempotency-key.js';
import type { DeadLetterControl } from './dead-letters.js';

/** Lifecycle of a deployed agent as operators see it. */
export type AgentState = 'starting' | 'running' | 'upgrading' | 'restarting' | 'stopping' | 'stopped' | 'failed' | 'suspended';

export const AGENT_STATES: readonly AgentState[] = [
  'starting',
  'running',
  'upgrading',
  'restarting',
  'stopping',
  'stopped',
  'failed',
  'suspended',
];

/**
 * A new deployment: the one deploy spec of the control model. Absent limits mean "the node's
 * defaults"; `DeploySpec<AgentLimitsSpec>` is the same spec with the defaults filled in, which is
 * what a node stores (its deployment record adds the artifact digest, version and timestamps).
 */
export interface DeploySpec<Limits extends Partial<AgentLimitsSpec> = Partial<AgentLimitsSpec>> {
  name: string;
  limits: Limits;
  config: Record<string, string>;
  /**
   * Outbound HTTP the agent may make (decision 1601). Absent: none (deny by default). Stored with
   * the deployment; an upgrade keeps it unless it names a new one.
   */
  http?: HttpPolicy;
  /**
   * Keep state left by an earlier deployment of this name (decision 1600). Without it a fresh
   * deploy starts with empty state. Not stored: it only matters at deploy time.
   */
  keepState?: boolean;
  /**
   * The source language the deployer says the artifact was built from (`assemblyscript`, `rust`…),
   * a label shown by the CLI and console; nothing trusts it. Stored with the deployment.
   */
  language?: string;
  /**
   * The operator's A2A Agent Card (decision 1951), served by the A2A endpoint in place of the card
   * built from the agent's directory services. Stored with the deployment; an upgrade keeps it
   * unless it names a new one.
   */
  a2aCard?: A2aCardSpec;
  /**
   * The topics the agent may subscribe to (decision 2050), checked patterns. Absent: every topic.
   * Stored with the deployment; an upgrade keeps it unless it names a new list; a kind's instances
   * use the kind's.
   */
  topics?: TopicPatterns;
  /**
   * The ontologies the agent speaks (decision 2183): name → the JSON Schema a message's content must
   * match when it names that ontology, checked by the bus before the message is accepted. Stored
   * with the deployment; an upgrade keeps them unless it names new ones; a kind's instances use the
   * kind's. Absent: none declared, nothing checked.
   */
  ontologies?: OntologySchemas;
  /**
   * Place it on the node of this agent (issue 61, decision 2189): it shares that agent's partition,
   * so they stay together across failover and rebalance. Resolved once, at the first deploy, into
   * the record's `near`; a fallback (the agent is not deployed, is a kind, an instance or scaled)
   * places it by its own name with a note. Refused for a kind (`agent.near-kind`).
   */
  near?: string;
  /**
   * Deploy an agent kind instead of one named agent (decision 1980): nothing starts now; a message
   * to `<name>/<key>` activates the instance for that key. Stored with the deployment.
   */
  kind?: KindSpec;
}

/** What makes a deployment a kind (decision 1980). */
export interface KindSpec {
  /** An instance idle this long (ms) is passivated once its last handling is durable; absent: the node's default. */
  idleMs?: number;
  /**
   * Instances of the kind in memory at once on a node (1..KIND_LIMITS.maxActiveInstances); past it
   * the least recently used idle one is passivated early, or the send is refused
   * `bus.activation-limit`. Absent: no cap of its own (the node's per-shard bound only).
   */
  maxActive?: number;
  /**
   * Which instances give up their slot first when the node's activation slots run out (decision
   * 2187): a newcomer of a higher class preempts a lower class's instance; absent: `normal`.
   */
  priorityClass?: PriorityClass;
}

/** What `caxton agents <kind>` shows of a kind's instances on this node (decision 1980). */
export interface KindCounts {
  idleMs: number;
  /** Instances in memory now (activating, running or passivating). */
  active: number;
  /** Instances passivated since the node started (each passivation counts). */
  passivated: number;
  /** Activations since the node started (a key activated, passivated and activated again counts twice). */
  activations: number;
  /** Activations that failed (init trapped, artifact missing) since the node started. */
  failed: number;
  /** The kind's cap of instances in memory (`--max-active`); absent: none of its own. */
  maxActive?: number;
  /** With a cap: instances passivated early, before their idle period, to make room under it. */
  evicted?: number;
  /** The kind's priority class (decision 2187); absent: `normal`. */
  priorityClass?: PriorityClass;
  /** Instances passivated to make room for an instance of a higher class, since the node started. */
  preempted?: number;
}

/** An upgrade. Absent limits/config/http mean "keep the current ones". State is always kept. */
export interface UpgradeSpec {
  name: string;
  limits: Partial<AgentLimitsSpec>;
  config?: Record<string, string>;
  http?: HttpPolicy;
  /** The new artifact's source language label; absent: none (it belongs to the artifact, not kept). */
  language?: string;
  /**
   * Run the new version beside the old and shift conversations to it (decision 1871); absent: drain
   * and swap at once. `thresholds` (validated by resolveRolloutThresholds) decide promote or roll back.
   */
  strategy?: RolloutStrategy;
  thresholds?: Partial<RolloutThresholds>;
  /** A new A2A Agent Card (decision 1951); absent: keep the current one. */
  a2aCard?: A2aCardSpec;
  /** A new topic allow-list (decision 2050); absent: keep the current one. */
  topics?: TopicPatterns;
  /** New declared ontologies (decision 2183); absent: keep the current ones. */
  ontologies?: OntologySchemas;
  /** `--near` again (decision 2189): only the deployment's own is accepted (`agent.near-changed` otherwise); absent: kept. */
  near?: string;
  /** Replay recorded traffic on the new version first, and refuse the upgrade on what it finds (issue 57). */
  replay?: ReplayGateSpec;
}

/** Component bytes whose size and sha256 the API has already checked against the client's header. */
export interface VerifiedArtifact {
  bytes: Uint8Array;
  /** sha256 of `bytes`, lowercase hex. */
  sha256: string;
  /**
   * The detached signature sent with the artifact: a DSSE envelope (JSON) over an agent statement
   * (core/src/signing). Not checked by the API; the node's trust policy decides (decision 1400).
   */
  signature?: string;
}

export interface AgentFailure {
  message: string;
  /** Caxton error code, e.g. `sandbox.out-of-fuel`. */
  code?: string;
  at: number;
}

/** Everything an operator can see about one agent. */
export interface AgentStatus {
  name: string;
  state: AgentState;
  /** The cluster node running the agent. */
  nodeId: string;
  /** Deployment version, bumped by every upgrade. */
  version: number;
  artifactDigest: string;
  artifactSize: number;
  limits: AgentLimitsSpec;
  config: Record<string, string>;
  restarts: number;
  /** Fuel consumed since deployment. */
  fuelUsed: number;
  /** Current linear memory size, 64 KiB pages. */
  memoryPages: number;
  /** Deliveries accepted for the agent and not yet completed. */
  mailboxDepth: number;
  /**
   * Handlings (deliveries and timers) since the deployment on this node, every instance counted —
   * replicas, a rollout's candidate — as the bus reported them; it only grows (decision 2101).
   */
  messagesHandled: number;
  /**
   * What those handlings cost, summed since the deployment on this node (issue 61, decision 2184);
   * absent where the node counts none (an instance another node holds).
   */
  costs?: HandlingCosts;
  lastError?: AgentFailure;
  createdAt: number;
  updatedAt: number;
  /** Outbound HTTP the deployment allows (decision 1601); absent: none. */
  http?: HttpPolicy;
  /** Key id of the trusted key whose signature the deployed artifact carried (decision 1400); absent: none verified. */
  signerKeyId?: string;
  /** Source language the deployer stated for this version's artifact; absent: not stated. */
  language?: string;
  /** The operator's A2A Agent Card (decision 1951); absent: the A2A endpoint builds one from the directory. */
  a2aCard?: A2aCardSpec;
  /** The topics it may subscribe to (decision 2050); absent: every topic. */
  topics?: TopicPatterns;
  /** The ontologies it declares (decision 2183), each with its JSON Schema; absent: none. */
  ontologies?: OntologySchemas;
  /** Deployed `--near` another agent (decision 2189): what it is placed with, or why not; absent: placed by its own name. */
  near?: AgentNear;
  /** The version `rollback` would put back (what the last upgrade or rollback replaced); absent: none. */
  previous?: PreviousDeployment;
  /** The circuit breaker of deliveries to it (decision 1921); absent while closed. */
  breaker?: AgentBreaker;
  /** A blue-green or canary rollout of a new version beside this one (decision 1871), while it runs and after it ended. */
  rollout?: RolloutView;
  /** Stopped with `keepQueue` or suspended: what waits for it (decision 1990); absent while present. */
  absentQueue?: AbsentQueueView;
  /** A kind (decision 1980): its instances' counts; absent for a named agent and for an instance. */
  kind?: KindCounts;
  /** Replicas behind the name (decision 2010); absent while the agent runs as one. */
  replicas?: ReplicasView;
  /**
   * An instance of a kind whose partition another node consumes (decision 2060): this node cannot
   * know its live state, only where it is; `nodeId` is that node (empty when no node is live) and
   * `state` is not this node's to tell (the API sends it unspecified). Absent everywhere else.
   */
  elsewhere?: InstanceElsewhere;
}

/** Where an instance of a kind is, seen from a node that does not consume its partition (decision 2060). */
export interface InstanceElsewhere {
  /** The deliveries-topic partition of the instance's key. */
  partition: number;
}

/** Messages kept for an absent agent (decision 1990). */
export interface AbsentQueueView {
  /** Waiting now. */
  queued: number;
  /** Most it keeps (its `absentQueue` limit). */
  limit: number;
  /** How long each waits before it is dead-lettered with reason `absent-ttl`. */
  ttlMs: number;
}

/** An agent's circuit breaker that is not closed: sends to it are refused fast (decision 1921). */
export interface AgentBreaker {
  state: 'open' | 'half-open';
  /** Deliveries that failed in a row. */
  failures: number;
  /** Open: ms until a probe message is let through. */
  retryAfterMs?: number;
}

/** A replaced version as status shows it: enough to know what a rollback restores. */
export interface PreviousDeployment {
  version: number;
  artifactDigest: string;
  language?: string;
}

export interface UpgradeResult {
  agent: AgentStatus;
  previousVersion: number;
}

export interface SendOptions {
  /**
   * `caller`: who sends, as the API identifies it (a fingerprint of the bearer token; '' without
   * one). Keys are per caller: two callers' equal keys name two messages.
   */
  idempotency?: {
    caller: string;
    key: IdempotencyKey;
    /**
     * What the request is, when the caller knows better than the whole message's digest: a signed
     * MTP post's is what its signature covers (decision 2188), so unsigned parts a replay changed
     * do not make it another message. Absent: the digest of the message as given.
     */
    digest?: string;
  };
  /**
   * Edge admission lane (decision 1810): a `client` (the default) is refused `bus.overloaded` once
   * outside work in flight reaches the node's limit; the `operator` may use a reserve above it, so
   * its probes get in while clients flood.
   */
  lane?: 'client' | 'operator';
  /**
   * Edge admission the caller already took for this send, ahead of work it does first (the audit
   * trail's write-ahead intent, decision 1701): the send is not admitted again, and releases it
   * once its deliveries are appended or refused (decision 1810).
   */
  admitted?: EdgeTicket;
  /**
   * The peer platform whose ACC took this message (decision 1910). Set only by the node's ACC: a
   * sender on a configured peer platform is accepted only with it, so no other way in (console,
   * WebSocket, gRPC) speaks as a peer's agents.
   */
  viaAcc?: string;
}

/** A send's place within the node's edge limit, held from the edge until its deliveries are appended. */
export interface EdgeTicket {
  /** Idempotent. */
  release(): void;
}

export interface SendResult {
  messageId: string;
  /** Receivers (local agent names) the bus accepted the message for. */
  accepted: string[];
  /**
   * Receivers refused, and why (unknown, mailbox full…); they also got a `failure` back when the
   * sender is an agent.
   */
  refused: { receiver: string; reason: string }[];
}

/** Tail filter; every given field must match. See tail-filter.ts for the exact rule. */
export interface TailFilter {
  /** Sent by, or addressed to, this agent (local name or full `name@platform`). */
  agent?: string;
  conversationId?: string;
  /** Any of these; absent or empty = all. */
  performatives?: Performative[];
}

/** A message the bus accepted. */
export interface MessageEvent {
  messageId: string;
  acceptedAt: number;
  message: AclMessage;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface LogQuery {
  agent: string;
  /** Stored lines at or after this time (ms since epoch); absent = from the oldest stored line. */
  since?: number;
  /** At most this many stored lines (the newest); absent = the node's default. */
  limit?: number;
  /** After the stored lines, keep sending new ones until unsubscribed. */
  follow: boolean;
}

export interface LogEntry {
  agent: string;
  at: number;
  level: LogLevel;
  message: string;
  nodeId: string;
}

/**
 * Where a subscription pushes values. `end()` finishes the stream: without an error when a
 * non-following query has sent everything, with one to fail it (e.g. the node shuts down).
 * The node must not call `next` after `end`, nor after the unsubscribe function ran.
 */
export interface Sink<T> {
  next(value: T): void;
  end(error?: Error): void;
}

/** Stops a subscription; idempotent. After it returns the node calls the sink no more. */
export type Unsubscribe = () => void;

export interface ClusterNodeStatus {
  id: string;
  address: string;
  startedAt: number;
  lastSeen: number;
  /** Names of the agents the node runs. */
  agents: string[];
  /** True for the node answering. */
  self: boolean;
}

export interface StorageBackendStatus {
  /** What it stores: `bus`, `registry`, `artifacts`… */
  role: string;
  /** Implementation: `embedded`, `kafka`, `etcd`… */
  kind: string;
  /** A directory, broker list or endpoint list. */
  location: string;
}

export interface NodeStatus {
  nodeId: string;
  version: string;
  startedAt: number;
  agentsTotal: number;
  agentsRunning: number;
  nodes: ClusterNodeStatus[];
  storage: StorageBackendStatus[];
  /** The kill switch (decision 1403): absent from nodes that predate it. */
  killSwitch?: KillSwitchStatus;
  /** The node's platform name: its agents are `<name>@<platform>` (decision 1910); absent from nodes that predate it. */
  platform?: string;
  /** How far back `caxton replay` reaches (issue 57): absent from nodes that predate it, or whose log does not say. */
  replay?: ReplayReach;
}

/** Where a freeze applies: this node only, or every node of its cluster (kept in etcd). */
export type FreezeScope = 'node' | 'cluster';

/** What the kill switch holds on the answering node (decision 1403). */
export interface KillSwitchStatus {
  /** No agent code runs on this node: frozen here, or its cluster is. */
  frozen: boolean;
  /** Frozen by `caxton freeze` for this node (kept in its data directory). */
  nodeFrozen: boolean;
  /** Frozen by `caxton freeze --cluster` (kept in etcd); always false on an embedded node. */
  clusterFrozen: boolean;
  /** Agents held by `caxton suspend`, wherever they run. */
  suspended: string[];
}

/** What a freeze or thaw did. */
export interface FreezeResult {
  scope: FreezeScope;
  /** The kill switch as it is now. */
  status: KillSwitchStatus;
  /**
   * How long this node waited for the batches in flight to finish (freeze), so that once the call
   * returns nothing runs here; 0 for a thaw.
   */
  drainedMs: number;
}

export interface NodeControl extends StateControl, DeadLetterControl {
  /**
   * A conversation's handlings of one agent, step by step (issue 57): its deployed version runs
   * again, offline, on what the node's log recorded; nothing is sent or written. Refused
   * (`agent.replay-unsupported`) on a node with no log to read back, for a kind (replay an
   * instance), past the node's bound on the replay's time; `not-found` for an unknown agent.
   */
  replayConversation(agent: string, conversationId: string): Promise<ConversationReplay>;
  /** Deploy a new agent; rejects with an `already-exists` code if the name is taken. */
  deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus>;
  /**
   * Replace an agent's component: drain, swap, resume. No accepted message may be lost; messages
   * arriving meanwhile wait in the mailbox. Rejects with a `not-found` code for unknown agents.
   */
  upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<UpgradeResult>;
  /**
   * Put back the version an upgrade replaced — its artifact, limits, config and HTTP policy — as a
   * new version (the replaced one becomes the previous, so a second rollback undoes the first),
   * with the same drain-and-swap as an upgrade. Rejects `agent.no-previous-version` when the agent
   * was never upgraded.
   */
  rollback(name: string): Promise<UpgradeResult>;
  /** Stop and undeploy; graceful lets the message in hand finish, force terminates at once. */
  /** `keepQueue`: keep the name and its queue until it is deployed again (decision 1990). */
  stop(name: string, options: { force: boolean; keepQueue?: boolean }): Promise<AgentStatus>;
  listAgents(): Promise<AgentStatus[]>;
  /** Undefined when no such agent is deployed (the API answers NOT_FOUND). */
  getAgent(name: string): Promise<AgentStatus | undefined>;
  /**
   * What conversations cost on this node (issue 61, decision 2184): the `limit` largest by `sort`
   * (or the most recently handled), with the sums they add up to. `conversationId`: that one only
   * (none listed when the node holds no figures for it).
   */
  conversationCosts(query: ConversationCostsQuery): Promise<ConversationCostsView>;
  /**
   * Put a message from the operator on the bus; resolves once accepted (durable). With an
   * idempotency key (decision 1700) a repeat of the same send is answered with the first one's
   * result and never accepted twice; the key reused for a different message is refused with
   * IdempotencyKeyReusedError.
   */
  send(message: AclMessage, options?: SendOptions): Promise<SendResult>;
  /** Push messages the bus accepts from now on that match `filter`, until unsubscribed. */
  tail(filter: TailFilter, sink: Sink<MessageEvent>): Unsubscribe;
  /**
   * Push stored log lines matching the query, then (with `follow`) new ones. Ends the sink when
   * done without `follow`. Unknown agent: `sink.end(<not-found error>)`.
   */
  logs(query: LogQuery, sink: Sink<LogEntry>): Unsubscribe;
  searchDirectory(template: DfSearchTemplate, limit: number): Promise<DfAgentDescription[]>;
  /** Topic subscriptions (decision 1960), by topic then agent; only `topic`'s when given. */
  listSubscriptions(topic?: string): Promise<readonly Readonly<TopicSubscription>[]>;
  status(): Promise<NodeStatus>;
  /**
   * Whether the node can take work: false (with the reason) once its message log has stopped for
   * good. The API reports it on grpc.health.v1 (NOT_SERVING) and the node refuses new work.
   */
  health(): NodeHealth;
  /**
   * The kill switch (decision 1403). Freeze: no agent code runs on this node (scope `node`) or on
   * every node (`cluster`) until a thaw; messages are still accepted and kept. Resolves once the
   * batches in flight on this node finished.
   */
  freeze(scope: FreezeScope): Promise<FreezeResult>;
  thaw(scope: FreezeScope): Promise<FreezeResult>;
  /** Hold one agent (its mailbox keeps filling; nothing of it runs) until `resume`; survives restarts and moves. */
  suspend(name: string): Promise<AgentStatus>;
  resume(name: string): Promise<AgentStatus>;
  /**
   * Run the agent as `replicas` instances of its version behind its one name (decision 2010):
   * conversations stay on one replica, others go to the least loaded. Scaling down drains the
   * replicas removed. Refused for stateful agents (`agent.replicas-stateful`) and kinds
   * (`agent.replicas-unsupported`). In a cluster the count is written to the agent's registry record
   * and the replicas are stateless workers `X#r<k>`, each run where its own partition is consumed
   * (decisions 2093, 2168).
   */
  scale(name: string, replicas: number): Promise<AgentStatus>;
}

export type NodeHealth = { serving: true } | { serving: false; reason: string };

/** One entry of an agent's durable state (decision 1600), as operators see it. */
export interface StateEntry {
  key: string;
  value: string;
}

/** A page of an agent's state, keys in ascending order (UTF-16 code unit order, as JS sorts). */
export interface StateListQuery {
  /** Only keys starting with this. */
  prefix?: string;
  /** Only keys after this one (the previous page's `next`). */
  after?: string;
  limit: number;
}

export interface StatePage {
  entries: StateEntry[];
  /** Give as `after` to read the next page; absent on the last one. */
  next?: string;
}

/** An operator's import: `writes` applied in one commit (null deletes); `replace` first drops keys not in it. */
export interface StateImport {
  agent: string;
  writes: StateWrite[];
  replace: boolean;
}

export interface StateImportResult {
  written: number;
  deleted: number;
}

/**
 * Operators' access to agents' durable state (decision 1600). An agent need not be deployed: state
 * outlives an undeploy, so it can be exported or prepared before a `deploy --keep-state`.
 */
export interface StateControl {
  /** The value under `key`, or undefined. */
  getState(agent: string, key: string): Promise<string | undefined>;
  listState(agent: string, query: StateListQuery): Promise<StatePage>;
  /** Every entry, in key order, then `end()`. */
  exportState(agent: string, sink: Sink<StateEntry>): Unsubscribe;
  /** Commit the import, then make the running agent (if any) see it. */
  importState(spec: StateImport): Promise<StateImportResult>;
}
