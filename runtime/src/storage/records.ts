/**
 * The records the storage ports speak (decision 1702): deployed agents, cluster nodes and
 * membership, timers, and the registry's change events. Defined here, below the ports that use them
 * (storage/ports.ts) and the registry adapters that store them (registry/), so neither side imports
 * the other's module for them.
 */
import type {
  AgentLimitsSpec,
  AgentNear,
  AgentStatus,
  CaxtonError,
  DeploySpec,
  DfAgentDescription,
  RolloutStrategy,
  RolloutThresholds,
} from '@caxton/core';

/**
 * A deployment: the operator's DeploySpec with the node's default limits filled in, plus which
 * artifact (in the artifact store) and which version. Stored as one flat JSON object.
 */
export interface AgentRecord extends Omit<DeploySpec<AgentLimitsSpec>, 'near'> {
  /**
   * `--near` as resolved at the first deploy (decision 2189): its `key` is the placement key every
   * partition of the agent is computed from (absent: its name). Fixed for the deployment's life;
   * an upgrade keeps it.
   */
  near?: AgentNear;
  /** sha256 hex of the component artifact. */
  artifactDigest: string;
  /** Monotonic version, bumped by upgrades. */
  version: number;
  /** The trusted key that signed this version's artifact (decision 1400); absent: none verified. */
  signerKeyId?: string;
  createdAt: number;
  updatedAt: number;
  /**
   * What the last upgrade (or rollback) replaced, for `rollback`: one level, so a second rollback
   * undoes the first. Absent on a first deployment. Its artifact stays in the artifact store.
   */
  previous?: PreviousVersion;
  /**
   * Stopped with its queue kept (decision 1990), since when (ms): the name stays taken, messages to
   * it wait in the log, and the next deploy of the name takes it over. Absent: deployed.
   */
  absentSince?: number;
  /**
   * Replicas behind the name (decision 2010), when more than one: restored when the node restarts.
   * Absent: one. Not carried into a new deployment; kept by an upgrade and a rollback (decision 2176).
   */
  replicas?: number;
  /**
   * Its component imports the state interface's writes (caxton:agent/state `set` or `delete`), as
   * prepared at deploy, upgrade or rollback (decision 2163): it may keep durable state, so it is not
   * scaled to workers across nodes. Absent: it cannot write state, or it was deployed before this
   * was recorded (then only the state it holds refuses a scale).
   */
  writesState?: true;
  /**
   * A rollout in progress (decision 2171, cluster): the version beside this one, written by the
   * node an operator asked and followed by the node running the agent, which promotes it (a new
   * record, without this) or ends it (this removed). Absent: none, and always on one node.
   */
  rollout?: RolloutRecord;
}

/** A rollout as a cluster's registry holds it (decision 2171). */
export interface RolloutRecord {
  /** The version rolled out, as its record will be once promoted (its own `rollout` absent). */
  candidate: AgentRecord;
  /** Its component's size in bytes (shown in the status once promoted). */
  artifactSize: number;
  strategy: RolloutStrategy;
  thresholds: RolloutThresholds;
  /** When the operator started it (ms since epoch); a new owner bakes it again from its own start. */
  startedAt: number;
  /**
   * An operator's rollback asked through any node: the node running the agent aborts the rollout
   * (audited) and removes it from the record, which the asking node waits for.
   */
  abort?: { reason: string; at: number };
}

/** A copy of `record` whose count of replicas is `n` (a count of one is no field at all). */
export function withReplicaCount(record: AgentRecord, n: number): AgentRecord {
  const next: AgentRecord = { ...record };
  if (n > 1) next.replicas = n;
  else delete next.replicas;
  return next;
}

/** The parts of a replaced version that a rollback puts back. */
export type PreviousVersion = Pick<AgentRecord, 'artifactDigest' | 'version' | 'limits' | 'config' | 'http' | 'signerKeyId' | 'language'>;

/** What an agent's status shows of its record's previous version (spread into AgentStatus). */
export function previousShown(record: AgentRecord): Pick<AgentStatus, 'previous'> {
  const p = record.previous;
  if (p === undefined) return {};
  return {
    previous: { version: p.version, artifactDigest: p.artifactDigest, ...(p.language !== undefined ? { language: p.language } : {}) },
  };
}

