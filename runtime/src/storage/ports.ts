/**
 * What the node needs from storage, one port per concern, so each consumer depends on the narrowest
 * one it uses (the DF sync sees only the directory, timers only the timer store…). An adapter may
 * implement several ports in one class when they share one store (EmbeddedRegistry and EtcdRegistry
 * implement all of them: the union is `RegistryStore`, which only adapters and topologies see).
 * The message log, the artifact store and the audit trail are ports too: `MessageLog`
 * (log/message-log.ts), `ArtifactStore` (artifacts/artifact-store.ts) and `AuditTrail`
 * (audit/audit-trail.ts); their adapters import this folder, so it imports none of them: the set a
 * topology hands the node, `StoragePorts`, is in topology/topology.ts (decision 1702). See
 * docs/decisions/1103-topologies.md.
 */
import type { DfAgentDescription, DfSearchTemplate, StateWrite, TopicSubscription } from '@caxton/core';
import type { AgentRecord, Membership, NodeAnnouncement, NodeRecord, RegistryEvent, TimerRecord } from './records.js';

/** Deployments: which agents should run, with what component, limits and config. */
export interface AgentStore {
  putAgent(agent: AgentRecord): Promise<void>;
  getAgent(name: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  deleteAgent(name: string): Promise<void>;
  /**
   * Compare-and-swap on one record (etcd): `decide` builds the next record from the live one, or
   * returns undefined to write nothing, or throws to refuse. Absent: a single writer reads and puts.
   */
  updateAgent?(name: string, decide: (current: AgentRecord | undefined) => AgentRecord | undefined): Promise<AgentRecord | undefined>;
}

/** The directory facilitator's store of advertised services (FIPA SC00023). */
export interface DirectoryStore {
  /**
   * DF register: fails with `df.already-registered` if the agent has a live description. A
   * description whose lease expired counts as absent.
   */
  registerDf(description: DfAgentDescription): Promise<void>;
  /** DF modify: replaces the agent's description; fails with `df.not-registered` if absent. */
  modifyDf(description: DfAgentDescription): Promise<void>;
  /** DF deregister: fails with `df.not-registered` if absent. */
  deregisterDf(agentName: string): Promise<void>;
  /** DF search: live descriptions matching the template, ordered by agent name. */
  searchDf(template: DfSearchTemplate, limit?: number): Promise<DfAgentDescription[]>;
}

/**
 * Agents' topic subscriptions (decision 1960), keyed by agent and topic: in the registry so they
 * survive restarts, upgrades and failover like deployments do.
 */
export interface TopicStore {
  /** Subscribe (replaces the agent's subscription to the same topic, filter included). */
  putSubscription(subscription: TopicSubscription): Promise<void>;
  /** Unsubscribe; an absent subscription is not an error (retries). */
  deleteSubscription(agent: string, topic: string): Promise<void>;
  /** Forget every subscription of an agent (it was undeployed). */
  deleteSubscriptions(agent: string): Promise<void>;
  /**
   * The topic's subscriptions, by agent name; without a topic, every subscription (by topic, agent).
   * A new array each call, the caller's own; its entries are read-only: they may be shared with
   * other callers and frozen (the embedded registry hands every publish the same entries until the
   * topic changes), so copy one to change it.
   */
  listSubscriptions(topic?: string): Promise<Readonly<TopicSubscription>[]>;
}

/** Durable agent timers (decision 0960). */
export interface TimerStore {
  /** Remember a pending timer (replaces one with the same agent and id). */
  putTimer(timer: TimerRecord): Promise<void>;
  /** Forget one timer; unknown ids are not an error (it may have fired on another node already). */
  deleteTimer(agent: string, id: string): Promise<void>;
  /** Forget every timer of an agent (it was undeployed). */
  deleteTimers(agent: string): Promise<void>;
  /**
   * Forget every timer of every instance of a kind (it was stopped) in one step. Absent: the caller
   * walks `nextDuePerAgent` instead (the embedded store).
   */
  deleteKindTimers?(kind: string): Promise<void>;
  /** The agent's pending timers, soonest first. */
  listTimers(agent: string): Promise<TimerRecord[]>;
  /**
   * The earliest due time of every agent with a pending timer whose name `matches` (the embedded
   * registry: a node finds which passivated instances of its kinds must wake, decision 1980).
   * Absent where kinds do not run (etcd).
   */
  nextDuePerAgent?(matches: (agent: string) => boolean): Promise<Array<{ name: string; dueAt: number }>>;
  /**
   * The earliest due time of every instance of `kind` with a pending timer, in pages of at most
   * `pageSize` instances (the etcd registry: a partition assigned to a node, its passivated
   * instances' wakes, decision 2060). Absent: the node walks `nextDuePerAgent` (the embedded store,
   * where no partition moves).
   */
  kindTimersDue?(kind: string, pageSize: number): AsyncIterable<Array<{ name: string; dueAt: number }>>;
  /**
   * The wake index is complete: `partitionWakesDue` sees every instance timer (the etcd registry
   * of a Kafka cluster once the operator switched the index on for its partition count and its
   * sweep is done, decision 2060 *Wake index*). False: walk `kindTimersDue`.
   */
  wakesReady?(): boolean;
  /** One partition's wakes of a kind's instances, soonest first, a page at a time (one entry per timer). */
  partitionWakesDue?(partition: number, kind: string, pageSize: number): AsyncIterable<Array<{ name: string; dueAt: number }>>;
}

/**
 * Where a claimed commit (`AgentStateStore.commitClaimed`) landed: its partition, the offset of its
 * last record (undefined when the broker did not say), and the claim it was tagged with.
 */
export interface ClaimedCommit {
  partition: number;
  offset: number | undefined;
  claim: string;
}

/**
 * Agents' durable state (decision 1600). The log that records completions keeps it (embedded: in
 * the same frames; Kafka: beside the agent's deliveries), because a handling's writes are
 * committed with its completion (`CompletionRecord.state`). This port is everything else.
 */
export interface AgentStateStore {
  /**
   * The agent's committed entries, including commits accepted but not yet durable (an agent
   * released early reads its own writes; a failed commit stops the log).
   */
  readState(agent: string): Promise<ReadonlyMap<string, string>>;
  /**
   * Durably commit changes made outside a delivery: a timer's handling, the HTTP gateway's
   * bookkeeping, an operator's import. Resolves when durable.
   */
  commitState(agent: string, writes: readonly StateWrite[]): Promise<void>;
  /**
   * The refusal a commit of `writes` would meet (a delivery's completion `completes`, or a commit of
   * its own), found without committing or queueing anything; undefined when it would be taken.
   * Deterministic: only what the store refuses for the writes themselves (a value it cannot store, a
   * key its layout reserves), never that it cannot commit now (stopped, unreachable). The bus asks
   * before anything of a handling leaves, so nothing computed on a write that never counts is sent.
   */
  commitRefusal?(agent: string, writes: readonly StateWrite[], completes?: string, clockAt?: number): Error | undefined;
  /**
   * In a cluster, a commit outside a delivery fenced by the agent's partition (an instance's timer
   * firing, decision 2060): refused when the partition is not held here, void for every reader if
   * another node claimed it since. Resolves with where it landed, or undefined when it was committed
   * untagged (a log without claims: it counts). Absent where nothing moves (one node).
   */
  commitClaimed?(agent: string, writes: readonly StateWrite[]): Promise<ClaimedCommit | undefined>;
  /**
   * Whether a claimed commit counts for every reader (decision 2060): true once this node's reader
   * of the partition has passed `commit.offset` and the partition's latest claim there is still
   * `commit.claim` (no other node claimed it before the commit); false when another claim came
   * first, the partition was released here, or that is not known within `withinMs`. Present with
   * `commitClaimed`.
   */
  counted?(commit: ClaimedCommit, withinMs: number): Promise<boolean>;
  /**
   * The agent's entries as read back from the log, without this node's commits not read yet
   * (decision 2060): what a claimed commit of this node wrote counts only once read, so a timer's
   * done marker seen only in `readState` (this node's own commit, perhaps void) proves nothing yet.
   * Present with `commitClaimed`.
   */
  readCounted?(agent: string): Promise<ReadonlyMap<string, string>>;
  /**
   * readState with its work bounded, for a check on a node that may not own the agent (a scale
   * through another node): where the agent's partition is not held here it is read only if it
   * holds at most `maxRecords` records, and refused with a typed error before any is read if it
   * holds more. Absent where every read is local (one node).
   */
  readStateWithin?(agent: string, maxRecords: number): Promise<ReadonlyMap<string, string>>;
  /** Drop every entry of the agent (a fresh deploy without keep-state). Resolves when durable. */
  clearState(agent: string): Promise<void>;
}

/** Cluster membership: who is a live node. */
export interface MembershipStore {
  /** Join the cluster as `node`; ttlSeconds bounds how long a dead node goes unnoticed. */
  joinCluster(node: NodeAnnouncement, ttlSeconds: number): Promise<Membership>;
  /** Live nodes. */
  listNodes(): Promise<NodeRecord[]>;
}

/** Changes made to the registry by any node (embedded: this node only). */
export interface RegistryWatch {
  /** Returns an unsubscribe function. */
  watch(listener: (event: RegistryEvent) => void): () => void;
}

/** The directory and its change feed: what keeps the sandbox's directory snapshot current. */
export type WatchedDirectory = DirectoryStore & RegistryWatch;
