/**
 * Agent kinds (decision 1980): one deployment, many keyed instances. A kind is stored as ONE
 * registry record; its instances (`<kind>/<key>`) have none. A message to an instance that is not
 * in memory activates it on the shard its key hashes to (the kind's prepared artifact, instantiated
 * only; its own limits, its own durable state keyed by the instance name, its key in the init
 * config); an instance idle for the kind's idle period is passivated once its last handling is
 * durable, and leaves nothing per key in memory behind. Activations are bounded per shard: past the
 * bound a send is refused (`activation-limit`, retried by the sender; in a cluster the owner evicts its
 * shard's least recently used idle instance instead, decision 2060), and mail replayed for an
 * instance that cannot be activated yet waits, durable, in its mailbox until a slot frees (in a
 * cluster up to a per-partition cap, past which it is dead-lettered `activation-limit`). In a
 * cluster a passivated instance's timer wake follows its partition to the node consuming it.
 */
import { addSample, type HandlingSample } from '../costs/conversation-costs.js';
import type { AgentStatus, KindCounts } from '@caxton/core';
import { NotFoundError, isInstanceName, parseInstanceName, zeroCosts } from '@caxton/core';
import type { ReceiverKind } from '../../bus/port.js';
import type { AgentRecord } from '../../storage/records.js';
import { agentLog } from '../local-agents.js';
import type { AgentKindsOptions, KindPlacement } from './kind-options.js';
import type { Kind } from './kind-model.js';
import { instanceStatus, kindCounts, kindStatus } from './kind-status.js';
import { KindTable } from './kind-table.js';
import { KindActivation } from './kind-activation.js';
import { KindDepartures } from './kind-departures.js';
import { KindMailWaits } from './kind-mail-waits.js';
import { KindRollouts, versionForKey } from './kind-rollouts.js';
import type { ExecutionResult, WorkItem } from '../../bus/executor.js';

/** A cluster: how long past a kind rollout's bake the judging node waits for another node's promotion before it rolls back for too few handlings. */
const KIND_ROLLOUT_TOO_FEW_GRACE_MS = 10_000;

export class AgentKinds {
  private readonly t: KindTable;
  private readonly activation: KindActivation;
  private readonly departures: KindDepartures;
  private readonly waits: KindMailWaits;
  /** A cluster: each kind's watch changes (adopt, removed) in the order they came (see `inOrder`). */
  private readonly watchChains = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  /** Rollouts by key (decision 2175). */
  readonly rollouts: KindRollouts;

  constructor(private readonly o: AgentKindsOptions) {
    const t = (this.t = new KindTable(o));
    this.rollouts = new KindRollouts({
      store: o.store,
      events: o.events,
      held: o.held,
      // A cluster: the node consuming the kind's own partition ends the bake; one node: this one.
      judgesHere: (kind) => t.placed?.isHere(kind) ?? true,
      // A cluster's nodes bake from the recorded start, so their bakes end together; one node from its own start.
      bakeFromRecord: () => t.placed !== undefined,
      tooFewGraceMs: () => (t.placed !== undefined ? KIND_ROLLOUT_TOO_FEW_GRACE_MS : 0),
      applied: (record) => this.applied(record),
      now: t.now,
    });
    this.activation = new KindActivation(t, this.rollouts, (kind, instance, why) => this.departures.passivate(kind, instance, why));
    this.departures = new KindDepartures(t, this.activation, this.rollouts);
    this.waits = new KindMailWaits(t);
    t.bind({
      activate: (name, mayEvict) => this.activate(name, mayEvict),
      passivate: (kind, instance, why) => this.departures.passivate(kind, instance, why),
      wakeForTimer: (name) => this.wakeForTimer(name),
    });
    // The kill switch holds a kind by its name, but the dispatcher parks its instances by theirs:
    // a resume or thaw of the kind must wake each of them, or they stay parked for ever.
    this.unsubscribe = o.onHoldChange?.(() => this.wakeUnheld()) ?? (() => {});
  }