/** The deployment's options an agent's status shows, each only when the record has it (spread into AgentStatus). */
export function deploymentShown(
  r: AgentRecord,
): Pick<AgentStatus, 'http' | 'signerKeyId' | 'language' | 'a2aCard' | 'topics' | 'ontologies' | 'near'> {
  return {
    ...(r.http !== undefined ? { http: r.http } : {}),
    ...(r.signerKeyId !== undefined ? { signerKeyId: r.signerKeyId } : {}),
    ...(r.language !== undefined ? { language: r.language } : {}),
    ...(r.a2aCard !== undefined ? { a2aCard: r.a2aCard } : {}),
    ...(r.topics !== undefined ? { topics: r.topics } : {}),
    ...(r.ontologies !== undefined ? { ontologies: r.ontologies } : {}),
    ...(r.near !== undefined ? { near: r.near } : {}),
  };
}

/** The version `record` describes, as the `previous` of the one that replaces it. */
export function previousVersionOf(record: AgentRecord): PreviousVersion {
  const { artifactDigest, version, limits, config, http, signerKeyId, language } = record;
  return {
    artifactDigest,
    version,
    limits,
    config,
    ...(http !== undefined ? { http } : {}),
    ...(signerKeyId !== undefined ? { signerKeyId } : {}),
    ...(language !== undefined ? { language } : {}),
  };
}

export interface NodeRecord {
  id: string;
  /** gRPC address operators and peers reach this node at. */
  address: string;
  startedAt: number;
  /** Last heartbeat seen (embedded) or lease state (etcd). */
  lastSeen: number;
  /** What this node's version does that an older one's may not (NODE_FEATURES); absent: an older node. */
  features?: readonly string[];
}

/**
 * Behaviours a cluster's nodes announce in their membership record, so a change that needs every
 * node to share one is refused while an older node is live. `placement-keys` (decision 2189): the
 * node computes a receiver's partition from its fixed placement key and moves misplaced deliveries.
 */
export const NODE_FEATURES: readonly string[] = ['placement-keys'];

/**
 * A pending agent timer (`set-timer`), kept durable so that it survives a restart of the node and,
 * in a cluster, follows the agent to whichever node runs it next. Removed once the timer fired and
 * its handling finished (at least once: a crash in between fires it again).
 */
export interface TimerRecord {
  /** The agent's local name. */
  agent: string;
  /** Host-made id, unique per agent (the guest's token need not be). */
  id: string;
  /** What the agent gets back in on-timer. */
  token: string;
  /** When it is due, ms since epoch. */
  dueAt: number;
}

export type RegistryEvent =
  | { kind: 'agent-put'; agent: AgentRecord }
  | { kind: 'agent-deleted'; name: string }
  | { kind: 'service-changed'; agentName: string; description: DfAgentDescription | undefined }
  | { kind: 'node-up'; node: NodeRecord }
  | { kind: 'node-down'; id: string };

/** What a node announces when it joins; the registry fills in the timestamps. */
export interface NodeAnnouncement {
  id: string;
  address: string;
}

/**
 * This node's membership of the cluster. Embedded: a single member that is only lost on leave/close.
 * etcd: backed by a lease the node keeps alive; lost when the lease expires or cannot be renewed.
 */
export interface Membership {
  readonly node: NodeRecord;
  /** False once lost or left; never becomes true again (join anew for a new membership). */
  readonly alive: boolean;
  /**
   * Local, conservative deadline (ms since epoch): until then the membership cannot have expired
   * on the server. Fencing decisions use this (see docs/decisions/0702-placement-fencing.md).
   */
  readonly validUntil: number;
  /** The same deadline as ms from now, measured on the monotonic clock (0 once lost or left). */
  readonly remainingMs: number;
  /** Called once when the membership is lost (not on a deliberate leave). Returns unsubscribe. */
  onLost(listener: (error: CaxtonError) => void): () => void;
  /** Leave deliberately: revoke the lease so peers see the node go at once. */
  leave(): Promise<void>;
}
