/**
 * The cluster residency: where agents run is placement's decision. Two halves:
 *
 * - **The API side, on any node**: deploy / upgrade / stop validate the component here (so a bad
 *   artifact is refused at once), store it in the artifact store (etcd + local cache) and write the
 *   registry. They return once the registry write is done, with state `starting` / `upgrading` /
 *   `stopping` and the node placement picks: the agent's owner reacts to the change by itself.
 * - **The owner side**: the PlacementController activates and deactivates agents on this node.
 *   activate(agent, token) → fetch the artifact, prepare, start, run. deactivate → (drain) stop the
 *   instance; its mailbox is left to ClusterMailboxes (dropped when the partition moves, dead-lettered
 *   when the agent was undeployed). A registry version bump of an agent running here → drain, swap.
 *
 * An agent stopped with its queue kept (decision 1990, *Cluster*) stays in the registry with
 * `absentSince`: placement still claims it, and its claim holder keeps it as a `stopped` local agent
 * without an instance, so its partition's deliveries wait in that node's mailbox, bounded and
 * expired there under the claim's fence. A deploy of the name rewrites the record without
 * `absentSince`; the holder then starts an instance, which takes the queue first.
 *
 * Every step for one agent runs in order on a per-agent chain, so an activation, an upgrade and a
 * deactivation never interleave. The fencing token of the current activation is what the dispatcher
 * presents before recording a completion (decision 0702).
 */
