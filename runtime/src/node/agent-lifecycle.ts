/**
 * Deployed agents: deploy, upgrade, stop, status, list, and whether one may get work. One class for
 * every topology: it validates requests (name, limits), validates and stores the component, builds
 * the registry record, and leaves where the agent runs to the residency the topology gave it
 * (agent-residency.ts). The agents running on this node are `local` (local-agents.ts).
 */
import type {
  AclMessage,
  AgentStatus,
  DeploySpec,
  UpgradeSpec,
  VerifiedArtifact,
  RolloutStrategy,
  AgentLimitsSpec,
  ReplicasView,
  TopicPatterns,
} from '@caxton/core';
import type { AbsentQueueLimits, DispatchOwnership, ReceiverKind, SharedAbsentCount } from '../bus/port.js';
import type { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import type { MessageLog } from '../bus/message-log.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { previousVersionOf, type AgentRecord, type RolloutRecord } from '../storage/records.js';
import type { ExecutionResult } from '../bus/executor.js';
import {
  AGENT_NAME,
  AGENT_NAME_HINT,
  AlreadyExistsError,
  checkKindTable,
  checkLimits,
  ConflictError,
  DEPLOYABLE_LIMITS,
  InvalidArgumentError,
  Instrumentation,
  NoPreviousVersionError,
  NotFoundError,
  isInstanceName,
  isReplicaUnitName,
  parseInstanceName,
  parseReplicaInstanceCap,
  REPLICA_LIMITS,
  replicaOwner,
  ReplicasScaledError,
  statefulVersionWhileScaled,
  ReplicasUnsupportedError,
  RolloutInProgressError,
  RolloutStatefulError,
  RolloutUnsupportedError,
  ReplayGateUnsupportedError,
  type ReplayGateSpec,
  type RecordedDeployment,
  resolveRolloutThresholds,
  type RolloutView,
  UnavailableError,
} from '@caxton/core';
import { Rollouts, type RolloutBeside } from './rollouts.js';
import { RecordedRollouts, recordedRolloutView } from './recorded-rollouts.js';
import { AgentReplicas } from './replicas.js';
import { countHandlings } from './handled-counts.js';
import { ClusterReplicaCounts } from './cluster-replica-counts.js';
import type { AgentHost } from './agent-host.js';
import type { AgentMessaging } from './agent-messaging.js';
import type { AgentResidency, ResidencyFactory } from './agent-residency.js';
import { LocalAgents, agentLog, type AgentLifecycleEvent, type LocalAgent } from './local-agents.js';
import type { AgentStateStore, AgentStore } from '../storage/ports.js';
import { AgentKinds, KindUnsupportedError, type AgentKindsOptions } from './kinds/index.js';
import type { TrustDecision, TrustPolicy } from '../signing/trust.js';
import { STATE_UNSUPPORTED } from '../storage/state-store.js';
import { absentBound } from './absent-bound.js';

/**
 * Names the platform answers as: `http@<platform>` sends the answers of outbound HTTP calls
 * (decision 1601); an agent deployed under that name would receive them, or pose as them.
 */
export const RESERVED_AGENT_NAMES: ReadonlySet<string> = new Set(['http']);

export class ReservedAgentNameError extends InvalidArgumentError {
  constructor(name: string) {
    super(
      'header.name',
      `"${name}" is reserved: the platform sends as ${name}@<platform>`,
      'choose another name, e.g. http-client or my-http',
    );
  }
}

export interface AgentLifecycleOptions {
  nodeId: string;
  artifacts: ArtifactStore;
  host: AgentHost;
  messaging: AgentMessaging;
  bus: Bus;
  log: MessageLog;
  defaults: Required<AgentLimitsSpec>;
  maxLimits: AgentLimitsSpec;
  /** Apply what init() did (services registered, timers set, messages sent). */
  onStarted: (init: ExecutionResult) => Promise<void>;
  /** See ResidencyContext.onStopped. */
  onStopped?: (agent: string, undeployed: boolean, keepsQueue?: boolean) => Promise<void>;
  /**
   * A deploy or upgrade gave the agent a topic allow-list (decision 2050): its subscriptions
   * outside it go (ones kept from before a narrower list, or from a deployment stopped with its
   * queue kept). Absent: nothing is removed.
   */
  pruneTopics?: (agent: string, patterns: TopicPatterns) => Promise<number>;
  /** Where agents run: given by the topology. */
  residency: ResidencyFactory;
  /** Agents' durable state: a fresh deploy clears what an earlier deployment of the name left. */
  state?: AgentStateStore;
  /** The kill switch (decision 1403); absent: nothing is ever held. */
  killSwitch?: {
    isHeld(agent: string): boolean;
    isSuspended?(agent: string): boolean;
    suspendedSince?(agent: string): number | undefined;
    untilRunnable(agent: string): Promise<void>;
    onChange?(listener: () => void): () => void;
  };
  /** Which signed artifacts this node accepts (decision 1400); absent: signatures are not looked at. */
  trust?: TrustPolicy;
  /** Where agent kinds are stored (decision 1980); absent: kinds are refused (a cluster, for now). */
  kindStore?: AgentStore;
  /** Replica instances beyond the agents' own (decision 2010); absent: `REPLICA_LIMITS.maxReplicaInstances` (above it: refused). */
  maxReplicaInstances?: number;
  /** The bus's events: each local agent's `messagesHandled` counts its `handled` and `timer-handled` events (decision 2101). */
  busEvents: BusEvents;
  /** Bounds of kinds' instances (decision 1980); absent: KIND_LIMITS. */
  kindLimits?: { maxActivePerShard?: number; defaultIdleMs?: number; maxTimerWakes?: number };
  /** Timers of passivated instances (decision 1980): what wakes them when due. */
  kindTimers?: AgentKindsOptions['timers'];
  /** An instance came into memory on this node or left it (decision 2060: tests observe where keys are active). */
  onKindResidency?: AgentKindsOptions['onResidency'];
  /**
   * `upgrade --replay` (issue 57): runs a new version on the agent's recorded traffic and throws
   * UpgradeReplayRefusedError when it may not replace the running one. Absent: this node keeps no
   * log to replay from, and such an upgrade is refused.
   */
  replayGate?: {
    check(agent: string, version: number, deployment: RecordedDeployment, component: Uint8Array, spec: ReplayGateSpec): Promise<unknown>;
  };
}

/** How long an operator's rollback through one node waits for the node running the agent to end its rollout (ms). */
const RECORDED_ROLLOUT_ABORT_WAIT_MS = 30_000;

export class AgentLifecycle {
  /** Lines for agents' logs (`agent-log`), from here, the local agents and the residency (decision 1106). */
  readonly events = new Instrumentation<AgentLifecycleEvent>();
  readonly local: LocalAgents;
  private readonly residency: AgentResidency;
  /** Blue-green and canary upgrades in progress on this node (decision 1871). */
  readonly rollouts: Rollouts;
  /** A cluster's rollouts, recorded in the registry and followed where the agent runs (decision 2171). */
  private readonly recorded: RecordedRollouts;
  /** Agents paused by `paused` (a handover): still their running version, `upgrading` meanwhile. */
  private readonly pausing = new Set<string>();
  /** Agent kinds and their keyed instances (decision 1980). */
  readonly kinds: AgentKinds;
  /** Replicas behind one name (decision 2010). */
  readonly replicas: AgentReplicas;
  /** Replica units' sandboxes on this node (decision 2096), set by a cluster residency: they hold AgentReplicas' budget too. */
  private unitsHeld: () => number = () => 0;
  /** Their count in a cluster's registry record (decision 2091). */
  private readonly clusterReplicas: ClusterReplicaCounts;

  constructor(private readonly o: AgentLifecycleOptions) {
    this.local = new LocalAgents({ nodeId: o.nodeId, host: o.host, messaging: o.messaging, events: this.events, onStarted: o.onStarted });
    // For the node's life (the lifecycle is the node's): nothing to unsubscribe.
    countHandlings(o.busEvents, this.local);
    this.kinds = new AgentKinds({
      local: this.local,
      host: o.host,
      messaging: o.messaging,
      store: o.kindStore,
      events: this.events,
      held: (name) => o.killSwitch?.isHeld(name) ?? false,
      untilRunnable: (name) => o.killSwitch?.untilRunnable(name) ?? Promise.resolve(),
      onHoldChange: (listener) => o.killSwitch?.onChange?.(listener) ?? (() => {}),
      onDropped: o.onStopped ?? (async () => {}),
      ...(o.kindLimits?.maxActivePerShard !== undefined ? { maxActivePerShard: o.kindLimits.maxActivePerShard } : {}),
      ...(o.kindLimits?.defaultIdleMs !== undefined ? { defaultIdleMs: o.kindLimits.defaultIdleMs } : {}),
      ...(o.kindLimits?.maxTimerWakes !== undefined ? { maxTimerWakes: o.kindLimits.maxTimerWakes } : {}),
      ...(o.kindTimers !== undefined ? { timers: o.kindTimers } : {}),
      ...(o.onKindResidency !== undefined ? { onResidency: o.onKindResidency } : {}),
    });
    this.residency = o.residency({
      nodeId: o.nodeId,
      local: this.local,
      host: o.host,
      artifacts: o.artifacts,
      messaging: o.messaging,
      bus: o.bus,
      log: o.log,
      identity: (name) => o.messaging.agentId(name),
      events: this.events,
      onStopped: o.onStopped ?? (async () => {}),
      kinds: this.kinds,
      onStarted: o.onStarted,
      ...(o.kindTimers !== undefined ? { timerDue: (name: string) => o.kindTimers!.nextDue(name) } : {}),
      held: (name) => o.killSwitch?.isHeld(name) ?? false,
      suspended: (name) => o.killSwitch?.isSuspended?.(name) ?? false,
      absentQueueOf: (record) => this.absentQueueOf(record),
      untilRunnable: (name) => o.killSwitch?.untilRunnable(name) ?? Promise.resolve(),
      // (Called once placement acts, after this constructor has built `replicas`.)
      replicas: {
        follow: (record) => this.clusterReplicas.followReplicas(record),
        leave: (name, force) => this.replicas.removeAll(name, force),
        instances: () => this.replicas.instances(),
        // The residency is made before AgentReplicas (below): the cap is parsed here, and the units'
        // count is handed to AgentReplicas once it exists.
        budget: () =>
          o.maxReplicaInstances === undefined ? REPLICA_LIMITS.maxReplicaInstances : parseReplicaInstanceCap(o.maxReplicaInstances),
        shareBudgetWith: (units) => {
          this.unitsHeld = units;
        },
      },
      // (Called once placement acts, after this constructor has built `rollouts`.)
      rollouts: {
        follow: (record, force) => this.recorded.follow(record, force),
        leave: (name, force) => this.rollouts.leave(name, force),
      },
    });
    this.rollouts = new Rollouts({
      host: o.host,
      messaging: o.messaging,
      events: this.events,
      state: o.state,
      promote: (candidate, size, beside, cancel) => this.promote(candidate, size, beside, cancel),
      pause: (name, fn) => this.paused(name, fn),
      current: (name) => {
        const local = this.local.get(name);
        return local?.state === 'running' || (local?.state === 'upgrading' && this.pausing.has(name)) ? local.record : undefined;
      },
      held: (name) => o.killSwitch?.isHeld(name) ?? false,
      ended: async (name, recordedAt) => {
        await this.residency.endRollout?.(name, recordedAt);
      },
      failAgent: (name, err) => {
        const local = this.local.get(name);
        if (local !== undefined && local.state !== 'stopping')
          this.local.fail(local, err, 'could not take its state back from the rollout');
      },
    });
    this.recorded = new RecordedRollouts({
      rollouts: this.rollouts,
      artifacts: o.artifacts,
      host: o.host,
      events: this.events,
      end: (name, startedAt) => this.residency.endRollout?.(name, startedAt) ?? Promise.resolve(undefined),
      refollow: (name) => this.residency.refollowRollout?.(name) ?? Promise.resolve(false),
    });
    this.replicas = new AgentReplicas({
      host: o.host,
      messaging: o.messaging,
      events: this.events,
      state: o.state,
      ...(o.maxReplicaInstances !== undefined ? { maxInstances: o.maxReplicaInstances } : {}),
      current: (name) => this.local.get(name)?.record,
      // Replica 1's view could not be rewound: the agent's own instance is the agent, failed as a
      // start that failed is (no more work; its mail waits; a start reads its committed state). An
      // agent no longer running here is being stopped (a forced stop takes its instance from under
      // the batch, which is why the rewind failed) or is failed already: nothing to report.
      fail: (name, err) => {
        const local = this.local.get(name);
        if (local !== undefined && local.state === 'running') this.local.fail(local, err, 'failed');
      },
      // The count goes into the agent's record (embedded: the store kinds use; cluster: the registry,
      // decision 2091), so a restart, or a new owner after a failover, restores it.
      persist: async (name, n) => {
        if (!this.writesReplicas(name, n)) return;
        const local = this.local.get(name)!;
        const record: AgentRecord = { ...local.record };
        if (n > 1) record.replicas = n;
        else delete record.replicas;
        if (this.residency.recordReplicas !== undefined) {
          // Cluster: only the node still holding the agent's claim records what runs here (review
          // finding 3): a zombie owner's batch is withheld by the fence, so its scale-back or
          // settling must not reach the record (and the new owner) either. Refused, typed: the
          // audit around this write records the failure.
          if (this.residency.holdsQueue?.(name) === false) {
            throw new UnavailableError(`node ${o.nodeId} no longer holds agent ${name}'s claim: its count ${n} is not recorded`, {
              context: { agent: name, node: o.nodeId },
              hint: 'the node that holds the agent now runs the count its registry record says; scale through any node',
            });
          }
          await this.residency.recordReplicas(name, n);
        } else await o.kindStore!.putAgent(record);
        local.record = record;
      },
      writes: (name, n) => this.writesReplicas(name, n),
    });
    this.replicas.shareBudgetWith(() => this.unitsHeld());
    this.clusterReplicas = new ClusterReplicaCounts({
      events: this.events,
      local: this.local,
      replicas: this.replicas,
      residency: this.residency,
      refuseKindScale: (name) => this.refuseKindScale(name),
      status: (name) => this.status(name),
    });
  }

  /**
   * Run the agent as `replicas` instances of its running version (decision 2010). Only a named
   * agent; not during a rollout. In a cluster the count goes into the agent's registry record and
   * the senders spread over its workers, placed by their own partitions (decisions 2093, 2168).
   */
  async scale(name: string, replicas: number): Promise<AgentStatus> {
    // Cluster (decisions 2093, 2168): the count is written to the registry record, through any node;
    // the senders spread over the workers `X#r<k>`, each run where its partition is consumed — the
    // owner runs no replicas itself. A rollout running here still refuses it.
    if (this.residency.recordReplicas !== undefined) {
      if (this.local.isRunning(name)) this.refuseDuringRollout(name);
      return this.clusterReplicas.scaleRecorded(name, replicas);
    }
    // In the agent's operation lock (with upgrade, rollback, rollout start, state import and the
    // node's own scale-back): the checks and the version read see no change half done.
    await this.replicas.exclusive(name, () => this.replicas.scaleNow(this.scalable(name).record, replicas));
    return (await this.status(name))!;
  }

  /**
   * Whether recording `n` replicas for `name` writes anything (the one definition `persist` and the
   * settle's audit both use, decision 2101): the agent runs here, its record says another count, and
   * there is a place to keep it (a cluster's registry, or the store kinds use). Otherwise nothing is
   * written, and a settle is not audited.
   */
  private writesReplicas(name: string, n: number): boolean {
    const local = this.local.get(name);
    if (local === undefined || (local.record.replicas ?? 1) === n) return false;
    return this.residency.recordReplicas !== undefined || this.o.kindStore !== undefined;
  }

  /**
   * What a scale needs, the operator's and the start-up restore's alike (one definition, review
   * finding 11): a named agent (not a kind or an instance of one), running here, with no rollout
   * in progress. Call it in the agent's operation lock.
   */
  private scalable(name: string): LocalAgent {
    this.refuseKindScale(name);
    const local = this.local.get(name);
    if (local === undefined) throw new NotFoundError('agent', name);
    if (local.state !== 'running') {
      throw new ConflictError(`agent ${name} is ${local.state}`, {
        context: { agent: name, state: local.state },
        hint: 'scale it once it is running (caxton agents shows its state)',
      });
    }
    this.refuseDuringRollout(name);
    return local;
  }

  private refuseKindScale(name: string): void {
    if (this.kinds.isKind(name) || isInstanceName(name)) {
      throw new ReplicasUnsupportedError(
        name,
        'it is an agent kind (or an instance of one), whose keys are its instances already (decision 1980)',
        'a kind spreads its keys over the shards by itself; scale named agents only',
      );
    }
  }

  /**
   * The count a scale of `name` is compared with to tell up from down: the replicas running here,
   * or (cluster, the agent runs on another node) the count its registry record says — a non-owner
   * runs none, so 3 → 2 there is a scale-down (review finding 5).
   */
  async replicaBaseline(name: string): Promise<number> {
    // Cluster (decisions 2093, 2168): the owner runs none itself either; the recorded count is the baseline everywhere.
    if (this.residency.recordReplicas === undefined) return this.replicas.count(name);
    return (await this.status(name))?.replicas?.replicas ?? 1;
  }

  /** Rollouts and state imports concern one instance: not while the agent runs as several (decision 2010). */
  private refuseWhileScaled(name: string, operation: string): void {
    const n = this.replicas.count(name);
    if (n > 1) throw new ReplicasScaledError(name, n, operation);
  }

  /**
   * A cluster's workers are stateless (decision 2163): a version that may write durable state
   * cannot replace a scaled agent's there, as it could not be scaled (each worker would write its
   * own copy). One node keeps decision 2010's rule: such a version runs, and a write scales it back
   * to one. The registry's compare-and-swap checks the live count again (placed-agents.ts).
   */
  private refuseStatefulWhileScaled(name: string, record: AgentRecord): void {
    if (this.residency.recordReplicas !== undefined && (record.replicas ?? 1) > 1) throw statefulVersionWhileScaled(name, record.replicas!);
  }

  /**
   * An upgrade's or rollback's swap (decision 2176). One node: a scaled agent's other replicas drain
   * first and run the version running after it (AgentReplicas.aroundSwap). A cluster's workers run
   * where their partitions are and follow the record's version by themselves (replica-units.ts).
   */
  private async swapScaled(name: string, swap: () => Promise<AgentStatus>): Promise<AgentStatus> {
    if (this.replicas.count(name) <= 1) return swap();
    const swapped = await this.replicas.aroundSwap(name, swap, () => {
      const local = this.local.get(name);
      if (local?.state !== 'running') return { none: `it is ${local?.state ?? 'gone'}` };
      // Replicas run agent code (their init): not while held, as at a start-up (decision 1403).
      if (this.o.killSwitch?.isHeld(name) === true) return { none: 'it is held by the kill switch; scale it once released' };
      return { record: local.record };
    });
    // The swap's status was taken with one replica running: the count is back now.
    return (await this.status(name)) ?? swapped;
  }

  /** Deployed: running here, or (cluster) anywhere; or a kind, or an instance of one (decision 1980). */
  has(name: string): boolean {
    return this.local.has(name) || this.residency.isDeployedAnywhere(name) || this.kinds.isKind(name) || this.isInstanceOfKind(name);
  }

  private isInstanceOfKind(name: string): boolean {
    if (!isInstanceName(name)) return false;
    try {
      const parsed = parseInstanceName(name);
      return parsed !== undefined && this.kinds.isKind(parsed.kind);
    } catch {
      return false;
    }
  }

  /**
   * Where the bus routes `name`: an instance of a kind is activated here (or refused at its shard's
   * bound); a kind itself takes no mail; an agent deployed here or anywhere is `agent`.
   */
  route(name: string): ReceiverKind {
    const kind = this.kinds.route(name);
    if (kind !== undefined) return kind;
    return this.local.has(name) || this.residency.isDeployedAnywhere(name) ? 'agent' : 'unknown';
  }

  /**
   * Is `name` an agent (deployed here or anywhere, or an instance of a kind in memory or not)?
   * Side-effect free: what the bus asks of a delivery's sender, where `route` would activate it.
   */
  isAgent(name: string): boolean {
    return this.kinds.isInstanceName(name) ?? (this.local.has(name) || this.residency.isDeployedAnywhere(name));
  }

  /** The HTTP egress rules `name` calls under: an agent's own, or an instance's kind's (decision 1980). */
  httpPolicyOf(name: string): AgentRecord['http'] {
    const local = this.local.get(name);
    if (local !== undefined) return local.record.http;
    // A replica unit (decision 2093) calls under X's rules, from the record it was started with (review fix 2).
    if (isReplicaUnitName(name)) return this.residency.replicaUnitRecord?.(name)?.http;
    const slash = name.indexOf('/');
    // Passivated but owned here reads its kind's rules too, without activating it: its MTP post
    // waiting on a timer is tried under them (review of outboxfix4, round 2).
    return slash > 0 && (this.kinds.isActive(name) || this.kinds.ownsHere(name)) ? this.kinds.versionOf(name)?.http : undefined;
  }

  /**
   * The topic allow-list `name` subscribes under (decision 2050): an agent's own, or an instance's
   * kind's; undefined when the deployment has none (every topic). Read from the record this node
   * holds (during an upgrade, the new version's: its init subscribes under it), or, for an agent
   * running on another node, from the registry's watched mirror. Asked for every subscriber of a
   * topic at delivery too, so it does no I/O.
   */
  topicPatternsOf(name: string): TopicPatterns | undefined {
    const local = this.local.get(name);
    if (local !== undefined) return local.record.topics;
    const slash = name.indexOf('/');
    if (slash > 0) return this.kinds.versionOf(name)?.topics; // its key's version (a rollout by key, decision 2175)
    // A replica unit (decision 2093) is under X's allow-list (it cannot subscribe itself: review fix 2).
    return this.residency.deployedTopics?.(replicaOwner(name));
  }

  /** A routed send appended nothing for `name`: an instance's reserved slot is given back (decision 1980). */
  unrouted(name: string): void {
    if (isInstanceName(name)) this.kinds.unrouted(name);
  }

  /**
   * This node owns `name`: an agent deployed here, or an instance of a kind deployed here whose
   * placement is this node — in memory or passivated (unlike `isLocal`). Activates nothing.
   */
  ownsHere(name: string): boolean {
    return this.local.has(name) || this.kinds.ownsHere(name);
  }

  /** Runs (or starts, or stops) on this node. */
  isLocal(name: string): boolean {
    return this.local.has(name) || this.kinds.isActive(name);
  }

  /**
   * Running here and allowed to take work now: not held by the kill switch (decision 1403), not
   * waiting out a restart backoff after a crash (decision 1720; the node wakes it when that ends).
   */
  isRunnable(name: string): boolean {
    // A replica unit of a scaled agent (decision 2093): activated here for its mail, fenced by its partition.
    const unit = this.residency.replicaUnitRunnable?.(name);
    if (unit !== undefined) return unit && this.residency.mayRun(name) && !(this.o.killSwitch?.isHeld(replicaOwner(name)) ?? false);
    // In a cluster an instance also needs its partition's fence to hold (decision 2060).
    if (isInstanceName(name)) return this.kinds.isRunnable(name) && this.residency.mayRun(name);
    return (
      this.local.isRunning(name) &&
      this.residency.mayRun(name) &&
      !(this.o.killSwitch?.isHeld(name) ?? false) &&
      // The instance holding its state waits out its restart backoff (a handover's new version, decision 2170).
      !((this.o.host.restartDelay?.(this.rollouts.stateHolder(name) ?? name) ?? 0) > 0)
    );
  }

  /**
   * Absent (decision 1990): stopped with its queue kept, or suspended, on the node that holds its
   * queue — every node for its agents (embedded), the agent's claim holder (cluster: the queue
   * follows placement). Its messages wait, bounded by its deployment's `absentQueue` and
   * `absentTtlMs` (else the node's defaults) and, in a cluster, by its partition's absent budget.
   */
  absence(name: string): AbsentQueueLimits | undefined {
    const own = this.ownAbsence(name);
    if (own === undefined) return undefined;
    const budget = this.residency.absentBudget?.(name);
    if (budget === undefined) return own;
    // A cluster (decision 1990, *Cluster*): the absent deliveries of one partition stay within its
    // budget, below the consumer's window, or one absent agent would stall its partition's others.
    // The budget is shared first come: what the partition's other absent agents hold (each within
    // its own bound) is not this agent's.
    let others = 0;
    for (const other of this.local.names()) {
      if (other === name || this.residency.absentBudget?.(other)?.partition !== budget.partition) continue;
      const limits = this.ownAbsence(other);
      if (limits !== undefined) others += Math.min(limits.queue, this.o.messaging.mailboxDepth(other));
    }
    const bound = absentBound(own.queue, budget.budget, others);
    return bound.partitionBudget === undefined ? own : { ...own, queue: bound.limit, partitionBudget: bound.partitionBudget };
  }

  /**
   * A cluster's log deletes records after its retention (decision 1990, *Cluster*): a message
   * waiting longer for an absent agent would be lost without a dead letter at a failover.
   */
  private refuseAbsentTtlPastRetention(ttlMs: number): void {
    const max = this.residency.maxAbsentTtlMs;
    if (max === undefined || ttlMs <= max) return;
    throw new InvalidArgumentError(
      'limits.absent_ttl_ms',
      `an absent TTL of ${ttlMs} ms is longer than this cluster keeps a message (${max} ms: the deliveries topic's retention less an hour)`,
      `deploy with --absent-ttl of at most ${Math.floor(max / 3_600_000)}h (a node's default --absent-ttl counts when the deploy gives none)`,
    );
  }

  /**
   * Absent here, with the agent's own bound (its deployment's, else the node's defaults). Not
   * fenced by the claim (a cluster): admission, the display and edge admission follow the local
   * agent; only what ends messages (trim, expiry) asks `holdsQueue` first, letter by letter.
   */
  private ownAbsence(name: string): AbsentQueueLimits | undefined {
    const local = this.local.get(name);
    if (local === undefined) return undefined;
    const stopped = local.state === 'stopped' && local.record.absentSince !== undefined;
    if (!stopped && !(this.o.killSwitch?.isSuspended?.(name) ?? false)) return undefined;
    const limits = local.record.limits;
    const since = stopped ? local.record.absentSince : this.o.killSwitch?.suspendedSince?.(name);
    return {
      queue: this.absentQueueOf(local.record),
      // A node's default (or an older deployment) past a cluster's retention expires at its edge.
      ttlMs: Math.min(limits.absentTtlMs ?? this.o.defaults.absentTtlMs, this.residency.maxAbsentTtlMs ?? Number.POSITIVE_INFINITY),
      ...(since !== undefined ? { since } : {}),
    };
  }

  /** The bound of `record`'s absent queue on this node: its deployment's, else the node's default. */
  private absentQueueOf(record: { limits: { absentQueue?: number } }): number {
    return record.limits.absentQueue ?? this.o.defaults.absentQueue;
  }

  /** Cluster (decision 2157): the count every node's sends to absent agents take their places in; undefined embedded. */
  get sharedAbsent(): SharedAbsentCount | undefined {
    return this.residency.sharedAbsent;
  }

  /**
   * Cluster (decision 2157): publishes, for each absent agent whose queue this node holds now, the
   * deliveries it holds (`idsOf`), so the places their sends took give way to them and an agent
   * that is back leaves the count. Called by each sweep; a failure is said on the agents' logs and
   * tried again at the next (the places stay counted meanwhile: sends are refused early, never late).
   */
  async publishAbsentQueues(idsOf: (agent: string) => string[]): Promise<void> {
    const shared = this.residency.sharedAbsent;
    if (shared === undefined) return;
    const held: { agent: string; queue: number; ids: string[] }[] = [];
    for (const name of this.local.names()) {
      const own = this.ownAbsence(name);
      if (own !== undefined && this.holdsQueue(name)) held.push({ agent: name, queue: own.queue, ids: idsOf(name) });
    }
    try {
      await shared.publish(held);
    } catch (err) {
      for (const h of held)
        agentLog(
          this.events,
          h.agent,
          'warn',
          `[caxton] what this node holds of the absent queue could not be published to the cluster's count (${(err as Error).message}); tried again at the next sweep`,
        );
    }
  }

  /**
   * May this node keep, bound and expire `name`'s absent queue now (decision 1990)? Embedded:
   * always. Cluster: while it holds the agent's claim with the completion margin (the fence of
   * an expiry, as of a completion).
   */
  holdsQueue(name: string): boolean {
    return this.residency.holdsQueue?.(name) ?? true;
  }

  /** A cluster: its scaled agents' workers are units placed across nodes (decisions 2093, 2168). */
  get replicasAcrossNodes(): boolean {
    return this.residency.recordReplicas !== undefined;
  }

  /** The receiver a send to `name` is written to: a scaled agent's replica unit in a cluster (decision 2093), else `name`. */
  replicaUnit(name: string, message: AclMessage, messageId: string): string {
    return this.residency.replicaUnit?.(name, message, messageId) ?? name;
  }

  /** Agents on this node. */
  names(): string[] {
    return this.local.names();
  }

  ownership(): DispatchOwnership | undefined {
    return this.residency.ownership();
  }

  noticeMail(agent: string): void {
    if (isInstanceName(agent)) this.kinds.noticeMail(agent);
    else this.residency.noticeMail(agent);
  }

  /**
   * Start-up: the kinds first (an agent's init may send to an instance), then the agents this node
   * runs by itself; failures are reported, not fatal.
   */
  async restore(): Promise<void> {
    if (this.o.kindStore !== undefined) {
      for (const record of await this.o.kindStore.listAgents()) if (record.kind !== undefined) this.kinds.add(record);
    }
    await this.residency.restore();
    await this.restoreReplicas();
  }

  /**
   * Agents that ran as several replicas run so again (decision 2010), once they run, under the same
   * preconditions as a scale. One that can no longer be scaled (a kind or a cluster now, not
   * running, stateful, past the node's budget, a replica's init failed) runs as one, and its record
   * is rewritten to one as an audited change (peer `replicas`). One held by the kill switch runs as
   * one and keeps its recorded count, which its status shows (`recorded`) until a start restores it
   * or a scale replaces it.
   */
  private async restoreReplicas(): Promise<void> {
    for (const name of this.local.names()) {
      const recorded = this.local.get(name)?.record.replicas ?? 1;
      if (recorded <= 1) continue;
      if (this.o.killSwitch?.isHeld(name) ?? false) {
        // Starting replicas runs agent code: not while held. The count stays in the record for the next start.
        agentLog(
          this.events,
          name,
          'warn',
          `held by the kill switch at start-up: runs as one replica, not ${recorded}, until the next start or a scale`,
        );
        continue;
      }
      try {
        await this.replicas.exclusive(name, () => this.replicas.scaleNow(this.scalable(name).record, recorded));
      } catch (err) {
        agentLog(this.events, name, 'warn', `not restored as ${recorded} replicas, runs as one: ${(err as Error).message}`);
        this.replicas.downgradeAtStart(name, recorded, (err as Error).message);
      }
    }
  }

  /** The bus takes sends now: passivated instances are woken when their timers fall due (decision 1980). */
  startTimerWakes(): Promise<void> {
    return this.kinds.startTimerWakes();
  }

  /** The node stops: no more passivation sweeps. */
  close(): void {
    this.kinds.close();
    this.recorded.close();
  }

  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.checkName(spec.name);
    if (this.kinds.isKind(spec.name)) throw new AlreadyExistsError('agent', spec.name);
    await this.residency.refuseExisting(spec.name);
    if (spec.kind !== undefined) return this.deployKind(spec, artifact);
    const trust = this.trust(spec.name, artifact); // before anything is prepared or stored
    const limits = this.limits(spec.limits, this.o.defaults);
    this.refuseAbsentTtlPastRetention(limits.absentTtlMs ?? this.o.defaults.absentTtlMs);
    const { digest, writesState } = await this.o.host.prepare(artifact.bytes); // validates before anything is stored
    await this.o.artifacts.put(artifact.bytes); // cluster: etcd first, every node can fetch it once this resolves
    const now = Date.now();
    const record: AgentRecord = {
      name: spec.name,
      artifactDigest: digest,
      limits,
      config: spec.config,
      version: 1,
      createdAt: now,
      updatedAt: now,
      ...(writesState === true ? { writesState } : {}),
      ...(spec.http !== undefined ? { http: spec.http } : {}),
      ...(trust.signerKeyId !== undefined ? { signerKeyId: trust.signerKeyId } : {}),
      ...(spec.language !== undefined ? { language: spec.language } : {}),
      ...(spec.a2aCard !== undefined ? { a2aCard: spec.a2aCard } : {}),
      ...(spec.topics !== undefined ? { topics: spec.topics } : {}),
    };
    // Undeploy keeps state so a redeploy can choose (decision 1600); cleared before the agent starts
    // and reads it. Upgrades never come here: they keep state.
    if (spec.keepState !== true) await this.clearState(spec.name);
    // An earlier deployment's rollout says nothing about this one; one not yet ended is ended first.
    await this.rollouts.abort(spec.name, 'the agent was deployed anew');
    this.rollouts.forget(spec.name);
    const status = await this.residency.deploy(record, artifact.bytes.byteLength);
    this.o.messaging.replaced?.(spec.name);
    this.logTrust(spec.name, trust);
    if (spec.topics !== undefined) await this.pruneTopics(spec.name, spec.topics);
    return status;
  }

  /**
   * A kind (decision 1980): validated, prepared and stored like an agent, then ONE registry record;
   * no instance starts. A fresh kind keeps what instances of an earlier kind of the name left in
   * state (clearing every key would need a walk of the state store): `--keep-state` is implied.
   */
  private async deployKind(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    if (this.o.kindStore === undefined) {
      throw new KindUnsupportedError(
        'agent kinds are not available in cluster mode yet (decision 1980)',
        'deploy the kind on a node of the embedded topology, or deploy named agents',
      );
    }
    // The rows of core's KIND_LIMIT_TABLE (decision 2153), named by their wire fields (header.kind.idle_ms).
    const asked = checkKindTable({ idleMs: spec.kind?.idleMs, maxActive: spec.kind?.maxActive });
    const idleMs = asked.idleMs ?? this.kinds.defaultIdleMs;
    const maxActive = asked.maxActive;
    const trust = this.trust(spec.name, artifact);
    const limits = this.limits(spec.limits, this.o.defaults);
    const { digest } = await this.o.host.prepare(artifact.bytes); // every instance instantiates this prepared artifact
    await this.o.artifacts.put(artifact.bytes);
    const now = Date.now();
    const record: AgentRecord = {
      name: spec.name,
      artifactDigest: digest,
      limits,
      config: spec.config,
      version: 1,
      createdAt: now,
      updatedAt: now,
      kind: { idleMs, ...(maxActive !== undefined ? { maxActive } : {}) },
      ...(spec.http !== undefined ? { http: spec.http } : {}),
      ...(trust.signerKeyId !== undefined ? { signerKeyId: trust.signerKeyId } : {}),
      ...(spec.language !== undefined ? { language: spec.language } : {}),
      // Every instance subscribes under the kind's allow-list (decision 2050).
      ...(spec.topics !== undefined ? { topics: spec.topics } : {}),
    };
    await this.kinds.deploy(record);
    this.logTrust(spec.name, trust);
    return this.kinds.status(spec.name)!;
  }

  private async upgradeKind(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    const previous = this.kinds.record(spec.name)!;
    if (previous.rollout !== undefined) throw new RolloutInProgressError(spec.name, previous.rollout.candidate.version);
    const trust = this.trust(spec.name, artifact);
    const limits = this.limits(spec.limits, previous.limits);
    const { digest } = await this.o.host.prepare(artifact.bytes);
    await this.o.artifacts.put(artifact.bytes);
    const next: AgentRecord = {
      ...previous,
      artifactDigest: digest,
      limits,
      config: spec.config ?? previous.config,
      version: previous.version + 1,
      updatedAt: Date.now(),
      ...(spec.http !== undefined ? { http: spec.http } : {}),
      ...(spec.topics !== undefined ? { topics: spec.topics } : {}),
      previous: previousVersionOf(previous),
    };
    delete next.signerKeyId;
    if (trust.signerKeyId !== undefined) next.signerKeyId = trust.signerKeyId;
    delete next.language;
    if (spec.language !== undefined) next.language = spec.language;
    if (spec.strategy !== undefined) {
      // By key (decision 2175): the keys the split gives the new version run it from their next
      // activation, each with its own state; the record holds the rollout on both topologies.
      const rollout = recordedRollout(next, artifact, spec.strategy, spec);
      const agent = await this.kinds.startRollout(previous, rollout);
      this.logTrust(spec.name, trust);
      return { agent, previousVersion: previous.version };
    }
    await this.kinds.upgrade(next);
    this.logTrust(spec.name, trust);
    return { agent: this.kinds.status(spec.name)!, previousVersion: previous.version };
  }

  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    if (this.kinds.isKind(spec.name)) {
      if (spec.replay !== undefined)
        throw new ReplayGateUnsupportedError(
          spec.name,
          'a kind is replayed per instance: `caxton replay <kind>/<key> --with <new version>`',
        );
      return this.upgradeKind(spec, artifact);
    }
    // The agent's operation lock: no scale starts replicas of the old version meanwhile (decision 2010).
    return this.replicas.exclusive(spec.name, () => this.upgradeNamed(spec, artifact));
  }

  /**
   * `upgrade --replay` (issue 57): the new version runs on the agent's recorded traffic first, under
   * its own limits and config and the running deployment's seed (an upgrade keeps it); a refusal
   * leaves the running version as it is (nothing was stored yet).
   */
  private async replayFirst(
    spec: UpgradeSpec,
    previous: AgentRecord,
    digest: string,
    limits: AgentLimitsSpec,
    bytes: Uint8Array,
  ): Promise<void> {
    const gate = this.o.replayGate;
    if (gate === undefined)
      throw new ReplayGateUnsupportedError(
        spec.name,
        "this node keeps no log on disk to replay from (a memory log; a cluster's Kafka log is not read back yet)",
      );
    const http = spec.http ?? previous.http;
    const topics = spec.topics ?? previous.topics;
    await gate.check(
      spec.name,
      previous.version,
      {
        name: previous.name,
        version: previous.version + 1,
        artifactDigest: digest,
        createdAt: previous.createdAt,
        limits: limits as unknown as Record<string, unknown>,
        config: spec.config ?? previous.config,
        ...(http !== undefined ? { http } : {}),
        ...(topics !== undefined ? { topics } : {}),
      },
      bytes,
      spec.replay!,
    );
    // The replay took a while: the upgrade goes on only from the deployment it was judged against
    // (a stop, a new deployment or another version meanwhile refuse it; nothing is stored yet).
    const now = await this.residency.upgradeBase(spec.name);
    if (now.version !== previous.version || now.createdAt !== previous.createdAt || now.absentSince !== previous.absentSince)
      throw new ConflictError(`agent ${spec.name} changed while its new version was being replayed (it is version ${now.version} now)`, {
        context: { agent: spec.name, version: now.version, replayedAgainst: previous.version },
        hint: 'upgrade again: the replay runs on what the agent is now',
      });
  }

  private async upgradeNamed(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    this.refuseDuringRollout(spec.name);
    // A scaled agent is upgraded in place (decision 2176); a rollout beside it is not: it would split
    // the agent's conversations between its versions on one replica, and not on the others.
    if (spec.strategy !== undefined) this.refuseWhileScaled(spec.name, 'roll out');
    const previous = await this.residency.upgradeBase(spec.name);
    // Recorded in a cluster's registry (decision 2171): refused through every node, not only the one running it.
    if (previous.rollout !== undefined) throw new RolloutInProgressError(spec.name, previous.rollout.candidate.version);
    if (spec.strategy !== undefined) this.clusterReplicas.refuseRecordedScaled(previous, 'roll out');
    const recordsRollouts = this.residency.startRollout !== undefined;
    if (spec.strategy !== undefined && !recordsRollouts && !this.local.isRunning(spec.name)) {
      // Nothing would compare the new version with a running one, and the mailbox would wait for the bake.
      throw new RolloutUnsupportedError(spec.name, `it is ${this.local.get(spec.name)?.state ?? 'not running here'}`);
    }
    const trust = this.trust(spec.name, artifact);
    const limits = this.limits(spec.limits, previous.limits);
    this.refuseAbsentTtlPastRetention(limits.absentTtlMs ?? this.o.defaults.absentTtlMs);
    const { digest, writesState } = await this.o.host.prepare(artifact.bytes); // a bad artifact leaves the old version running
    if (writesState === true) this.refuseStatefulWhileScaled(spec.name, previous);
    if (spec.replay !== undefined) await this.replayFirst(spec, previous, digest, limits, artifact.bytes);
    await this.o.artifacts.put(artifact.bytes);
    const next: AgentRecord = {
      ...previous,
      artifactDigest: digest,
      limits,
      config: spec.config ?? previous.config,
      version: previous.version + 1,
      updatedAt: Date.now(),
      ...(spec.http !== undefined ? { http: spec.http } : {}),
      // The card describes the deployment, not the artifact: kept unless the upgrade names a new one.
      ...(spec.a2aCard !== undefined ? { a2aCard: spec.a2aCard } : {}),
      // So does the topic allow-list (decision 2050).
      ...(spec.topics !== undefined ? { topics: spec.topics } : {}),
      previous: previousVersionOf(previous),
    };
    // The signer belongs to the artifact: a new version keeps none of the old one's. So does `writesState`.
    delete next.signerKeyId;
    if (writesState === true) next.writesState = true;
    else delete next.writesState;
    if (trust.signerKeyId !== undefined) next.signerKeyId = trust.signerKeyId;
    // So does the language: an upgrade that states none shows none rather than the old artifact's.
    delete next.language;
    if (spec.language !== undefined) next.language = spec.language;
    if (spec.strategy !== undefined && recordsRollouts) {
      // A cluster (decision 2171): recorded beside the running version; the node running it follows.
      // A canary is refused here on what the components write; the state's entries, there.
      if (spec.strategy.kind !== 'blue-green' && (previous.writesState === true || next.writesState === true))
        throw new RolloutStatefulError(spec.name, 0);
      // Nothing would run it: the node running the agent follows the record only while it runs.
      const state = (await this.residency.status(spec.name))?.state;
      if (state !== 'running') throw new RolloutUnsupportedError(spec.name, `it is ${state ?? 'not running'} in the cluster`);
      const rollout = recordedRollout(next, artifact, spec.strategy, spec);
      const agent = await this.residency.startRollout!(previous, rollout);
      this.logTrust(spec.name, trust);
      return { agent, previousVersion: previous.version };
    }
    if (spec.strategy !== undefined) {
      // Beside the running version: the record changes only if and when the rollout promotes it.
      await this.rollouts.start(next, artifact.bytes.byteLength, spec.strategy, spec.thresholds);
      this.logTrust(spec.name, trust);
      return { agent: (await this.status(spec.name))!, previousVersion: previous.version };
    }
    const agent = await this.swapScaled(spec.name, () => this.residency.upgrade(previous, next, artifact.bytes.byteLength));
    this.o.messaging.replaced?.(spec.name);
    this.logTrust(spec.name, trust);
    if (spec.topics !== undefined) await this.pruneTopics(spec.name, spec.topics);
    return { agent, previousVersion: previous.version };
  }

  /**
   * Back to the version the last upgrade replaced: its artifact (read from the store, checked
   * against its digest), limits, config, HTTP policy, signer and language, as version n+1, through
   * the same drain-and-swap as an upgrade. The trust policy is asked again about the signer recorded
   * for that version — a key no longer trusted, or an unsigned artifact under `require`, is refused
   * as an upload would be. State is kept, as in an upgrade.
   */
  async rollback(name: string): Promise<{ agent: AgentStatus; previousVersion: number }> {
    if (this.kinds.isKind(name)) {
      const aborted = await this.abortKindRollout(name);
      if (aborted !== undefined) return aborted;
      throw new KindUnsupportedError(
        `rollback of kind ${name} is not available yet (decision 1980)`,
        'upgrade the kind to the previous artifact instead',
      );
    }
    return this.replicas.exclusive(name, () => this.rollbackNamed(name));
  }

  private async rollbackNamed(name: string): Promise<{ agent: AgentStatus; previousVersion: number }> {
    const aborted = await this.abortRollout(name);
    if (aborted !== undefined) return aborted;
    const current = await this.residency.upgradeBase(name);
    const back = current.previous;
    if (back === undefined) throw new NoPreviousVersionError(name, current.version);
    const trust = this.o.trust?.recheck(name, back.artifactDigest, back.signerKeyId) ?? {};
    const bytes = await this.o.artifacts.get(back.artifactDigest);
    const { writesState } = await this.o.host.prepare(bytes); // cached by digest: the version ran here before
    if (writesState === true) this.refuseStatefulWhileScaled(name, current);
    const next: AgentRecord = {
      name: current.name,
      createdAt: current.createdAt,
      version: current.version + 1,
      updatedAt: Date.now(),
      ...(writesState === true ? { writesState } : {}),
      artifactDigest: back.artifactDigest,
      limits: back.limits,
      config: back.config,
      ...(back.http !== undefined ? { http: back.http } : {}),
      ...(trust.signerKeyId !== undefined ? { signerKeyId: trust.signerKeyId } : {}),
      ...(back.language !== undefined ? { language: back.language } : {}),
      // The card describes the deployment, not a version: a rollback keeps the current one.
      ...(current.a2aCard !== undefined ? { a2aCard: current.a2aCard } : {}),
      // And the topic allow-list: it is the operator's grant to the deployment (decision 2050).
      ...(current.topics !== undefined ? { topics: current.topics } : {}),
      // And the count it is scaled to (decision 2176).
      ...(current.replicas !== undefined ? { replicas: current.replicas } : {}),
      previous: previousVersionOf(current),
    };
    const agent = await this.swapScaled(name, () => this.residency.upgrade(current, next, bytes.byteLength));
    this.o.messaging.replaced?.(name);
    agentLog(this.events, name, 'info', `rolled back to the artifact of version ${back.version} (now version ${next.version})`);
    this.logTrust(name, trust);
    return { agent, previousVersion: current.version };
  }

  /**
   * During a rollout, a rollback is its abort: the new version goes, the running one stays as it
   * is (a promotion still waiting for a held agent is cancelled). Only a promotion whose swap had
   * begun is not undone here (undefined: the caller rolls the promoted version back). Runs no agent
   * code, so the kill switch allows it. Undefined too when no rollout is in progress.
   */
  async abortRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    if (this.kinds.isKind(name)) return this.abortKindRollout(name);
    const starting = this.rollouts.isStarting(name) ? this.rollouts.busy(name) : undefined;
    if (starting !== undefined) throw new RolloutInProgressError(name, starting);
    const rollout = this.rollouts.inProgress(name);
    if (rollout === undefined) return this.abortRecordedRollout(name);
    const ended = await this.rollouts.abort(name, 'rolled back by the operator');
    if (ended?.phase === 'promoted') return undefined;
    return { agent: (await this.status(name))!, previousVersion: rollout.candidateVersion };
  }

  /**
   * During a kind's rollout by key, its abort (decision 2175): written through this node on either
   * topology, every key goes back to the running version. Undefined when none is recorded.
   */
  private async abortKindRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    const candidate = this.kinds.record(name)?.rollout?.candidate.version;
    const agent = await this.kinds.abortRollout(name, 'rolled back by the operator');
    return agent === undefined ? undefined : { agent, previousVersion: candidate ?? agent.version + 1 };
  }

  /**
   * A cluster's rollout running on another node (decision 2171): marked in the record, which that
   * node follows (it aborts it, audited, and removes it). Undefined when none is recorded.
   */
  private async abortRecordedRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    const ended = await this.residency.abortRollout?.(name, 'rolled back by the operator', RECORDED_ROLLOUT_ABORT_WAIT_MS);
    if (ended === undefined) return undefined;
    const status = await this.status(name);
    if (status === undefined) throw new NotFoundError('agent', name);
    const view: RolloutView = {
      ...recordedRolloutView(ended),
      phase: 'aborted',
      reason: 'rolled back by the operator',
    };
    return { agent: { ...status, rollout: view }, previousVersion: ended.candidate.version };
  }

  /**
   * Subscriptions outside a new allow-list go (decision 2050). The deployment is in place already:
   * a registry that fails here is reported on the agent's log, not as a failed deploy.
   */
  private async pruneTopics(name: string, patterns: TopicPatterns): Promise<void> {
    if (this.o.pruneTopics === undefined) return;
    try {
      const removed = await this.o.pruneTopics(name, patterns);
      if (removed > 0)
        agentLog(this.events, name, 'info', `${removed} topic subscription${removed === 1 ? '' : 's'} outside its allowed topics removed`);
    } catch (err) {
      agentLog(this.events, name, 'warn', `subscriptions outside its allowed topics not removed: ${(err as Error).message}`);
    }
  }

  /** The trust policy's verdict on an upload; throws (refuses) under `require`. */
  private trust(name: string, artifact: VerifiedArtifact): TrustDecision {
    return this.o.trust?.check(name, artifact.sha256, artifact.signature) ?? {};
  }

  /** Who vouched for the running version, or why nobody did, on the agent's own log. */
  private logTrust(name: string, trust: TrustDecision): void {
    if (trust.warning !== undefined) agentLog(this.events, name, 'warn', `untrusted artifact: ${trust.warning}`);
    else if (trust.signerKeyId !== undefined) {
      const what = trust.statement ? ` (${trust.statement.name}${trust.statement.version ? ` ${trust.statement.version}` : ''})` : '';
      agentLog(this.events, name, 'info', `artifact signed by trusted key ${trust.signerKeyId}${what}`);
    }
  }

  async stop(name: string, force: boolean, keepQueue = false): Promise<AgentStatus> {
    if (this.kinds.isKind(name)) {
      if (keepQueue)
        throw new InvalidArgumentError(
          'keep_queue',
          `${name} is an agent kind: its instances keep no absent queue`,
          'stop the kind without --keep-queue; messages to its keys are refused while it is gone (decision 1990)',
        );
      return this.kinds.stop(name, force);
    }
    if (isInstanceName(name)) {
      throw new InvalidArgumentError(
        'name',
        `${name} is an instance of a kind: it is stopped with its kind`,
        'stop the kind (caxton stop <kind>); an idle instance is passivated by itself',
      );
    }
    const starting = this.rollouts.isStarting(name) ? this.rollouts.busy(name) : undefined;
    if (starting !== undefined) throw new RolloutInProgressError(name, starting); // its init is running; stop once it is baking
    if (this.rollouts.inProgress(name) !== undefined) await this.rollouts.abort(name, 'the agent was stopped', force);
    // Its replicas go first (drained unless forced); its own instance then stops as before.
    await this.replicas.removeAll(name, force);
    return this.withAbsentQueue(this.withRollout(await this.residency.stop(name, force, keepQueue)));
  }

  /** An agent, a kind (with its instances' counts) or one instance of a kind (decision 1980). */
  async status(name: string): Promise<AgentStatus | undefined> {
    if (this.kinds.isKind(name)) return this.kinds.status(name);
    if (isInstanceName(name)) return this.kinds.instanceStatus(name);
    const status = await this.residency.status(name);
    return status && this.withReplicas(this.withAbsentQueue(this.withRollout(status)));
  }

  /** Agents and kinds (not instances: a kind's status counts them). */
  async list(): Promise<AgentStatus[]> {
    const agents = await Promise.all(
      (await this.residency.list()).map((s) => this.withReplicas(this.withAbsentQueue(this.withRollout(s)))),
    );
    const kinds = this.kinds.names().map((n) => this.kinds.status(n)!);
    return kinds.length === 0 ? agents : [...agents, ...kinds].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A rollout of the agent, in progress or the last that ended, shown in its status. */
  private withRollout(status: AgentStatus): AgentStatus {
    const rollout = this.rollouts.shown(status.name);
    return rollout === undefined ? status : { ...status, rollout };
  }

  /**
   * An agent running as several replicas shows how many (decision 2010). What it handled is the
   * local agent's one counter already, every replica counted (decision 2101).
   */
  private async withReplicas(status: AgentStatus): Promise<AgentStatus> {
    const running = this.replicas.view(status.name);
    // A count in the record that does not run (held at start-up), shown while no change is under way
    // (a scale records its count once it is done), and only for an agent that runs or is held (held
    // at start-up it is `starting`): a stopped or failed one runs nothing, so "1 replica, N recorded"
    // would be wrong about it.
    const recorded = this.local.get(status.name)?.record.replicas ?? 1;
    // Cluster (decisions 2093, 2168): the owner runs none itself; the count is what the senders spread over.
    if (this.residency.recordReplicas !== undefined) {
      // Through a node that does not run X the count is the record's, as the residency read it.
      const count = this.local.get(status.name) !== undefined ? recorded : (status.replicas?.replicas ?? 1);
      if (count <= 1) return status;
      // Each unit where it is placed and whether it runs (decision 2097); the count alone if etcd does
      // not answer, said in X's log so "no unit lines" is not read as "no units" (review finding 4).
      const running = status.state === 'running' || status.state === 'upgrading';
      const units = await this.residency
        .replicaUnitViews?.(
          status.name,
          count,
          status.nodeId,
          running,
          this.local.isRunning(status.name) ? status.messagesHandled : undefined,
        )
        .catch((err: unknown) => {
          agentLog(
            this.events,
            status.name,
            'warn',
            `its replica units are not shown (only the count, ${count}): etcd did not answer the read of where they run: ${(err as Error).message}`,
          );
          return undefined;
        });
      return { ...status, replicas: { replicas: count, draining: 0, ...(units ? { units } : {}) } };
    }
    const live = status.state !== 'stopped' && status.state !== 'stopping' && status.state !== 'failed';
    const differs = live && recorded !== (running?.replicas ?? 1) && !this.replicas.busy(status.name);
    if (running === undefined && !differs) return status;
    const replicas: ReplicasView = { ...(running ?? { replicas: 1, draining: 0 }), ...(differs ? { recorded } : {}) };
    return { ...status, replicas };
  }

  /** An absent agent's status shows what waits for it (decision 1990). */
  private withAbsentQueue(status: AgentStatus): AgentStatus {
    const absent = this.absence(status.name);
    if (absent === undefined) return status;
    return { ...status, absentQueue: { queued: this.o.messaging.mailboxDepth(status.name), limit: absent.queue, ttlMs: absent.ttlMs } };
  }

  /** Another upgrade or a second rollout while one runs would swap the version the rollout compares with. */
  private refuseDuringRollout(name: string): void {
    const busy = this.rollouts.busy(name); // starting included: its new instance is compiling or in init
    if (busy !== undefined) throw new RolloutInProgressError(name, busy);
  }

  /**
   * A rollout's verdict was promote: the new version becomes the agent's through the ordinary
   * drain and swap, recorded as version n+1 with the replaced one as its previous (decision 1870).
   */
  private async promote(candidate: AgentRecord, artifactSize: number, beside: RolloutBeside, cancel: AbortSignal): Promise<void> {
    // The swap runs the new version's init: not while the node is frozen or the agent suspended
    // (decision 1403); an operator's abort meanwhile cancels it.
    await untilOrCancelled(this.o.killSwitch?.untilRunnable(candidate.name) ?? Promise.resolve(), cancel);
    cancel.throwIfAborted();
    const current = await this.residency.upgradeBase(candidate.name);
    // A cluster's rollout ended through another node meanwhile is not promoted (decision 2171).
    const unrecorded =
      this.residency.startRollout !== undefined &&
      (current.rollout?.candidate.version !== candidate.version || current.rollout.abort !== undefined);
    if (unrecorded || current.version !== beside.version || current.artifactDigest !== beside.digest) {
      throw new ConflictError(`agent ${candidate.name} is no longer the version ${beside.version} the rollout started beside`, {
        context: { agent: candidate.name, version: current.version, candidateVersion: candidate.version },
        hint: 'the agent was changed during the rollout; upgrade it again if the new version is still wanted',
      });
    }
    const next: AgentRecord = { ...candidate, version: current.version + 1, updatedAt: Date.now(), previous: previousVersionOf(current) };
    if (this.residency.promoteRollout !== undefined && beside.recordedAt !== undefined)
      await this.residency.promoteRollout(current, next, artifactSize, beside.recordedAt);
    else await this.residency.upgrade(current, next, artifactSize);
    // The swap before the rollout's end hands the state back (decision 2171): never side by side.
    await this.residency.settle?.(candidate.name);
    this.o.messaging.replaced?.(candidate.name);
    // A promoted narrower list removes what it no longer allows, as an upgrade does (decision 2050).
    if (next.topics !== undefined) await this.pruneTopics(candidate.name, next.topics);
  }

  /**
   * Commit an operator's change to an agent's state (`commit`) and make its running instance see it
   * (decision 1600). The agent takes no work meanwhile: what it handles next sees the new state. An
   * agent deployed but running on another node is refused: its view lives there.
   */
  async changeState(name: string, commit: () => Promise<void>): Promise<void> {
    // The agent's operation lock: no scale-up passes its stateless check while the import commits.
    return this.replicas.exclusive(name, () => this.changeStateNow(name, commit));
  }

  private async changeStateNow(name: string, commit: () => Promise<void>): Promise<void> {
    this.refuseDuringRollout(name); // a rollout runs only while the agent keeps no state (decision 1871)
    this.refuseWhileScaled(name, 'import the state of'); // replicas keep no state (decision 2010)
    const local = this.local.get(name);
    if (local === undefined && this.kinds.isActive(name)) {
      throw new ConflictError(`instance ${name} is active`, {
        context: { agent: name },
        hint: "retry once it is passivated (after its kind's idle period); a passivated instance reads its state when next activated",
      });
    }
    if (local === undefined) {
      if (this.residency.isDeployedAnywhere(name)) {
        throw new ConflictError(`agent ${name} runs on another node`, {
          context: { agent: name },
          hint: 'import through the API of the node that runs it (`caxton status` names it)',
        });
      }
      return commit(); // not deployed: read when it is next deployed with --keep-state
    }
    // Cluster (decision 2096): the owner runs one replica when they are spread across nodes (its own
    // count says 1), so the recorded count is asked too — the registry's, read now, not the copy here.
    if (this.residency.recordReplicas !== undefined)
      this.clusterReplicas.refuseRecordedScaled(await this.residency.upgradeBase(name), 'import the state of');
    if (local.state !== 'running' && local.state !== 'failed') {
      throw new ConflictError(`agent ${name} is ${local.state}`, {
        context: { agent: name, state: local.state },
        hint: 'retry once it is running',
      });
    }
    const before = local.state;
    let after = before;
    local.state = 'upgrading';
    try {
      await this.o.messaging.idle(name);
      await commit();
      if (before !== 'running') return; // a failed agent loads the state when it is started again
      const entries = await this.o.state!.readState(name);
      if (this.o.host.resetState !== undefined) {
        await this.o.host.resetState(name, entries);
      } else {
        await this.o.host.stop(name, false);
        try {
          await this.local.startInstance(local.record, this.o.messaging.agentId(name));
        } catch (err) {
          after = 'failed';
          this.local.fail(local, err);
          throw err;
        }
      }
      agentLog(this.events, name, 'info', `state imported (${entries.size} entries)`);
    } finally {
      local.state = after;
      this.o.messaging.wake(name);
    }
  }

  /**
   * Make the agent's running instance see its committed state again (a rewind after a commit that
   * failed, issue 24): the bus calls this while the agent takes no work. Its sandbox view is
   * swapped in place where the sandbox can, otherwise the instance is restarted on it.
   */
  async reloadState(name: string): Promise<void> {
    // A stateful rollout's new instance holds the view (decision 2170): the rewound writes are its.
    const holder = this.rollouts.stateHolder(name);
    if (holder !== undefined && this.o.state !== undefined && this.o.host.resetState !== undefined) {
      if (await this.o.host.resetState(holder, await this.o.state.readState(name))) return;
    }
    if (this.kinds.isActive(name) && this.o.state !== undefined) {
      // An instance of a kind: swapped in place where the sandbox can; otherwise a passivation and
      // a fresh activation on the committed state do the same (its mail waits meanwhile).
      const entries = await this.o.state.readState(name);
      if (this.o.host.resetState !== undefined) await this.o.host.resetState(name, entries);
      return;
    }
    const local = this.local.get(name);
    // Paused for a handover it is still its running version (decision 2170): its view is reset too.
    const running = local?.state === 'running' || (local?.state === 'upgrading' && this.pausing.has(name));
    if (local === undefined || !running || this.o.state === undefined) return;
    const entries = await this.o.state.readState(name);
    if (this.o.host.resetState !== undefined) {
      await this.o.host.resetState(name, entries);
      return;
    }
    await this.o.host.stop(name, false);
    try {
      await this.local.startInstance(local.record, this.o.messaging.agentId(name));
    } catch (err) {
      this.local.fail(local, err);
      throw err;
    }
  }

  /**
   * Runs `fn` while `name` takes no new work (`upgrading` while it was running) and nothing of it
   * is in flight or settling, then lets it run again (a stateful rollout's handover, decision 2170).
   */
  private async paused<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const local = this.local.get(name);
    const pause = local?.state === 'running';
    if (pause) {
      local.state = 'upgrading';
      this.pausing.add(name);
    }
    try {
      await this.o.messaging.idle(name);
      return await fn();
    } finally {
      if (pause) {
        this.pausing.delete(name);
        if (local.state === 'upgrading') local.state = 'running';
      }
      this.o.messaging.wake(name);
      // A cluster's record change seen during the pause (a swap skips an agent not running) is
      // looked at again, queued behind the agent's steps: never awaited, the pause may be one.
      void this.residency.settle?.(name).catch(() => undefined);
    }
  }

  private async clearState(name: string): Promise<void> {
    try {
      await this.o.state?.clearState(name);
    } catch (error) {
      if ((error as { code?: string }).code !== STATE_UNSUPPORTED) throw error; // nothing kept, nothing to clear
    }
  }

  private checkName(name: string): void {
    if (!AGENT_NAME.test(name)) {
      throw new InvalidArgumentError('header.name', `"${name}" is not a valid agent name`, AGENT_NAME_HINT);
    }
    if (RESERVED_AGENT_NAMES.has(name)) throw new ReservedAgentNameError(name);
  }

  /**
   * Every deployable limit: given, else the base's (upgrade: the current record's), else the node
   * default — so a record deployed before a limit existed gets the default on its next upgrade.
   * Checked by the table's one validation, under this node's maxima.
   */
  private limits(given: Partial<AgentLimitsSpec>, base: AgentLimitsSpec): Required<AgentLimitsSpec> {
    const out = {} as Required<AgentLimitsSpec>;
    for (const name of DEPLOYABLE_LIMITS) out[name] = given[name] ?? base[name] ?? this.o.defaults[name];
    return checkLimits(out, { field: 'header', ceilings: this.o.maxLimits });
  }
}

/** Resolves when `wait` does, or rejects as soon as `cancel` is aborted. */
function untilOrCancelled(wait: Promise<void>, cancel: AbortSignal): Promise<void> {
  if (cancel.aborted) return Promise.reject(cancel.reason as Error);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(cancel.reason as Error);
    cancel.addEventListener('abort', onAbort, { once: true });
    wait.then(resolve, reject).finally(() => cancel.removeEventListener('abort', onAbort));
  });
}

/** A rollout as the registry records it (decisions 2171, 2175): the next version beside the running one, its thresholds resolved. */
function recordedRollout(
  candidate: AgentRecord,
  artifact: VerifiedArtifact,
  strategy: RolloutStrategy,
  spec: Pick<UpgradeSpec, 'thresholds'>,
): RolloutRecord {
  return {
    candidate,
    artifactSize: artifact.bytes.byteLength,
    strategy,
    thresholds: resolveRolloutThresholds(spec.thresholds ?? {}, 'thresholds'),
    startedAt: Date.now(),
  };
}
