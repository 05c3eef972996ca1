/**
 * The cluster residency: where agents run is placement's decision. Two halves:
 *
 * - **The API side, on any node**: deploy / upgrade / stop validate the component here (so a bad
 *   artifact is refused at once), store it in the artifact store (etcd + local cache) and write the
 *   registry. They return once the registry write is done, with state `starting` / `upgrading` /
 *   `stopping` and the node placement picks: the agent's owner reacts to the change by itself
 *   (placed-records.ts).
 * - **The owner side** (placed-owner.ts): the PlacementController activates and deactivates agents on this node.
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
 * presents before recording a completion (decision 0702). This class ties the halves together with
 * what both need: the partitions' tenures (kinds' and replica units' fence, decision 2060), the
 * claims' fence for completions and absent queues, and the replica units placed here.
 */
import type { AgentNear, OntologySchemas, TopicPatterns } from '@caxton/core';
import { isInstanceName, parseReplicaUnit, replicaFor, replicaUnitName, type AclMessage } from '@caxton/core';
import type { DispatchOwnership } from '../../bus/port.js';
import { partitionOwner } from '../../log/kafka/index.js';
import { ClaimStore } from './placement/claims.js';
import type { PlacementController } from './placement/placement-controller.js';
import type { AgentRecord } from '../../storage/records.js';
import type { AgentResidency, ResidencyContext } from '../../node/agent-residency.js';
import { agentLog } from '../../node/local-agents.js';
import { ClusterMailboxes } from './mailboxes.js';
import { ReplicaUnits } from './replica-units.js';
import type { PlacedAgentsOptions } from './placed-agents-options.js';
import { PlacedOwner } from './placed-owner.js';
import { PlacedRecords } from './placed-records.js';
import { fixClusterPlacement } from './fixed-placement.js';
import { replicaUnitViews } from './replica-unit-view.js';
import { SharedAbsentCounts } from './shared-absent-counts.js';
import { EtcdAbsentCounts } from '../../registry/etcd/absent-counts.js';
import type { ReplicaUnitView } from '@caxton/core';

export class PlacedAgents extends PlacedRecords implements AgentResidency {
  readonly mailboxes: ClusterMailboxes;
  /** The owner side: placement's activations and deactivations carried out here. */
  protected readonly owner: PlacedOwner;
  protected readonly claims: ClaimStore;
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

  /** Each replica unit's presence writes in etcd, chained (decision 2097). */
  private readonly presenceWrites = new Map<string, Promise<void>>();
  /**
   * Replica units run here (decisions 2093, 2168): a scaled agent's workers 2..N are the placement
   * units `<agent>#r<k>`, chosen by the sender and run where their partition is consumed.
   */
  private readonly units: ReplicaUnits;

  /** Absent queues bounded at the send on every node (decision 2157). */
  readonly sharedAbsent: SharedAbsentCounts;

  constructor(opts: ResidencyContext, c: PlacedAgentsOptions) {
    super(opts, c);
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
    this.owner = new PlacedOwner(opts, c, this.mailboxes);
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
      ready = this.owner.fetchArtifact(record.name, undefined, record.artifactDigest).then(async (bytes) => {
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
    this.owner.placement = placement;
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
        if (e.type === 'activate') guarded(e.agent, e.type, () => this.owner.onActivate(e.agent, e.token));
        else if (e.type === 'deactivate') guarded(e.agent, e.type, () => this.owner.onDeactivate(e.agent, e.reason));
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
      if (e.kind === 'agent-put' && this.agents.has(e.agent.name))
        void this.owner.serial(e.agent.name, () => this.owner.reconcile(e.agent.name));
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
    const leaving = this.owner.leaving.get(agent) ?? { reason: 'stopped' as const, token: this.owner.tokens.get(agent) };
    return this.owner.serial(agent, () => this.owner.tearDown(agent, leaving.reason, leaving.token));
  }

  /**
   * This node holds `name`'s claim and may still act on it for a completion's margin: it may keep,
   * bound and expire the agent's absent queue (decision 1990). Not while the agent leaves here.
   */
  holdsQueue(name: string): boolean {
    const token = this.owner.tokens.get(name);
    return (
      token !== undefined &&
      !this.owner.leaving.has(name) &&
      (this.placement?.isStillOwner(name, token, this.c.completionWithinMs) ?? false)
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
            ? this.owner.tokens.get(agent)
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
    const token = this.owner.tokens.get(name);
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

  deployedOntologies(name: string): OntologySchemas | undefined {
    return this.c.deployments.ontologiesOf(name);
  }

  /** Nothing to restore at start-up: placement activates this node's agents once it joins. */
  async restore(): Promise<void> {}

  /** The placement this node follows (the owner side keeps it). */
  private get placement(): PlacementController | undefined {
    return this.owner.placement;
  }

  // --- API side: any node (PlacedRecords, the base class), and the placement a deploy asks for -

  fixPlacement(name: string, asked: AgentNear | undefined, keepState: boolean): Promise<AgentNear | undefined> {
    return fixClusterPlacement(this.c.registry, name, asked, keepState);
  }
}

/** An absent TTL stays this far below the log's retention: the sweep has time to dead-letter it first. */
const ABSENT_TTL_RETENTION_MARGIN_MS = 3_600_000;