  private wakeUnheld(): void {
    if (this.t.closed) return;
    for (const kind of this.t.kinds.values()) {
      if (this.o.held(kind.record.name)) continue;
      // A snapshot: a wake may hand work at once, and `touch` re-inserts the instance into the map.
      for (const i of [...kind.instances.values()]) if (i.state === 'running' && !this.o.held(i.name)) this.o.messaging.wake(i.name);
    }
  }

  /** A cluster (decision 2060): instances are placed where their mail is consumed (see `AgentKindsOptions.placed`). */
  placeBy(placed: KindPlacement): void {
    this.t.placeBy(placed);
  }

  /** The idle period a kind deployed without `--idle` gets. */
  get defaultIdleMs(): number {
    return this.t.defaultIdleMs;
  }

  get activationLimit(): number {
    return this.t.limitPerShard;
  }

  /** An instance's kind's own cap (`--max-active`) when the kind holds that many in memory; else undefined. */
  capReached(instance: string): number | undefined {
    let parsed;
    try {
      parsed = parseInstanceName(instance);
    } catch {
      return undefined;
    }
    const kind = parsed === undefined ? undefined : this.t.kinds.get(parsed.kind);
    const cap = kind?.record.kind?.maxActive;
    return cap !== undefined && kind!.instances.size >= cap ? cap : undefined;
  }

  isKind(name: string): boolean {
    return this.t.kinds.has(name);
  }

  record(kind: string): AgentRecord | undefined {
    return this.t.kinds.get(kind)?.record;
  }

  /** A kind record read from the registry at start-up, or just deployed (and stored already). */
  add(record: AgentRecord): void {
    // A cluster: the deploy's own watch event may have added it first (with instances since): kept.
    const existing = this.t.kinds.get(record.name);
    if (existing !== undefined && !existing.stopping) {
      if (record.version >= existing.record.version) {
        existing.record = record;
        this.rollouts.follow(record);
      }
      return;
    }
    this.t.kinds.set(record.name, {
      record,
      instances: new Map(),
      passivated: 0,
      activations: 0,
      failed: 0,
      evicted: 0,
      preempted: 0,
      stopping: false,
    });
    this.rollouts.follow(record);
    // Its instances' names route from now on (decision 2123).
    this.o.host.routing?.changed();
    this.departures.armSweep();
  }

  /** Stores a new kind record and makes its instances addressable. */
  async deploy(record: AgentRecord): Promise<void> {
    await this.o.store?.putAgent(record);
    this.add(record);
    agentLog(
      this.o.events,
      record.name,
      'info',
      `deployed kind version ${record.version} (${record.artifactDigest.slice(0, 12)}, idle ${record.kind?.idleMs} ms, fuel ${record.limits.fuelPerMessage}/message, ${record.limits.memoryPages} pages per instance)`,
    );
  }

  /**
   * Stores the kind's next version. Instances in memory are passivated now (each after the message
   * in hand, durable); every instance, passivated before or now, runs the new version from its next
   * activation, which for one with mail waiting is at once.
   */
  async upgrade(next: AgentRecord): Promise<void> {
    const kind = this.require(next.name);
    // A compare-and-swap: a rollout recorded meanwhile (through another node) is not overwritten.
    const written = this.o.store !== undefined ? await this.rollouts.writeUpgrade(next) : next;
    await this.applyRecord(kind, written);
    agentLog(
      this.o.events,
      next.name,
      'info',
      `kind upgraded to version ${next.version} (${next.artifactDigest.slice(0, 12)}); instances run it from their next activation`,
    );
  }

  /**
   * Undeploys the kind: every instance is passivated (forced: nothing waits for new mail), what is
   * left in their mailboxes is dead-lettered, and the record is deleted. Instances' state is kept,
   * as an undeployed agent's is (decision 1600).
   */
  stop(name: string, force: boolean, deleteRecord = true): Promise<AgentStatus> {
    const kind = this.require(name);
    const stopping = this.departures.stopKind(kind, name, force, deleteRecord);
    kind.stopped = stopping.catch(() => {});
    return stopping;
  }

