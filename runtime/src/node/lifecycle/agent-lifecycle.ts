/**
 * Deployed agents: deploy, upgrade, stop, status, list, and whether one may get work. One class for
 * every topology: it validates requests (name, limits), validates and stores the component, builds
 * the registry record, and leaves where the agent runs to the residency the topology gave it
 * (agent-residency.ts). The agents running on this node are `local` (local-agents.ts). Each concern
 * is its own part beside it: deploys, upgrades, scaling, state changes and absent queues.
 */
import type {
  AclMessage,
  AgentStatus,
  ConversationReplay,
  DeploySpec,
  OntologySchemas,
  TopicPatterns,
  UpgradeSpec,
  VerifiedArtifact,
} from '@caxton/core';
import {
  InvalidArgumentError,
  Instrumentation,
  RolloutInProgressError,
  UnavailableError,
  isInstanceName,
  isReplicaUnitName,
  parseInstanceName,
  parseReplicaInstanceCap,
  REPLICA_LIMITS,
  replicaOwner,
} from '@caxton/core';
import type { AbsentQueueLimits, DispatchOwnership, ReceiverKind, SharedAbsentCount } from '../../bus/port.js';
import { checkDeclaredOntologies } from '../../ontology/index.js';
import { withReplicaCount, type AgentRecord } from '../../storage/records.js';
import { RecordedRollouts, Rollouts } from '../rollouts/index.js';
import { AgentReplicas, ClusterReplicaCounts } from '../replicas/index.js';
import { countHandlings } from '../handled-counts.js';
import { ConversationCostLedger } from '../costs/conversation-costs.js';
import type { AgentResidency } from '../agent-residency.js';
import { LocalAgents, type AgentLifecycleEvent } from '../local-agents.js';
import { AgentKinds } from '../kinds/index.js';
import type { AgentLifecycleOptions } from './agent-lifecycle-options.js';
import { AgentAbsence } from './agent-absence.js';
import { AgentDeploys } from './agent-deploys.js';
import { AgentScaling } from './agent-scaling.js';
import { AgentStateChanges } from './agent-state-changes.js';
import { AgentUpgrades } from './agent-upgrades.js';
import type { LifecycleParts } from './lifecycle-parts.js';

export class AgentLifecycle implements LifecycleParts {
  /** Lines for agents' logs (`agent-log`), from here, the local agents and the residency (decision 1106). */
  readonly events = new Instrumentation<AgentLifecycleEvent>();
  readonly local: LocalAgents;
  readonly residency: AgentResidency;
  /** Blue-green and canary upgrades in progress on this node (decision 1871). */
  readonly rollouts: Rollouts;
  /** A cluster's rollouts, recorded in the registry and followed where the agent runs (decision 2171). */
  private readonly recorded: RecordedRollouts;
  /** Agent kinds and their keyed instances (decision 1980). */
  readonly kinds: AgentKinds;
  /** Replicas behind one name (decision 2010). */
  readonly replicas: AgentReplicas;
  /** What each conversation cost on this node (decision 2184), fed with the agents' handled counts. */
  readonly conversationCosts = new ConversationCostLedger();
  /** Replica units' sandboxes on this node (decision 2096), set by a cluster residency: they hold AgentReplicas' budget too. */
  private unitsHeld: () => number = () => 0;
  /** Their count in a cluster's registry record (decision 2091). */
  readonly clusterReplicas: ClusterReplicaCounts;
  private readonly absent: AgentAbsence;
  private readonly scaling: AgentScaling;
  private readonly deploys: AgentDeploys;
  private readonly upgrades: AgentUpgrades;
  private readonly stateChanges: AgentStateChanges;