import type { AgentId, AgentStatus, AgentState, TopicPatterns } from '@caxton/core';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  CaxtonError,
  RolloutInProgressError,
  statefulComponentAcrossNodes,
  statefulVersionWhileScaled,
  formatStrategy,
  UnavailableError,
  isInstanceName,
  parseReplicaUnit,
  replicaFor,
  replicaUnitName,
  type AclMessage,
} from '@caxton/core';
import type { DispatchOwnership } from '../../bus/port.js';
import { partitionOwner } from '../../bus/kafka/index.js';
import { ClaimStore } from './placement/claims.js';
import type { Claim } from './placement/plan.js';
import type { DeactivateReason, PlacementController } from './placement/placement-controller.js';
import type { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';
import { previousShown, type AgentRecord, type RolloutRecord } from '../../storage/records.js';
import { recordedRolloutView } from '../../node/recorded-rollouts.js';
import type { AgentResidency, ResidencyContext } from '../../node/agent-residency.js';
import { agentLog, errorSummary, type LocalAgent } from '../../node/local-agents.js';
import type { ClusterDeployments } from './deployments.js';
import { ClusterMailboxes } from './mailboxes.js';
import { ReplicaUnits } from './replica-units.js';
import { replicaUnitViews } from './replica-unit-view.js';
import { SharedAbsentCounts } from './shared-absent-counts.js';
import { EtcdAbsentCounts } from '../../registry/etcd/absent-counts.js';
import type { ReplicaUnitView } from '@caxton/core';

export interface PlacedAgentsOptions {
  registry: EtcdRegistry;
  deployments: ClusterDeployments;
  /** The deliveries-topic partition of an agent (placement follows it). */
  partitionOf: (agent: string) => number;
  /** Margin a completion asks of the membership lease (ms), see ClusterOptions.completionWithinMs. */
  completionWithinMs: number;
  /** Absent deliveries one partition may hold (decision 1990, *Cluster*): see ClusterOptions.maxPendingPerPartition. */
  absentPerPartition: number;
  /**
   * Deliveries of one partition that may wait on this node for instances of kinds to be activated
   * (`activationWaitCap(maxPendingPerPartition)`, decision 2060); absent: uncapped.
   */
  activationWaitCap?: number;
  /** The deliveries topic's retention (ms): an absent TTL stays an hour below it (decision 1990). */
  retentionMs: number;
  /**
   * True once this node consumes the agent's partition and has read the agents' state in it
   * (KafkaMessageLog.stateLoaded); false while the partition is not assigned here yet.
   */
  stateLoaded: (agent: string) => Promise<boolean>;
}

/** How often an activated agent looks again whether its partition (and state) arrived here. */
export const STATE_POLL_MS = 100;
/** After this long waiting for the partition, the agent's log says why it is not running yet. */
const STATE_WAIT_WARN_MS = 15_000;

/** Why an agent stopped here, in words for its log. */
const WHY: Record<DeactivateReason, string> = {
  moved: 'placement moved it to another node',
  undeployed: 'it was undeployed',
  'claim-lost': 'this node lost its claim on it',
  'membership-lost': 'this node lost its cluster membership',
  stopped: 'this node is shutting down',
};

export class PlacedAgents implements AgentResidency {
  readonly mailboxes: ClusterMailboxes;
  private readonly claims: ClaimStore;
  private placement: PlacementController | undefined;
  /** Fencing token of each activation on this node. */
  private readonly tokens = new Map<string, number>();
  /** Deactivations announced and not yet carried out: reason and the token they end. */
  private readonly leaving = new Map<string, { reason: DeactivateReason; token: number | undefined }>();
  /** `caxton stop --force` asked on this node for an agent it runs: skip the drain. */
  private readonly forced = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Agents to look at again (see mayRun). */
  private readonly rechecks = new Set<string>();
  private unwatch: (() => void) | undefined;
  private readonly unwatchKinds: () => void;
  /**
   * Keyed instances of kinds (decision 2060) have no claim of their own: their fence is their
   * partition's. Each partition assigned here gets a fresh tenure number (never reused on this
   * node), the token its instances' work is taken under; a revoked partition has none, so work
   * taken in an earlier tenure never completes in a later one.
   */
  private readonly tenures = new Map<number, number>();
  private lastTenure = 0;
  /** Kinds' components prepared here, by digest (decision 2060). */
  private readonly preparedKinds = new Map<string, Promise<void>>();

  /** The agents running on this node: the ones placement activated here. */
  private readonly agents: ResidencyContext['local'];
  /** Each replica unit's presence writes in etcd, chained (decision 2097). */
  private readonly presenceWrites = new Map<string, Promise<void>>();
  /**
   * Replica units run here (decisions 2093, 2168): a scaled agent's workers 2..N are the placement
   * units `<agent>#r<k>`, chosen by the sender and run where their partition is consumed.
   */
  private readonly units: ReplicaUnits;

  /** Absent queues bounded at the send on every node (decision 2157). */
  readonly sharedAbsent: SharedAbsentCounts;

  constructor(
    private readonly opts: ResidencyContext,
    private readonly c: PlacedAgentsOptions,
  ) {
    this.agents = opts.local;
    this.sharedAbsent = new SharedAbsentCounts({
      store: new EtcdAbsentCounts(c.registry.connection, c.registry.keys),
      holder: `${opts.nodeId}@${Date.now()}`,
      partitionOf: c.partitionOf,
      budget: c.absentPerPartition,
      // Deployed and stopped with its queue kept, or suspended: the same absence the holder keeps (decision 1990).
      isAbsent: (name) => c.deployments.isAbsent(name) || (opts.suspended(name) && c.deployments.has(name)),
      // From the watched mirror, not an etcd read per send (the mirror is what says the agent is absent too).
      ownBound: (name) => {
        const own = c.deployments.absentQueueOf(name);
        return own === undefined ? Number.POSITIVE_INFINITY : opts.absentQueueOf({ limits: own === 'default' ? {} : { absentQueue: own } });
      },
    });
    // An agent deployed on any node, a kind, a replica count: a name may route here that did not (decision 2123).
    c.deployments.onChange(() => opts.host.routing?.changed());
    this.claims = new ClaimStore(c.registry);
    this.mailboxes = new ClusterMailboxes({
      bus: opts.bus,
      log: opts.log,
      deployments: c.deployments,
      partitionOf: c.partitionOf,
      isLocal: (agent) => this.agents.has(agent) || this.isReplicaUnit(agent),
      events: opts.events,
    });
    this.units = new ReplicaUnits({
      host: opts.host,
      messaging: opts.messaging,
      events: opts.events,
      identity: opts.identity,
      record: (agent) => c.registry.getAgent(agent),
      prepare: (record) => this.prepareKind(record),
      tenureOf: (unit) => this.instanceToken(unit),
      isAbsent: (agent) => c.deployments.isAbsent(agent),
      // A unit's init is agent code: not while X is held (decision 1403), as X's own start waits.
      held: (agent) => opts.held(agent),
      versionOf: (agent) => c.deployments.versionOf(agent),
      onActive: (unit, active) => this.unitPresence(unit, active),
      wasUndeployed: (agent) => c.deployments.wasUndeployed(agent),
      othersRunning: () => opts.replicas.instances(),
      maxUnits: opts.replicas.budget(),
      // A worker's init, timers and HTTP calls are its own (decision 2163).
      onStarted: opts.onStarted,
      onStopped: (unit, undeployed) => opts.onStopped(unit, undeployed),
      ...(opts.timerDue !== undefined ? { timerDue: opts.timerDue } : {}),
      hasTimers: async (unit) => (await c.registry.listTimers(unit)).length > 0,
    });
    const units = this.units;
    opts.replicas.shareBudgetWith(() => units.held());
    // Kinds deployed, upgraded or stopped through any node (decision 2060). Watched from the
    // start, before the lifecycle restores the kinds it lists: a change between the two is seen twice.
    const kinds = opts.kinds;
    kinds.placeBy({
      isHere: (name) => this.tenures.has(c.partitionOf(name)),
      prepare: (record) => this.prepareKind(record),
      tenureOf: (name) => this.instanceToken(name),
      partitionOf: c.partitionOf,
      partitionsHere: () => [...this.tenures.keys()],
      ownerOf: async (name) =>
        partitionOwner(
          c.partitionOf(name),
          (await c.registry.listNodes()).map((n) => n.id),
        ),
      ...(c.activationWaitCap !== undefined ? { activationWaitCap: c.activationWaitCap } : {}),
    });
    this.unwatchKinds = c.registry.watch((e) => {
      if (e.kind === 'agent-put' && e.agent.kind !== undefined)
        void kinds
          .adopt(e.agent)
          .catch((err: unknown) =>
            agentLog(opts.events, e.agent.name, 'warn', `kind version ${e.agent.version} not taken up here: ${(err as Error).message}`),
          );
      // (Not only a kind known here now: a put of it may still be queued behind an earlier change.)
      else if (e.kind === 'agent-deleted')
        void kinds
          .removed(e.name)
          .catch((err: unknown) => agentLog(opts.events, e.name, 'warn', `kind not stopped here: ${(err as Error).message}`));
      // Mail for X's replica units that came before this node's mirror knew X (decision 2096). Asked on
      // every put of X, not only its first: harmless — per k a map lookup and a mailbox depth, and
      // nothing starts for a unit without mail or already running (review finding 9).
      if (e.kind === 'agent-put' && e.agent.kind === undefined) this.units.agentKnown(e.agent.name);
    });
  }

  /**
   * The consumer group gave this node `partitions` (all others moved away): mailboxes of agents
   * elsewhere now are dropped, and instances of kinds whose partition left are dropped from memory
   * (their next node activates them on their committed state, decision 2060); passivated instances
   * of partitions new here get their timer wakes here.
   */
  assigned(partitions: readonly number[]): void {
    this.mailboxes.assigned(partitions);
    const owned = new Set(partitions);
    // The revoked set is fixed now: `leave` must not look at the live tenures after its awaits, or
    // a partition given back meanwhile would keep instances activated under its earlier tenure.
    const revoked = new Set<number>();
    for (const p of [...this.tenures.keys()]) {
      if (owned.has(p)) continue;
      this.tenures.delete(p);
      revoked.add(p);
    }
    const fresh = new Set<number>();
    for (const p of owned) {
      if (this.tenures.has(p)) continue;
      this.tenures.set(p, ++this.lastTenure);
      fresh.add(p);
    }
    if (revoked.size > 0) void this.opts.kinds.leave((name) => revoked.has(this.c.partitionOf(name)));
    if (revoked.size > 0) this.units.leave((name) => revoked.has(this.c.partitionOf(name)));
    // Passivated instances of the partitions given to this node wake here for their timers (their
    // previous node dropped those wakes with the partitions; decision 2060).
    if (fresh.size > 0) void this.opts.kinds.arrived((name) => fresh.has(this.c.partitionOf(name)), undefined, [...fresh]);
    // Worker units of those partitions with pending timers start here, so that their timers fire (decision 2163).
    if (fresh.size > 0) void this.units.arrived((unit) => fresh.has(this.c.partitionOf(unit)), this.c.deployments.scaled());
  }

  /**
   * A kind's component, prepared on this node once per digest before its first instance here
   * starts (deployed or upgraded through another node, it is fetched from the artifact store). A
   * failure is not remembered: the activation fails for a passing reason or not, and is retried.
   */
  private prepareKind(record: AgentRecord): Promise<void> {
    let ready = this.preparedKinds.get(record.artifactDigest);
    if (ready === undefined) {
      ready = this.fetchArtifact(record.name, undefined, record.artifactDigest).then(async (bytes) => {
        await this.opts.host.prepare(bytes);
      });
      ready.catch(() => this.preparedKinds.delete(record.artifactDigest));
      this.preparedKinds.set(record.artifactDigest, ready);
    }
    return ready;
  }

  /** The fencing token of an instance's work: its partition's tenure here (undefined: not consumed here). */
  private instanceToken(name: string): number | undefined {
    return this.tenures.get(this.c.partitionOf(name));
  }

  private instanceStillHere(name: string, token: number, withinMs: number): boolean {
    const m = this.placement?.membership;
    return this.instanceToken(name) === token && m !== undefined && m.alive && m.remainingMs > withinMs;
  }

  /** Start following placement: its activations and deactivations are carried out here. */
  bind(placement: PlacementController): void {
    this.placement = placement;
    // The instrumentation drops a listener that throws; this one must outlive a bug in one step,
    // so it reports the failure on the agent's log and stays subscribed.
    const guarded = (agent: string, step: string, run: () => void): void => {
      try {
        run();
      } catch (err) {
        agentLog(this.opts.events, agent, 'error', `placement ${step} failed: ${(err as Error).message}`);
      }
    };
    placement.events.on(
      (e) => {
        if (e.type === 'activate') guarded(e.agent, e.type, () => this.onActivate(e.agent, e.token));
        else if (e.type === 'deactivate') guarded(e.agent, e.type, () => this.onDeactivate(e.agent, e.reason));
        // A (re)join has a new lease: the presence entries of units that kept running went with the
        // old one, or were never written (units active before the first join). Written again here so
        // the operators' view does not show them passive (decision 2097, review finding 5).
        else if (e.type === 'membership-joined') for (const unit of this.units.running()) this.unitPresence(unit, true);
      },
      ['activate', 'deactivate', 'membership-joined'],
    );
    this.unwatch = this.c.registry.watch((e) => {
      // One step per put, deciding when it runs (after the steps queued before it), from the record
      // then: a deploy right after a `stop --keep-queue` is seen as what it is, whatever ran meanwhile.
      if (e.kind === 'agent-put' && this.agents.has(e.agent.name)) void this.serial(e.agent.name, () => this.reconcile(e.agent.name));
    });
    this.mailboxes.start();
  }

  unbind(): void {
    this.unwatch?.();
    this.unwatchKinds();
    this.mailboxes.stop();
    this.units.close();
  }

  /**
   * The receiver a send to `name` is written to (decision 2093): a scaled agent's replica unit chosen
   * by the message's conversation (else its id) over the count its record says; any other name as it is.
   */
  replicaUnit(name: string, message: AclMessage, messageId: string): string {
    const n = this.c.deployments.replicasOf(name);
    return n <= 1 ? name : replicaUnitName(name, replicaFor({ conversationId: message.conversationId, messageId }, n));
  }

  /** X's record a replica unit running here runs (its HTTP egress rules are X's, review fix 2); undefined otherwise. */
  replicaUnitRecord(name: string): AgentRecord | undefined {
    return this.units.recordOf(name);
  }

  /**
   * Operators' view of a unit (decision 2097): its presence entry under this node's membership lease
   * while it runs here. Best effort, reported: a missing entry makes a view show the unit passive,
   * it changes nothing the unit does (and the lease removes the entry with the node).
   */
  private unitPresence(unit: string, active: boolean): void {
    const node = this.opts.nodeId;
    const write = async (): Promise<void> => {
      const m = this.placement?.membership;
      if (!active) await this.c.registry.withdrawReplicaUnit(unit, node);
      else if (m?.alive === true) await this.c.registry.publishReplicaUnit(m.etcdLease, unit, node);
    };
    // One unit's writes in order: a delete overtaking its put would leave the unit shown active.
    const next = (this.presenceWrites.get(unit) ?? Promise.resolve())
      .then(write)
      .catch((err: unknown) =>
        agentLog(
          this.opts.events,
          parseReplicaUnit(unit)?.agent ?? unit,
          'warn',
          `replica unit ${unit} not ${active ? 'shown as active' : 'removed from the active list'} in etcd (caxton agents may show it wrongly until its next activation): ${(err as Error).message}`,
        ),
      );
    this.presenceWrites.set(unit, next);
    void next.then(() => {
      if (this.presenceWrites.get(unit) === next) this.presenceWrites.delete(unit);
    });
  }

  /** Replica units running here now (the `caxton_replica_units_active` gauge, decision 2097). */
  runningReplicaUnits(): string[] {
    return this.units.running();
  }

  /** Each replica of an agent scaled across nodes: its placed node, where it is active, what it handled here (decision 2097). */
  async replicaUnitViews(
    agent: string,
    count: number,
    agentNode: string,
    agentActive: boolean,
    agentHandled?: number,
  ): Promise<ReplicaUnitView[] | undefined> {
    if (count < 2) return undefined;
    const [nodes, active] = await Promise.all([this.c.registry.listNodes(), this.c.registry.activeReplicaUnits(agent)]);
    const live = nodes.map((n) => n.id);
    const handled = new Map<number, number>();
    if (agentHandled !== undefined) handled.set(1, agentHandled);
    await Promise.all(
      this.units.running().map(async (unit) => {
        const parsed = parseReplicaUnit(unit);
        if (parsed?.agent !== agent) return;
        const stats = await this.opts.host.stats(unit).catch(() => undefined);
        if (stats) handled.set(parsed.replica, stats.messagesHandled);
      }),
    );
    return replicaUnitViews({
      agent,
      count,
      agentNode,
      agentActive,
      nodeOf: (unit) => partitionOwner(this.c.partitionOf(unit), live),
      active,
      handled,
    });
  }

  /** A replica unit may take work here now; undefined for a name that is no replica unit. */
  replicaUnitRunnable(name: string): boolean | undefined {
    return this.isReplicaUnit(name) ? this.units.isRunnable(name) : undefined;
  }

  /** A replica unit (`X#r<k>`) of an agent deployed anywhere (decisions 2093, 2168). */
  private isReplicaUnit(name: string): boolean {
    const parsed = parseReplicaUnit(name);
    return parsed !== undefined && this.c.deployments.has(parsed.agent);
  }

  /** The PlacementController's drain hook: awaited before the claim is handed to another node. */
  drain(agent: string): Promise<void> {
    const leaving = this.leaving.get(agent) ?? { reason: 'stopped' as const, token: this.tokens.get(agent) };
    return this.serial(agent, () => this.tearDown(agent, leaving.reason, leaving.token));
  }

  /**
   * This node holds `name`'s claim and may still act on it for a completion's margin: it may keep,
   * bound and expire the agent's absent queue (decision 1990). Not while the agent leaves here.
   */
  holdsQueue(name: string): boolean {
    const token = this.tokens.get(name);
    return (
      token !== undefined && !this.leaving.has(name) && (this.placement?.isStillOwner(name, token, this.c.completionWithinMs) ?? false)
    );
  }

  get maxAbsentTtlMs(): number {
    return Math.max(0, this.c.retentionMs - ABSENT_TTL_RETENTION_MARGIN_MS);
  }

  absentBudget(name: string): { partition: number; budget: number } {
    return { partition: this.c.partitionOf(name), budget: this.c.absentPerPartition };
  }

  ownership(): DispatchOwnership {
    return {
      token: (agent) =>
        isInstanceName(agent) || this.isReplicaUnit(agent)
          ? this.instanceToken(agent)
          : this.agents.get(agent)?.state === 'running'
            ? this.tokens.get(agent)
            : undefined,
      isStillOwner: (agent, token, withinMs) =>
        isInstanceName(agent) || this.isReplicaUnit(agent)
          ? this.instanceStillHere(agent, token, withinMs ?? 0)
          : (this.placement?.isStillOwner(agent, token, withinMs) ?? false),
      completionWithinMs: this.c.completionWithinMs,
    };
  }

  /**
   * Running here AND still allowed to complete its work: while the membership lease is about to
   * run out (etcd unreachable), handling would only produce completions the fence withholds, and
   * every new message would wake the agent to handle the same one again. It is looked at again
   * shortly: a renewed lease makes it runnable, a lost one deactivates it.
   */
  mayRun(name: string): boolean {
    if (isInstanceName(name) || this.isReplicaUnit(name)) {
      const t = this.instanceToken(name);
      if (t !== undefined && this.instanceStillHere(name, t, this.c.completionWithinMs)) return true;
    }
    const token = this.tokens.get(name);
    if (token !== undefined && this.placement?.isStillOwner(name, token, this.c.completionWithinMs)) return true;
    if (!this.rechecks.has(name)) {
      this.rechecks.add(name);
      setTimeout(() => {
        this.rechecks.delete(name);
        this.opts.messaging.wake(name);
      }, 250).unref();
    }
    return false;
  }

  noticeMail(agent: string): void {
    this.mailboxes.notice(agent);
    if (this.isReplicaUnit(agent)) this.units.noticeMail(agent);
  }

  /** Deployed anywhere in the cluster (the lifecycle adds the ones still known here, stopping). */
  isDeployedAnywhere(name: string): boolean {
    return this.c.deployments.has(name) || this.isReplicaUnit(name);
  }

  deployedTopics(name: string): TopicPatterns | undefined {
    return this.c.deployments.topicsOf(name);
  }

  /** Nothing to restore at start-up: placement activates this node's agents once it joins. */
  async restore(): Promise<void> {}

  // --- API side: any node ----------------------------------------------------------------------

  async refuseExisting(name: string): Promise<void> {
    // The mirror may be milliseconds behind another node's deploy of the same name; then the later
    // write wins (etcd has no create-if-absent for agents in the registry interface yet).
    // A name stopped with its queue kept (decision 1990) is free to deploy: the deploy takes its queue.
    const record = await this.c.registry.getAgent(name);
    if (record !== undefined ? record.absentSince === undefined : this.c.deployments.has(name)) throw new AlreadyExistsError('agent', name);
  }

  async upgradeBase(name: string): Promise<AgentRecord> {
    const previous = await this.c.registry.getAgent(name);
    if (!previous) throw new NotFoundError('agent', name);
    if (previous.absentSince !== undefined) {
      throw stoppedKeepingQueue(name);
    }
    return previous;
  }

  /**
   * A scale (decisions 2091, 2168): the count goes into the agent's registry record, and every
   * node's senders spread over that many workers when its mirror sees the write.
   * A compare-and-swap on the LIVE record (review finding 1): only `replicas` changes, every other
   * field stays as etcd holds it now — a delete, an upgrade or a `stop --keep-queue` written through
   * another node a moment before is never undone. Gone → not found; stopped with its queue kept →
   * the same conflict as an upgrade's.
   */
  async recordReplicas(name: string, replicas: number): Promise<void> {
    await this.c.registry.updateAgent(name, (current) => {
      if (current === undefined) throw new NotFoundError('agent', name);
      if (current.absentSince !== undefined) throw stoppedKeepingQueue(name);
      if (current.rollout !== undefined) throw new RolloutInProgressError(name, current.rollout.candidate.version);
      if ((current.replicas ?? 1) === replicas) return undefined;
      // The component may have changed since the scale read it (an upgrade through another node,
      // decision 2176): workers across nodes stay stateless (decision 2163).
      if (replicas > 1 && current.writesState === true) throw statefulComponentAcrossNodes(name);
      const next: AgentRecord = { ...current };
      if (replicas > 1) next.replicas = replicas;
      else delete next.replicas;
      return next;
    });
  }

  /**
   * A rollout (decision 2171): a compare-and-swap on the live record adds it beside `previous`,
   * refused when one is recorded already, the agent changed or was scaled meanwhile; the node
   * running the agent follows the record (RecordedRollouts), wherever it was asked.
   */
  async startRollout(previous: AgentRecord, rollout: RolloutRecord): Promise<AgentStatus> {
    const name = previous.name;
    await this.c.registry.updateAgent(name, (current) => {
      if (current?.rollout !== undefined) throw new RolloutInProgressError(name, current.rollout.candidate.version);
      this.checkUnchanged(previous, current);
      if ((current!.replicas ?? 1) > 1)
        throw new ConflictError(`agent ${name} was scaled meanwhile: a scaled agent is not rolled out`, {
          context: { agent: name, replicas: current!.replicas! },
          hint: `scale it to one (\`caxton scale ${name} --replicas 1\`), then roll it out`,
        });
      return { ...current!, rollout };
    });
    agentLog(
      this.opts.events,
      name,
      'info',
      `rollout of version ${rollout.candidate.version} (${formatStrategy(rollout.strategy)}) written to the cluster registry; the node running the agent starts it`,
    );
    const status = (await this.status(name))!;
    return { ...status, rollout: recordedRolloutView(rollout) };
  }

  refollowRollout(name: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      void this.serial(name, async () => {
        try {
          const running = (): boolean => this.agents.get(name)?.state === 'running';
          if (!running()) return resolve(false);
          const record = await this.c.registry.getAgent(name);
          if (record === undefined || record.absentSince !== undefined || !running()) return resolve(false);
          await this.opts.rollouts.follow(record);
          resolve(true);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /** Removes the recorded rollout started at `startedAt` from the live record; what it removed. */
  async endRollout(name: string, startedAt: number): Promise<RolloutRecord | undefined> {
    let removed: RolloutRecord | undefined;
    await this.c.registry.updateAgent(name, (current) => {
      removed = current?.rollout;
      if (removed === undefined || removed.startedAt !== startedAt) {
        removed = undefined;
        return undefined;
      }
      const { rollout: _ended, ...rest } = current!;
      return rest;
    });
    return removed;
  }

  /** See AgentResidency.promoteRollout. */
  async promoteRollout(current: AgentRecord, next: AgentRecord, artifactSize: number, recordedAt: number): Promise<AgentStatus> {
    const name = next.name;
    await this.c.registry.updateAgent(name, (live) => {
      this.checkUnchanged(current, live);
      const token = this.tokens.get(name);
      if (live!.rollout?.startedAt !== recordedAt || live!.rollout.abort !== undefined || token === undefined || !this.owns(name, token))
        throw new ConflictError(`the rollout of ${name} is no longer this node's to promote`, {
          context: { agent: name, candidateVersion: next.version },
          hint: 'it was ended through another node, or the agent moved; `caxton agents` shows where it stands',
        });
      return next;
    });
    agentLog(
      this.opts.events,
      name,
      'info',
      `version ${next.version} (${next.artifactDigest.slice(0, 12)}) promoted in the cluster registry`,
    );
    return this.remote(next, 'upgrading', artifactSize);
  }

  /** The live record is still `base` (not deleted, stopped, replaced or redeployed meanwhile). */
  private checkUnchanged(base: AgentRecord, live: AgentRecord | undefined): void {
    const name = base.name;
    if (live === undefined) throw new NotFoundError('agent', name);
    if (live.absentSince !== undefined) throw stoppedKeepingQueue(name);
    if (live.version !== base.version || live.createdAt !== base.createdAt || live.artifactDigest !== base.artifactDigest)
      throw new ConflictError(`agent ${name} changed meanwhile (version ${live.version} now)`, {
        context: { agent: name, version: live.version },
        hint: 'check `caxton status` and try again',
      });
  }

  /**
   * An operator's rollback of the recorded rollout (decision 2171): marked in the record for the
   * node running the agent, which aborts it (audited) and removes it; waited for here, up to
   * `waitMs`, then removed here (that node aborts it when it sees the change). Undefined when none
   * was recorded, or when it was promoted meanwhile (the caller's rollback then undoes that).
   */
  async abortRollout(name: string, reason: string, waitMs: number): Promise<RolloutRecord | undefined> {
    let marked: RolloutRecord | undefined;
    await this.c.registry.updateAgent(name, (current) => {
      marked = current?.rollout;
      if (marked === undefined || marked.abort !== undefined) return undefined; // none, or asked already: wait with the first
      return { ...current!, rollout: { ...marked, abort: { reason, at: Date.now() } } };
    });
    if (marked === undefined) return undefined;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = await this.c.registry.getAgent(name);
      if (now?.rollout?.startedAt !== marked.startedAt)
        return now !== undefined && now.version >= marked.candidate.version ? undefined : marked;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, ROLLOUT_ABORT_POLL_MS));
    }
    await this.endRollout(name, marked.startedAt);
    agentLog(
      this.opts.events,
      name,
      'warn',
      `the node running ${name} did not end its rollout within ${waitMs} ms: removed from the record here; that node aborts it when it sees the change`,
    );
    return marked;
  }

  /**
   * Resolves once the steps queued for `name` here ran and the record, read now, is in effect (a
   * promotion's swap, decision 2171); at once for an agent not running here.
   */
  async settle(name: string): Promise<void> {
    if (this.agents.has(name)) await this.serial(name, () => this.reconcile(name));
  }

  /** A registry write: the agent's owner (placement decides) starts it by itself. */
  async deploy(record: AgentRecord, artifactSize: number): Promise<AgentStatus> {
    await this.c.registry.putAgent(record);
    const status = await this.remote(record, 'starting', artifactSize);
    agentLog(
      this.opts.events,
      record.name,
      'info',
      `deployed version 1 (${record.artifactDigest.slice(0, 12)}) to the cluster; placed on node ${status.nodeId || '(none yet)'}`,
    );
    return status;
  }

  /**
   * A registry write, by compare-and-swap on the live record: only over the version it was built
   * from, and never over a recorded rollout (decision 2171); the node running the agent swaps the
   * new version in (see swap()).
   */
  async upgrade(previous: AgentRecord, next: AgentRecord, artifactSize: number): Promise<AgentStatus> {
    let written = next;
    await this.c.registry.updateAgent(next.name, (current) => {
      this.checkUnchanged(previous, current);
      if (current!.rollout !== undefined) throw new RolloutInProgressError(next.name, current!.rollout.candidate.version);
      // The count is the live record's (decision 2176): a scale through another node since the
      // upgrade read the record is kept, and the workers, stateless (decision 2163), refuse a version
      // that may write state.
      const replicas = current!.replicas ?? 1;
      if (replicas > 1 && next.writesState === true) throw statefulVersionWhileScaled(next.name, replicas);
      const { replicas: _asRead, ...rest } = next;
      written = replicas > 1 ? { ...rest, replicas } : rest;
      return written;
    });
    agentLog(
      this.opts.events,
      next.name,
      'info',
      `version ${next.version} (${next.artifactDigest.slice(0, 12)}) written to the cluster registry; its node swaps it in`,
    );
    return this.remote(written, 'upgrading', artifactSize);
  }

  async stop(name: string, force: boolean, keepQueue = false): Promise<AgentStatus> {
    const record = await this.c.registry.getAgent(name);
    if (!record) throw new NotFoundError('agent', name);
    if (keepQueue) return this.stopKeepingQueue(record, force);
    const status = (await this.status(name))!;
    if (force && this.agents.has(name)) this.forced.add(name);
    await this.c.registry.deleteAgent(name);
    // The owner deregisters too, after its drain (the agent may still register while draining).
    await this.c.registry.deregisterDf(this.opts.messaging.agentId(name).name).catch(() => {});
    agentLog(this.opts.events, name, 'info', 'undeployed from the cluster; its node drains and stops it');
    return { ...status, state: 'stopping' };
  }

  /**
   * `stop --keep-queue` (decision 1990): the record stays, marked absent; its claim holder stops the
   * instance and keeps the mailbox (see leaveQueue). The name stays taken and placed, so whichever
   * node owns the agent's partition and claim holds its queue, after a node's loss too.
   */
  private async stopKeepingQueue(record: AgentRecord, force: boolean): Promise<AgentStatus> {
    const name = record.name;
    if (record.absentSince !== undefined) {
      throw new ConflictError(`agent ${name} is stopped already, with its queue kept`, {
        context: { agent: name, state: 'stopped' },
        hint: `deploy it again to deliver its queue, or \`caxton stop ${name}\` (without --keep-queue) to dead-letter it and free the name`,
      });
    }
    if (force && this.agents.has(name)) this.forced.add(name);
    const now = Date.now();
    // A rollout in progress ends with the stop (decision 2171): its node aborts it.
    const { rollout: _ended, ...kept } = record;
    const absent: AgentRecord = { ...kept, absentSince: now, updatedAt: now };
    await this.c.registry.putAgent(absent);
    agentLog(
      this.opts.events,
      name,
      'info',
      'stopped in the cluster with its queue kept: its messages wait on the node that holds it until it is deployed again',
    );
    const status = (await this.status(name))!;
    return { ...status, state: this.agents.has(name) ? status.state : 'stopped' };
  }

  async status(name: string): Promise<AgentStatus | undefined> {
    if (this.agents.has(name)) return this.agents.status(name);
    const record = await this.c.registry.getAgent(name);
    return record && this.remote(record);
  }

  async list(): Promise<AgentStatus[]> {
    const claims = this.claims.claims();
    const nodes = (await this.c.registry.listNodes()).map((n) => n.id);
    // Kinds are listed by the lifecycle (decision 2060): not agents placed here or elsewhere.
    const names = new Set([
      ...(await this.c.registry.listAgents()).filter((r) => r.kind === undefined).map((r) => r.name),
      ...this.agents.names(),
    ]);
    const all = await Promise.all(
      [...names].sort().map(async (name) => {
        if (this.agents.has(name)) return this.agents.status(name);
        const record = await this.c.registry.getAgent(name);
        return record && this.remote(record, undefined, 0, claims, nodes);
      }),
    );
    return all.filter((s): s is AgentStatus => s !== undefined);
  }

  /**
   * An agent running elsewhere, as this node knows it: the registry record and the claim. Live
   * figures (fuel, messages handled, mailbox) are only known to the node running it.
   */
  private async remote(
    record: AgentRecord,
    state?: AgentState,
    artifactSize = 0,
    claims?: Map<string, Claim>,
    nodes?: string[],
  ): Promise<AgentStatus> {
    const claim = (claims ?? this.claims.claims()).get(record.name);
    const live = nodes ?? (await this.c.registry.listNodes()).map((n) => n.id);
    return {
      name: record.name,
      state: state ?? (record.absentSince !== undefined ? 'stopped' : claim ? 'running' : 'starting'),
      nodeId: claim?.node ?? partitionOwner(this.c.partitionOf(record.name), live) ?? '',
      version: record.version,
      artifactDigest: record.artifactDigest,
      artifactSize,
      limits: record.limits,
      config: record.config,
      restarts: 0,
      fuelUsed: 0,
      memoryPages: 0,
      mailboxDepth: this.opts.messaging.mailboxDepth(record.name),
      messagesHandled: 0,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ...(record.http !== undefined ? { http: record.http } : {}),
      ...(record.signerKeyId !== undefined ? { signerKeyId: record.signerKeyId } : {}),
      ...(record.language !== undefined ? { language: record.language } : {}),
      ...(record.a2aCard !== undefined ? { a2aCard: record.a2aCard } : {}),
      ...(record.topics !== undefined ? { topics: record.topics } : {}),
      // The recorded count (decisions 2091, 2168): the workers the senders spread over.
      ...((record.replicas ?? 1) > 1 ? { replicas: { replicas: record.replicas!, draining: 0 } } : {}),
      ...previousShown(record),
      ...(record.rollout !== undefined ? { rollout: recordedRolloutView(record.rollout) } : {}),
    };
  }

  // --- owner side: placement events --------------------------------------------------------------

  /** FIPA transport addresses of the instance: the node running it (shown to the agent at init). */
  private identity(name: string): AgentId {
    return { ...this.opts.identity(name), addresses: [`caxton://${this.opts.nodeId}`] };
  }

  private async startInstance(record: AgentRecord): Promise<void> {
    // Init is agent code: held by the kill switch (decision 1403) it waits for the thaw or resume,
    // unless the agent leaves this node first (then its next node starts it, under the same rule).
    const agent = record.name;
    while (this.opts.held(agent)) {
      if (!this.tokens.has(agent) || this.leaving.has(agent))
        throw new UnavailableError(`${agent} left this node while the kill switch held it`, {
          context: { agent },
          hint: 'it starts where placement runs it next',
        });
      await new Promise((r) => setTimeout(r, STATE_POLL_MS));
    }
    return this.agents.startInstance(record, this.identity(agent));
  }

  private fail(local: LocalAgent, err: unknown): void {
    this.agents.fail(local, err);
  }

  private onActivate(agent: string, token: number): void {
    this.tokens.set(agent, token);
    void this.serial(agent, () => this.bringUp(agent, token));
  }

  private onDeactivate(agent: string, reason: DeactivateReason): void {
    const local = this.agents.get(agent);
    if (local) local.state = 'stopping'; // no new work from now on (the dispatcher asks isRunnable)
    const token = this.tokens.get(agent);
    this.leaving.set(agent, { reason, token });
    // Past the membership deadline another node may own it already: stop at once, no drain. For
    // the other reasons the controller calls drain() next and waits for it.
    if (reason === 'claim-lost' || reason === 'membership-lost') void this.serial(agent, () => this.tearDown(agent, reason, token));
  }

  private owns(agent: string, token: number): boolean {
    return this.placement?.isStillOwner(agent, token) ?? false;
  }

  private async bringUp(agent: string, token: number): Promise<void> {
    if (!this.owns(agent, token)) return; // deactivated before we got here
    const record = await this.c.registry.getAgent(agent);
    if (!record) return; // undeployed meanwhile: placement releases the claim
    if (record.kind !== undefined) return; // a kind is not an agent: placement does not claim it (decision 2060)
    if (record.absentSince !== undefined) {
      // Stopped with its queue kept (decision 1990): held here without an instance; the consumer
      // hands this node the partition's pending deliveries and they wait in its mailbox.
      this.agents.add({ record, state: 'stopped', artifactSize: 0 });
      agentLog(this.opts.events, agent, 'info', `its absent queue is held on node ${this.opts.nodeId} (claim ${token})`);
      return;
    }
    const local: LocalAgent = { record, state: 'starting', artifactSize: 0 };
    this.agents.add(local);
    try {
      const bytes = await this.fetchArtifact(agent, token, record.artifactDigest);
      local.artifactSize = bytes.byteLength;
      await this.opts.host.prepare(bytes);
      // The state follows the agent: it starts with the state its previous node committed, so not
      // before this node consumes its partition and has read the state there.
      if (!(await this.awaitState(agent, token))) return; // no longer ours: the queued tear-down runs next
      await this.startInstance(record);
    } catch (err) {
      if (local.state === 'starting') this.fail(local, err);
      return;
    }
    if (local.state !== 'starting') return; // deactivated meanwhile: the queued tear-down stops it
    local.state = 'running';
    agentLog(this.opts.events, agent, 'info', `running on node ${this.opts.nodeId} (version ${record.version}, claim ${token})`);
    this.opts.messaging.wake(agent);
    // Scaled (decisions 2091, 2168): the owner's copy takes the count its record holds (its workers
    // are units placed by their own partitions), so its status and next scale agree with the record.
    await this.opts.replicas.follow(record);
    // A recorded rollout runs where the agent runs (decision 2171): started again from the record.
    await this.opts.rollouts.follow((await this.c.registry.getAgent(agent)) ?? record);
  }

  /**
   * Wait until the agent's partition is assigned here and its state read. Placement (etcd) and the
   * consumer group (Kafka) compute the same owner, but the group learns of a membership change at
   * its next rebalance, so an activation usually comes first. False if the activation ended first.
   */
  private async awaitState(agent: string, token: number): Promise<boolean> {
    const since = Date.now();
    let warned = false;
    for (;;) {
      if (!this.owns(agent, token)) return false;
      try {
        if (await this.c.stateLoaded(agent)) return this.owns(agent, token);
      } catch (err) {
        agentLog(
          this.opts.events,
          agent,
          'warn',
          `reading its state failed, retrying: ${err instanceof CaxtonError ? err.describe() : (err as Error).message}`,
        );
      }
      if (!warned && Date.now() - since > STATE_WAIT_WARN_MS) {
        warned = true;
        agentLog(
          this.opts.events,
          agent,
          'warn',
          `not started yet: waiting for this node to be assigned partition ${this.c.partitionOf(agent)} of the bus (its state is there)`,
        );
      }
      await new Promise((r) => setTimeout(r, STATE_POLL_MS));
    }
  }

  private async tearDown(agent: string, reason: DeactivateReason, token: number | undefined): Promise<void> {
    const local = this.agents.get(agent);
    const force = reason === 'claim-lost' || reason === 'membership-lost' || this.forced.delete(agent);
    if (local) {
      local.state = 'stopping';
      // A rollout's new instance first (decision 2171): it ends here, recorded still for the next node.
      await this.opts.rollouts.leave(agent, force);
      // Its replicas (decision 2091): drained, their results completed under the claim still ours.
      await this.opts.replicas.leave(agent, force);
      if (!force) await this.opts.messaging.idle(agent); // in-flight work completes while the claim is still ours
      // An absent agent (decision 1990: its record says so once its instance stopped) has none to stop.
      if (local.record.absentSince === undefined)
        await this.opts.host
          .stop(agent, force)
          .catch((err: unknown) => agentLog(this.opts.events, agent, 'warn', `stopping the instance failed: ${(err as Error).message}`));
      if (this.agents.get(agent) === local) this.agents.remove(agent);
    }
    if (this.tokens.get(agent) === token) this.tokens.delete(agent);
    if (this.leaving.get(agent)?.token === token) this.leaving.delete(agent);
    await this.opts
      .onStopped(agent, reason === 'undeployed')
      .catch((err: unknown) => agentLog(this.opts.events, agent, 'warn', `pending timers not removed: ${(err as Error).message}`));
    if (reason === 'undeployed') {
      await this.mailboxes.undeployed(agent);
      await this.c.registry.deregisterDf(this.opts.messaging.agentId(agent).name).catch(() => {});
    }
    if (local) agentLog(this.opts.events, agent, 'info', `stopped on node ${this.opts.nodeId}: ${WHY[reason]}`);
  }

  /**
   * The registry record of an agent held here changed: compare it, read now, with the local agent.
   * Absent record, local not absent → leave the queue; record deployed again, local absent →
   * return; otherwise an upgrade or a new deployment of the name (swap).
   */
  private async reconcile(agent: string): Promise<void> {
    const local = this.agents.get(agent);
    const record = await this.c.registry.getAgent(agent);
    if (!local || !record) return; // undeployed: the deactivation tears it down
    if (record.absentSince !== undefined) {
      if (!isAbsent(local)) await this.leaveQueue(agent);
    } else if (isAbsent(local)) {
      await this.returnFromAbsence(agent);
    } else {
      await this.swap(agent);
      // A scale through any node is a write of the record's count (decision 2091): the owner's copy follows it.
      const now = await this.c.registry.getAgent(agent);
      if (now !== undefined && now.absentSince === undefined && this.agents.get(agent)?.state === 'running') {
        await this.opts.replicas.follow(now);
        await this.opts.rollouts.follow(now);
      }
    }
  }

  /**
   * Stopped with its queue kept, on the node that holds it: the message in hand finishes (unless
   * forced), the instance stops, the mailbox stays — the queue. Its pending timers and directory
   * entry go, as on one node; its subscriptions stay with the queue (decision 2050).
   */
  private async leaveQueue(agent: string): Promise<void> {
    const local = this.agents.get(agent);
    const next = await this.c.registry.getAgent(agent);
    if (!local || !next || next.absentSince === undefined || isAbsent(local)) return;
    const force = this.forced.delete(agent);
    local.state = 'stopping';
    await this.opts.rollouts.follow(next, force); // its record no longer holds the rollout: aborted here (at once when forced)
    await this.opts.replicas.leave(agent, force);
    if (!force) await this.opts.messaging.idle(agent);
    await this.opts.host
      .stop(agent, force)
      .catch((err: unknown) => agentLog(this.opts.events, agent, 'warn', `stopping the instance failed: ${(err as Error).message}`));
    local.record = next;
    local.state = 'stopped';
    // As on one node (decision 1990): its timers go with the instance's work in progress (they would
    // otherwise fire into whatever is deployed next under the name), its directory entry goes, its
    // subscriptions stay with the queue.
    await this.opts
      .onStopped(agent, true, true)
      .catch((err: unknown) => agentLog(this.opts.events, agent, 'warn', `pending timers not removed: ${(err as Error).message}`));
    await this.c.registry.deregisterDf(this.opts.messaging.agentId(agent).name).catch(() => {}); // not registered: fine
    agentLog(
      this.opts.events,
      agent,
      'info',
      `stopped on node ${this.opts.nodeId} with its queue kept (${this.opts.messaging.mailboxDepth(agent)} waiting)`,
    );
  }

  /**
   * Deployed again while its queue is held here: the new record's instance starts (after the
   * partition's state is read here) and takes the queue first. One that does not start is failed,
   * with its queue still in its mailbox.
   */
  private async returnFromAbsence(agent: string): Promise<void> {
    const local = this.agents.get(agent);
    const token = this.tokens.get(agent);
    const record = await this.c.registry.getAgent(agent);
    if (!local || !isAbsent(local) || !record || record.absentSince !== undefined || token === undefined) return;
    local.record = record;
    local.state = 'starting';
    try {
      const bytes = await this.fetchArtifact(agent, token, record.artifactDigest);
      local.artifactSize = bytes.byteLength;
      await this.opts.host.prepare(bytes);
      if (!(await this.awaitState(agent, token))) return;
      await this.startInstance(record);
    } catch (err) {
      if (local.state === 'starting') this.fail(local, err);
      return;
    }
    if (local.state !== 'starting') return;
    local.state = 'running';
    agentLog(
      this.opts.events,
      agent,
      'info',
      `deployed again after a stop with its queue kept: ${this.opts.messaging.mailboxDepth(agent)} waiting messages are delivered first (node ${this.opts.nodeId}, claim ${token})`,
    );
    this.opts.messaging.wake(agent);
    await this.opts.replicas.follow(record);
  }

  /**
   * A new version in the registry for an agent running here: fetch and prepare it first, then
   * drain, swap. A version that does not start leaves the previous one running and is rolled back
   * in the registry (as a new version), so a later move does not start the failing one elsewhere.
   */
  private async swap(agent: string): Promise<void> {
    const local = this.agents.get(agent);
    if (!local || (local.state !== 'running' && local.state !== 'failed')) return;
    const next = await this.c.registry.getAgent(agent);
    // A newer version, or another deployment of the name (its own `createdAt`, from version 1 again:
    // a deploy over a name stopped with its queue kept, decision 1990).
    if (!next || next.absentSince !== undefined || (next.version <= local.record.version && next.createdAt === local.record.createdAt))
      return;
    const token = this.tokens.get(agent);
    const previous = local.record;
    const wasRunning = local.state === 'running';
    local.state = 'upgrading';
    try {
      const bytes = await this.fetchArtifact(agent, token, next.artifactDigest);
      await this.opts.host.prepare(bytes);
      // Replicas run the version being replaced: they go first (a cluster's owner runs none — its
      // workers are units that follow the version by themselves, decision 2176 — so this is a safety
      // net); the reconcile after the swap starts the count again.
      await this.opts.replicas.leave(agent, false);
      await this.opts.messaging.idle(agent); // the message in hand finishes on the old version
      await this.opts.host.stop(agent, false);
      // The new version's init subscribes under the new record's allow-list (decision 2050).
      local.record = next;
      try {
        await this.startInstance(next);
      } catch (err) {
        local.record = previous;
        if (wasRunning) {
          try {
            await this.startInstance(previous);
          } catch (rollbackError) {
            // Neither version starts: the agent is failed (with why), never shown as running.
            local.record = next;
            this.fail(local, rollbackError);
            agentLog(
              this.opts.events,
              agent,
              'error',
              `upgrade to version ${next.version} failed and version ${previous.version} did not start again: the agent is failed`,
            );
            return;
          }
        }
        throw err;
      }
      local.record = next;
      local.artifactSize = bytes.byteLength;
      delete local.lastError;
      agentLog(
        this.opts.events,
        agent,
        'info',
        `upgraded to version ${next.version} (${next.artifactDigest.slice(0, 12)}) on node ${this.opts.nodeId}`,
      );
    } catch (err) {
      local.record = next;
      if (!wasRunning) {
        if (local.state === 'upgrading') this.fail(local, err);
        return;
      }
      // The allow-list and card are the deployment's, not the artifact's (decision 2050): a narrowing
      // upgrade whose artifact fails to start keeps its narrower list.
      const { topics: _t, a2aCard: _c, rollout: _r, ...previousArtifact } = previous;
      const rolledBack: AgentRecord = { ...previousArtifact, version: next.version + 1, updatedAt: Date.now() };
      if (next.topics !== undefined) rolledBack.topics = next.topics;
      if (next.a2aCard !== undefined) rolledBack.a2aCard = next.a2aCard;
      local.record = rolledBack;
      local.lastError = errorSummary(err);
      agentLog(
        this.opts.events,
        agent,
        'error',
        `upgrade to version ${next.version} failed (${err instanceof CaxtonError ? err.describe() : (err as Error).message}); version ${previous.version}'s component keeps running, recorded as version ${rolledBack.version}`,
      );
      // Over the version that failed only, and with the live record's count (decision 2176): a
      // scale through another node while this one fetched and started the component stays.
      await this.c.registry
        .updateAgent(agent, (live) => {
          if (live === undefined || live.version !== next.version || live.createdAt !== next.createdAt)
            throw new ConflictError(`agent ${agent} changed since version ${next.version} was written`, { context: { agent } });
          const { replicas: _asRead, ...rest } = rolledBack;
          return live.replicas !== undefined ? { ...rest, replicas: live.replicas } : rest;
        })
        .catch((e: unknown) => agentLog(this.opts.events, agent, 'error', `could not record the roll-back: ${(e as Error).message}`));
    } finally {
      if (local.state === 'upgrading') local.state = 'running';
      this.opts.messaging.wake(agent);
    }
  }

  /** The component, from the local cache or etcd; retried while etcd is unreachable and the agent is still ours. */
  private async fetchArtifact(agent: string, token: number | undefined, digest: string): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.opts.artifacts.get(digest);
      } catch (err) {
        const retriable = err instanceof CaxtonError && err.code === 'registry.unavailable';
        if (!retriable || attempt >= 12 || (token !== undefined && !this.owns(agent, token))) throw err;
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  }

  /** Runs `step` after every earlier step for `agent`; failures are logged, never thrown at placement. */
  private serial(agent: string, step: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(agent) ?? Promise.resolve();
    const next = previous.then(step).catch((err: unknown) => {
      agentLog(
        this.opts.events,
        agent,
        'error',
        `cluster step failed: ${err instanceof CaxtonError ? err.describe() : (err as Error).message}`,
      );
    });
    this.chains.set(agent, next);
    void next.then(() => {
      if (this.chains.get(agent) === next) this.chains.delete(agent);
    });
    return next;
  }
}

/** How often an operator's rollback through another node looks whether the rollout left the record (ms). */
const ROLLOUT_ABORT_POLL_MS = 100;

/** An absent TTL stays this far below the log's retention: the sweep has time to dead-letter it first. */
const ABSENT_TTL_RETENTION_MARGIN_MS = 3_600_000;

/** Held here as stopped with its queue kept (decision 1990): no instance, its mailbox is the queue. */
function isAbsent(local: LocalAgent | undefined): boolean {
  return local !== undefined && local.state === 'stopped' && local.record.absentSince !== undefined;
}

/** An operation on an agent stopped with its queue kept (decision 1990): only a deploy takes it back. */
function stoppedKeepingQueue(name: string): ConflictError {
  return new ConflictError(`agent ${name} is stopped (its queue is kept)`, {
    context: { agent: name, state: 'stopped' },
    hint: `deploy it again (\`caxton deploy ${name} …\`): the deploy takes over its queue`,
  });
}