  /**
   * The bus asks where a receiver lives. An instance in memory: `agent`. One that is not: a slot
   * of its shard is reserved for it (it starts once mail for it was appended, `noticeMail`; the bus
   * gives the slot back through `unrouted` when it appended none), or `activation-limit` when the
   * shard is full. A name of no kind: undefined (not ours to answer).
   */
  route(name: string): ReceiverKind | undefined {
    let parsed;
    try {
      parsed = parseInstanceName(name);
    } catch {
      return 'unknown'; // the API refuses these with a hint before they get here
    }
    if (parsed === undefined) return this.t.kinds.has(name) ? 'unknown' : undefined; // a kind takes no mail itself
    const kind = this.t.kinds.get(parsed.kind);
    if (kind === undefined || kind.stopping) return 'unknown';
    const instance = kind.instances.get(name);
    if (instance !== undefined) {
      this.t.touch(kind, instance);
      return 'agent';
    }
    if (this.t.waiting.has(name)) return 'agent'; // its mail waits for a slot already: one more joins it
    // A cluster: the node consuming the instance's partition activates it when its mail arrives there.
    if (this.t.placed !== undefined) return 'agent';
    const reserved = this.t.reserve(kind, name, parsed.key);
    if (reserved === 'evicting') {
      // At the kind's cap, an idle instance is being passivated for it: its mail waits for that slot.
      this.t.waiting.add(name);
      return 'agent';
    }
    return reserved !== undefined ? 'agent' : 'activation-limit';
  }

  /** The bus appended nothing for `name` after routing it (the send was refused later, or its append failed): a reservation is given back. */
  unrouted(name: string): void {
    const kind = this.t.kindOf(name);
    const instance = kind?.instances.get(name);
    if (instance?.state === 'reserved' && this.o.messaging.mailboxDepth(name) === 0) this.t.drop(kind!, instance);
    else if (instance === undefined && this.o.messaging.mailboxDepth(name) === 0) this.t.waiting.delete(name); // it waited for a cap slot with no mail
  }

  /**
   * Is `name` an instance of a kind deployed here (in memory or not)? Undefined for a name that is
   * no instance. Side-effect free, unlike `route`: the bus asks it of every delivery's sender, and
   * mail replayed from a passivated instance must not activate it (nor count as an outside client's).
   */
  isInstanceName(name: string): boolean | undefined {
    if (!isInstanceName(name)) return undefined;
    let parsed;
    try {
      parsed = parseInstanceName(name);
    } catch {
      return false;
    }
    if (parsed === undefined) return undefined;
    const kind = this.t.kinds.get(parsed.kind);
    return kind !== undefined && !kind.stopping;
  }

  /** The bus handed out deliveries for `name`: an instance not in memory (mail replayed at start-up) is activated, or waits for a slot. */
  noticeMail(name: string): void {
    this.activate(name, true);
  }

  /**
   * `mayEvict`: at its kind's cap, may an idle instance be passivated early for this one? Not for
   * one taken from `waiting` (it had its eviction already, or waits for its shard): otherwise each
   * freed slot would evict once more for every instance still waiting.
   */
  private activate(name: string, mayEvict: boolean): void {
    if (this.t.closed) return; // a stopping node starts nothing: the mail stays in the log for the next start
    let parsed;
    try {
      parsed = parseInstanceName(name);
    } catch {
      return;
    }
    if (parsed === undefined) return;
    if (this.t.placed !== undefined && !this.t.placed.isHere(name)) {
      // A cluster: its partition moved (a retry or a wait for the kind's record outlived it). Its
      // mail is the next owner's; activated here it would hold a slot and never run (`mayRun`).
      this.t.unknownKindSince.delete(name);
      return;
    }
    const kind = this.t.kinds.get(parsed.kind);
    if (kind === undefined) {
      // A cluster: the kind may be deployed through another node a moment ago, its record not yet
      // seen here though its mail is (the registry's watch and Kafka race). The mail waits, durable,
      // for a grace period before it counts as mail for no kind (decision 2060).
      if (this.t.placed !== undefined && this.waits.awaitKind(name)) return;
      // Mail for an instance of no kind (replayed after its kind was stopped): it would sit in a
      // mailbox for ever; it is dead-lettered, with why. (A stopping kind dead-letters its own.)
      if (!this.t.closed) void this.waits.deadLetterAll(name, `kind ${parsed.kind} is not deployed: instance ${name} cannot take it`);
      return;
    }
    this.t.unknownKindSince.delete(name);
    if (kind.stopping) return;
    const instance = kind.instances.get(name);
    if (instance !== undefined) {
      this.t.touch(kind, instance);
      if (instance.state === 'reserved') this.activation.begin(kind, instance);
      return;
    }
    if (this.t.waiting.has(name)) {
      this.waits.capWaits(name); // it waits for a slot already (its mail with it): more mail joins it, within the cap
      return;
    }
    const reserved = this.t.reserve(kind, name, parsed.key, false, mayEvict);
    if (typeof reserved === 'object') this.activation.begin(kind, reserved);
    else {
      this.t.waiting.add(name); // activated as a slot of its shard, or of its kind, frees
      this.waits.capWaits(name);
    }
  }