  constructor(readonly o: AgentLifecycleOptions) {
    this.local = new LocalAgents({ nodeId: o.nodeId, host: o.host, messaging: o.messaging, events: this.events, onStarted: o.onStarted });
    // For the node's life (the lifecycle is the node's): nothing to unsubscribe. A handling of no
    // deployment here may be a kind's instance's: the kind counts it (its status's costs).
    countHandlings(
      o.busEvents,
      { countHandled: (agent, cost) => this.local.countHandled(agent, cost) || this.kinds.countHandled(agent, cost) },
      this.conversationCosts,
    );
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
      absentQueueOf: (record) => this.absent.absentQueueOf(record),
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
      promote: (candidate, size, beside, cancel) => this.upgrades.promote(candidate, size, beside, cancel),
      pause: (name, fn) => this.stateChanges.paused(name, fn),
      current: (name) => {
        const local = this.local.get(name);
        return local?.state === 'running' || (local?.state === 'upgrading' && this.stateChanges.isPausing(name)) ? local.record : undefined;
      },
      held: (name) => o.killSwitch?.isHeld(name) ?? false,
      ended: async (name, recordedAt) => {
        await this.residency.endRollout?.(name, recordedAt);
      },
      // A scaled agent's replicas share no state (decision 2010): its state is not handed over beside them (decision 2177).
      refuseHandover: (name) => this.scaling.refuseWhileScaled(name, 'hand the state over to a new version of'),
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
        if (!this.scaling.writesReplicas(name, n)) return;
        const local = this.local.get(name)!;
        const record = withReplicaCount(local.record, n);
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
      writes: (name, n) => this.scaling.writesReplicas(name, n),
    });
    this.replicas.shareBudgetWith(() => this.unitsHeld());
    this.clusterReplicas = new ClusterReplicaCounts({
      events: this.events,
      local: this.local,
      replicas: this.replicas,
      residency: this.residency,
      refuseKindScale: (name) => this.scaling.refuseKindScale(name),
      status: (name) => this.status(name),
    });
    this.absent = new AgentAbsence(this);
    this.scaling = new AgentScaling(this);
    this.deploys = new AgentDeploys(this, this.absent);
    this.upgrades = new AgentUpgrades(this, this.deploys, this.absent, this.scaling);
    this.stateChanges = new AgentStateChanges(this, this.scaling);
  }

  /** Deploys an agent or a kind (see AgentDeploys). */
  async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    // Declared ontologies are checked here, where every deploy passes (the API's, the lifecycle's
    // own callers'), once: a schema that does not compile is never stored (decision 2183).
    if (spec.ontologies !== undefined) checkDeclaredOntologies(spec.ontologies, 'ontologies');
    return this.deploys.deploy(spec, artifact);
  }

  /** A new version, in place or as a rollout (see AgentUpgrades). */
  async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    if (spec.ontologies !== undefined) checkDeclaredOntologies(spec.ontologies, 'ontologies');
    return this.upgrades.upgrade(spec, artifact);
  }

  /** A conversation's handlings of the agent, replayed as steps (see AgentUpgrades). */
  traceConversation(name: string, conversationId: string): Promise<ConversationReplay> {
    return this.upgrades.traceConversation(name, conversationId);
  }

  /** Back to the version the last upgrade replaced, or a rollout's abort (see AgentUpgrades). */
  rollback(name: string): Promise<{ agent: AgentStatus; previousVersion: number }> {
    return this.upgrades.rollback(name);
  }

  /** A rollout's abort; undefined when none is in progress (see AgentUpgrades). */
  abortRollout(name: string): Promise<{ agent: AgentStatus; previousVersion: number } | undefined> {
    return this.upgrades.abortRollout(name);
  }

  /** Runs the agent as `replicas` instances (see AgentScaling). */
  scale(name: string, replicas: number): Promise<AgentStatus> {
    return this.scaling.scale(name, replicas);
  }

  /** The count a scale of `name` is compared with (see AgentScaling). */
  replicaBaseline(name: string): Promise<number> {
    return this.scaling.replicaBaseline(name);
  }

  /** Commits an operator's change to an agent's state and makes it seen (see AgentStateChanges). */
  changeState(name: string, commit: () => Promise<void>): Promise<void> {
    return this.stateChanges.changeState(name, commit);
  }

  /** The running instance sees its committed state again (see AgentStateChanges). */
  reloadState(name: string): Promise<void> {
    return this.stateChanges.reloadState(name);
  }

  /** An absent agent's bounds (decision 1990; see AgentAbsence). */
  absence(name: string): AbsentQueueLimits | undefined {
    return this.absent.absence(name);
  }

  /** Cluster (decision 2157): the count every node's sends to absent agents take their places in; undefined embedded. */
  get sharedAbsent(): SharedAbsentCount | undefined {
    return this.absent.sharedAbsent;
  }

  /** Cluster (decision 2157): publishes what this node holds of absent queues (see AgentAbsence). */
  publishAbsentQueues(idsOf: (agent: string) => string[]): Promise<void> {
    return this.absent.publishAbsentQueues(idsOf);
  }

  /** May this node keep, bound and expire `name`'s absent queue now (decision 1990)? */
  holdsQueue(name: string): boolean {
    return this.absent.holdsQueue(name);
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

  /**
   * The ontologies `name` declares (decision 2183), each with its schema; a kind's instance, its
   * kind's; undefined when it declares none (or is not an agent). Found as `topicPatternsOf` finds
   * the allow-list: asked by the bus for every receiver of a message naming an ontology, no I/O.
   */
  ontologiesOf(name: string): OntologySchemas | undefined {
    const local = this.local.get(name);
    if (local !== undefined) return local.record.ontologies;
    const slash = name.indexOf('/');
    if (slash > 0) return this.kinds.versionOf(name)?.ontologies;
    return this.residency.deployedOntologies?.(replicaOwner(name));
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
    await this.scaling.restoreReplicas();
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
    return this.absent.withAbsentQueue(this.withRollout(await this.residency.stop(name, force, keepQueue)));
  }

  /** An agent, a kind (with its instances' counts) or one instance of a kind (decision 1980). */
  async status(name: string): Promise<AgentStatus | undefined> {
    if (this.kinds.isKind(name)) return this.kinds.status(name);
    if (isInstanceName(name)) return this.kinds.instanceStatus(name);
    const status = await this.residency.status(name);
    return status && this.scaling.withReplicas(this.absent.withAbsentQueue(this.withRollout(status)));
  }

  /** Agents and kinds (not instances: a kind's status counts them). */
  async list(): Promise<AgentStatus[]> {
    const agents = await Promise.all(
      (await this.residency.list()).map((s) => this.scaling.withReplicas(this.absent.withAbsentQueue(this.withRollout(s)))),
    );
    const kinds = this.kinds.names().map((n) => this.kinds.status(n)!);
    return kinds.length === 0 ? agents : [...agents, ...kinds].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A rollout of the agent, in progress or the last that ended, shown in its status. */
  private withRollout(status: AgentStatus): AgentStatus {
    const rollout = this.rollouts.shown(status.name);
    return rollout === undefined ? status : { ...status, rollout };
  }
}
