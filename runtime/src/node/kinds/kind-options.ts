/** What the node gives its agent kinds (decision 1980): how instances start, where records and timers live, and a cluster's placement (decision 2060). */
import type { Instrumentation } from '@caxton/core';
import type { AgentStore } from '../../storage/ports.js';
import type { AgentHost } from '../agent-host.js';
import type { AgentMessaging } from '../agent-messaging.js';
import type { LocalAgents, AgentLifecycleEvent } from '../local-agents.js';
import type { AgentRecord } from '../../storage/records.js';
import type { DueEntry } from './timer-wakes.js';

export interface AgentKindsOptions {
  /** How an instance starts (host.start, then its init's effects applied). */
  local: LocalAgents;
  host: AgentHost;
  messaging: AgentMessaging;
  /** Where kind records are kept (the registry); absent: kinds live only in memory (tests of the node without one). */
  store: AgentStore | undefined;
  events: Instrumentation<AgentLifecycleEvent>;
  /** The kill switch: a held kind (suspended, or the node frozen) activates nothing and runs nothing. */
  held: (agent: string) => boolean;
  untilRunnable: (agent: string) => Promise<void>;
  /** Subscribes to every change of the kill switch (returns the unsubscribe): a resumed or thawed kind's instances are woken. */
  onHoldChange?: (listener: () => void) => () => void;
  /** The instance no longer runs here (passivated or stopped): drop what the node keeps per name. */
  onDropped: (name: string, undeployed: boolean) => Promise<void>;
  /** Instances one shard may hold in memory; default KIND_LIMITS.maxActiveInstances split over the shards. */
  maxActivePerShard?: number;
  /** The idle period of a kind deployed without one. */
  defaultIdleMs?: number;
  /**
   * Timers of passivated instances (decision 1980): `nextDue` is the earliest due time of the timers
   * the node holds for an instance (read as it is passivated, before they are forgotten);
   * `pending` the registry's earliest due time per instance (read at start and when the bounded
   * wake index spilled). Absent: a passivated instance's timers wait for its next activation.
   */
  timers?: {
    nextDue(name: string): number | undefined;
    pending?(matches: (name: string) => boolean): Promise<DueEntry[]>;
    /** Deletes from the registry the timers of every agent `matches` says yes to (a kind's stop: its passivated instances' timers). */
    deleteWhere?(matches: (name: string) => boolean): Promise<void>;
    /** Deletes from the registry every instance timer of a kind in one step (preferred to `deleteWhere`). */
    deleteKind?(kind: string): Promise<void>;
    /** Deletes from the registry one instance's timers (its activation failed for good). */
    deleteOf?(name: string): Promise<void>;
    /**
     * The earliest due time per instance of one kind, in pages (the etcd registry, decision 2060):
     * read when a partition is assigned to this node (its passivated instances' wakes), and for
     * rebuilds of the wake index where `pending` is absent, never more than a page at a time.
     */
    ofKind?(kind: string, pageSize: number): AsyncIterable<DueEntry[]>;
    /**
     * One partition's wakes of a kind, soonest first, one entry per timer (the etcd registry's wake
     * index, decision 2060 *Wake index*). Preferred when the walk knows its partitions and
     * `indexed` says the index is complete: it reads nothing else. Otherwise `ofKind` is walked.
     */
    ofPartition?(partition: number, kind: string, pageSize: number): AsyncIterable<DueEntry[]>;
    indexed?(): boolean;
  };
  /** Passivated instances whose next timer the node remembers; default KIND_LIMITS.maxTimerWakes. */
  maxTimerWakes?: number;
  /** Registry keys one walk of the instance timer table may read; default KIND_LIMITS.maxTimerKeysPerWalk. */
  maxTimerKeysPerWalk?: number;
  now?: () => number;
  /**
   * A cluster (decision 2060): which node runs an instance is decided by where its mail is consumed
   * (its deliveries' partition), not by the node a send passes through. `route` then reserves
   * nothing (the sending node is usually not the instance's); only mail consumed here
   * (`noticeMail`) activates, and a timer wakes an instance only while `isHere` says its partition
   * is consumed on this node. Absent: the embedded node, where every instance is this node's.
   */
  placed?: {
    isHere(name: string): boolean;
    /** The kind's component ready to instantiate on this node (deployed through another node, it is fetched and prepared once per digest). */
    prepare(kind: AgentRecord): Promise<void>;
    /**
     * The tenure under which this node holds the instance's partition now (undefined: not here).
     * An instance is stamped with it when it takes its slot and runs only while it is unchanged: one
     * from an earlier tenure holds state that another node may have committed past since.
     */
    tenureOf?(name: string): number | undefined;
    /** The deliveries-topic partition of an instance (its mail's): waits for activation are counted per partition. */
    partitionOf?(name: string): number;
    /** The partitions consumed on this node now (their walk reads the wake index of those alone). */
    partitionsHere?(): readonly number[];
    /**
     * The node that should consume the instance's partition now, by the same rendezvous over the
     * live members that the consumer group assigns by (undefined: no node is live). Shown for an
     * instance this node does not hold, whose live state only that node knows (decision 2060).
     */
    ownerOf?(name: string): Promise<string | undefined>;
    /**
     * Deliveries of one partition that may wait here for activations (`activationWaitCap` of the
     * partition's window). Past it, mail for one more instance that finds no slot is dead-lettered
     * `bus.activation-limit`, its senders told: the partition is never paused by activation waits.
     */
    activationWaitCap?: number;
  };
  /** An instance came into memory here or left it (tests observe where keys are active; decision 2060). */
  onResidency?: (name: string, change: 'activated' | 'dropped') => void;
}

/** Timers of passivated instances, as the registry keeps them. */
export type KindTimers = NonNullable<AgentKindsOptions['timers']>;

/** A cluster's placement of instances by their mail's partition. */
export type KindPlacement = NonNullable<AgentKindsOptions['placed']>;