  /** May the dispatcher hand the instance work now? (in memory and running, its kind not held, not in a restart backoff) */
  isRunnable(name: string): boolean {
    const kind = this.t.kindOf(name);
    const instance = kind?.instances.get(name);
    if (instance === undefined || instance.state !== 'running') return false;
    if (this.t.placed?.tenureOf !== undefined && this.t.placed.tenureOf(name) !== instance.tenure) {
      // Its partition left and came back (or left) since it was activated: its sandbox's state may
      // be stale. It runs nothing more and goes; its next activation loads the committed state.
      void this.departures
        .retire(kind!, instance)
        .catch((err: unknown) =>
          agentLog(
            this.o.events,
            kind!.record.name,
            'warn',
            `instance ${name} of an earlier tenure not dropped: ${(err as Error).message}`,
          ),
        );
      return false;
    }
    if (this.o.held(kind!.record.name) || this.o.held(name)) return false;
    this.t.touch(kind!, instance);
    return !((this.o.host.restartDelay?.(name) ?? 0) > 0);
  }

  /**
   * Does this node own the instance `name`, in memory or passivated: its kind deployed here (not
   * being stopped) and, in a cluster, its partition consumed here? Not `isActive`: an idle instance
   * is passivated, not gone, and work it left (an MTP post on a timer) is still this node's
   * (review of outboxfix4, round 2). Side-effect free: activates nothing.
   */
  ownsHere(name: string): boolean {
    const kind = this.t.kindOf(name);
    return kind !== undefined && !kind.stopping && (this.t.placed === undefined || this.t.placed.isHere(name));
  }

  /**
   * One handling of an instance (`kind/key`) and what it cost, into its kind's costs (decision
   * 2184): false when `name` is no instance of a kind deployed here. One slice and one map lookup.
   */
  countHandled(name: string, cost: HandlingSample): boolean {
    const kind = this.t.kindOf(name);
    if (kind === undefined) return false;
    addSample((kind.costs ??= zeroCosts()), cost);
    return true;
  }

  /** Counts of every kind's instances (a kind's status). */
  counts(name: string): KindCounts | undefined {
    const kind = this.t.kinds.get(name);
    return kind === undefined ? undefined : kindCounts(kind, this.defaultIdleMs);
  }

  /** Instances in memory over all kinds (the bench's `active_concurrent`, a gauge). */
  activeCount(): number {
    let n = 0;
    for (const k of this.t.kinds.values()) n += k.instances.size;
    return n;
  }

  /** A kind's status: its record and its instances' counts. */
  status(name: string): AgentStatus | undefined {
    const kind = this.t.kinds.get(name);
    return kind === undefined ? undefined : kindStatus(kind, kindCounts(kind, this.defaultIdleMs), this.rollouts.view(name));
  }

  /** One instance's status (see `instanceStatus` in kind-status.ts); undefined for a name of no kind. */
  async instanceStatus(name: string): Promise<AgentStatus | undefined> {
    const parsed = parseInstanceName(name, 'name');
    const kind = parsed === undefined ? undefined : this.t.kinds.get(parsed.kind);
    if (parsed === undefined || kind === undefined) return undefined;
    const messaging = this.o.messaging;
    return instanceStatus(kind, name, parsed.key, {
      host: this.o.host,
      mailboxDepth: (n) => messaging.mailboxDepth(n),
      placed: this.t.placed,
    });
  }

  names(): string[] {
    return [...this.t.kinds.keys()].sort();
  }

  /** The node can take what a timer's handling sends: see KindWakes.start. */
  startTimerWakes(): Promise<void> {
    return this.t.wakes.start();
  }

  /** Passivated instances the node will wake for a timer (tests, the bench). */
  get timerWakes(): number {
    return this.t.wakes.size;
  }

  /** A cluster (decision 2060): partitions were assigned here; their passivated instances' wakes are read (see `KindWakes.arrived`). */
  arrived(matches: (name: string) => boolean, kinds?: readonly string[], partitions?: readonly number[]): Promise<number> {
    return this.t.wakes.arrived(matches, kinds, partitions);
  }

  /**
   * A passivated instance's timer is due: activate it (its activation re-arms its timers, firing
   * the due ones). False when it must wait (no slot for a wake, its kind at its cap, or its kind
   * held: a suspended kind's instances would hold slots running nothing); true when it was
   * activated or needs no wake (in memory already, or its kind is gone).
   */
  private wakeForTimer(name: string): boolean {
    const slash = name.indexOf('/');
    const kind = this.t.kinds.get(name.slice(0, slash));
    if (kind === undefined || kind.stopping || kind.instances.has(name) || this.t.waiting.has(name)) return true;
    // A cluster: the instance moved with its partition; its new node wakes it (decision 2060).
    if (this.t.placed !== undefined && !this.t.placed.isHere(name)) return true;
    if (this.o.held(kind.record.name)) return false;
    const reserved = this.t.reserve(kind, name, name.slice(slash + 1), true);
    if (typeof reserved !== 'object') return false;
    this.activation.begin(kind, reserved);
    return true;
  }

  /**
   * A cluster (decision 2060): a kind record written through another node, seen in the registry's
   * watch. A new kind becomes addressable here; a new version of a known one moves this node's
   * instances to it as an upgrade here does (each after its message in hand). Nothing is stored:
   * the writing node stored it.
   */
  adopt(record: AgentRecord): Promise<void> {
    return this.inOrder(record.name, () => this.adoptNow(record));
  }

  /**
   * A cluster: one kind's watch changes are applied one after the other, in the order the watch
   * gave them. A delete's stop takes time (each instance after its message in hand); a redeploy
   * seen meanwhile must be applied after it, or the stop's end would forget the new kind here.
   */
  private inOrder(name: string, step: () => Promise<void>): Promise<void> {
    const previous = this.watchChains.get(name) ?? Promise.resolve();
    const next = previous.then(step, step);
    this.watchChains.set(name, next);
    const settle = (): void => {
      if (this.watchChains.get(name) === next) this.watchChains.delete(name);
    };
    next.then(settle, settle);
    return next;
  }

  private async adoptNow(record: AgentRecord): Promise<void> {
    if (this.t.closed || record.kind === undefined) return;
    const kind = this.t.kinds.get(record.name);
    if (kind === undefined) {
      this.add(record);
      // Its passivated instances whose partitions this node consumes already wake here for their timers.
      const placed = this.t.placed;
      if (placed !== undefined && this.t.wakes.started)
        void this.arrived((name) => placed.isHere(name), [record.name], placed.partitionsHere?.());
      return;
    }
    if (kind.stopping) {
      // Stopped through this node (the watch's delete found it stopping): deployed again once it is gone.
      await kind.stopped;
      return this.adoptNow(record);
    }
    if (record.version === kind.record.version && record.updatedAt === kind.record.updatedAt) return; // our own write, or seen already
    await this.applyRecord(kind, record);
  }

  /**
   * The kind's record as it is now: a new version, or a rollout started or ended (decision 2175).
   * Each instance in memory whose key now resolves to another version is passivated after the
   * message in hand and activated again on that version (at once, when it has mail): a handover per
   * key, its state as it is then. Its breaker starts afresh, as an upgraded agent's does (decision 1921).
   */
  private async applyRecord(kind: Kind, record: AgentRecord): Promise<void> {
    kind.record = record;
    this.rollouts.follow(record);
    const moving = [...kind.instances.values()].filter((i) => versionForKey(record, i.key).version !== i.version);
    for (const i of moving) this.o.messaging.replaced?.(i.name);
    await Promise.all(moving.map((i) => this.departures.passivate(kind, i, 'swap')));
  }

  /** A record this node wrote (a rollout's start, verdict or abort), applied in the kind's order of changes. */
  private applied(record: AgentRecord): Promise<void> {
    return this.inOrder(record.name, async () => {
      const kind = this.t.kinds.get(record.name);
      if (kind === undefined || kind.stopping || this.t.closed) return;
      const r = kind.record;
      if (record.version < r.version || (record.version === r.version && record.updatedAt <= r.updatedAt)) return; // the watch's copy came first
      await this.applyRecord(kind, record);
    });
  }

  /**
   * Starts a rollout of the kind by key (decision 2175): recorded beside its version, followed by
   * every node holding its instances. Refused while another is recorded, or the kind changed.
   */
  async startRollout(previous: AgentRecord, rollout: NonNullable<AgentRecord['rollout']>): Promise<AgentStatus> {
    this.require(previous.name);
    await this.rollouts.start(previous, rollout);
    return this.status(previous.name)!;
  }

  /** An operator's rollback during a kind's rollout: undefined when none is recorded. */
  async abortRollout(kind: string, reason: string): Promise<AgentStatus | undefined> {
    this.require(kind);
    const view = await this.rollouts.abort(kind, reason);
    if (view === undefined) return undefined;
    return { ...this.status(kind)!, rollout: view };
  }

  /**
   * The handlings of instances on a rollout's new version, for its verdict (decision 2175); a crash
   * of one while it bakes is reported as work to hand out again. One check per batch while no kind
   * rolls out.
   */
  observe(batch: readonly WorkItem[], results: ExecutionResult[]): void {
    if (!this.rollouts.active) return;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const kind = this.t.kindOf(result.agent);
      const r = kind?.record.rollout;
      if (kind === undefined || r === undefined) continue;
      if (kind.instances.get(result.agent)?.version !== r.candidate.version) continue;
      const instead = this.rollouts.observe(kind.record.name, batch[i]!, result);
      if (instead !== undefined) results[i] = instead;
    }
  }

  /**
   * The version record an instance of a kind runs under now — its key's, during a rollout by key
   * (decision 2175): its HTTP egress rules and topic allow-list are that version's. Undefined for a
   * name of no kind.
   */
  versionOf(name: string): AgentRecord | undefined {
    const slash = name.indexOf('/');
    const kind = slash > 0 ? this.t.kinds.get(name.slice(0, slash)) : undefined;
    return kind === undefined ? undefined : versionForKey(kind.record, name.slice(slash + 1));
  }

  /**
   * A cluster (decision 2060): the kind's record was deleted through another node. Its instances
   * here stop as in `stop` (their mailboxes dead-lettered); the record is gone already.
   */
  removed(name: string): Promise<void> {
    return this.inOrder(name, () => this.removedNow(name));
  }

  private async removedNow(name: string): Promise<void> {
    if (this.t.closed || !this.t.kinds.has(name)) return;
    const kind = this.t.kinds.get(name)!;
    if (kind.stopping) return; // stopped through this node: `stop` does it
    await this.stop(name, false, false);
  }

  /** The node stops: nothing activates, passivates or is dead-lettered from here on (the log keeps the mail). */
  close(): void {
    this.t.close();
    this.unsubscribe();
    this.departures.close();
    this.rollouts.close();
  }

  /** Passivates, now, every instance idle past its kind's period (tests, the bench). */
  passivateIdleNow(): void {
    this.departures.passivateIdle();
  }

  /** Is `name` an instance in memory (running here)? */
  isActive(name: string): boolean {
    return this.t.isActive(name);
  }

  /**
   * A cluster (decision 2060): the partitions holding these instances' mail are consumed by another
   * node now (see `KindDepartures.leave`).
   */
  leave(matches: (name: string) => boolean): Promise<number> {
    return this.departures.leave(matches);
  }

  private require(name: string): Kind {
    const kind = this.t.kinds.get(name);
    if (kind === undefined) throw new NotFoundError('agent', name);
    return kind;
  }
}
