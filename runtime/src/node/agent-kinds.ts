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
import type { AgentStatus, KindCounts } from '@caxton/core';
import { CaxtonError, KIND_LIMITS, NotFoundError, activationWaitsPerKey, isInstanceName, parseInstanceName } from '@caxton/core';
import { ActivationWaits } from './activation-waits.js';
import type { ReceiverKind } from '../bus/port.js';
import type { AgentRecord } from '../storage/records.js';
import type { AgentStore } from '../storage/ports.js';
import type { AgentHost } from './agent-host.js';
import type { AgentMessaging } from './agent-messaging.js';
import { agentLog, errorSummary, type LocalAgents, type AgentLifecycleEvent } from './local-agents.js';
import type { Instrumentation } from '@caxton/core';
import { TimerWakes, type DueEntry } from './timer-wakes.js';
import { KindRollouts, versionForKey } from './kind-rollouts.js';
import type { ExecutionResult, WorkItem } from '../bus/executor.js';
import type { RolloutView } from '@caxton/core';

/** A cluster: how long past a kind rollout's bake the judging node waits for another node's promotion before it rolls back for too few handlings. */
const KIND_ROLLOUT_TOO_FEW_GRACE_MS = 10_000;

/** Config keys the node sets in every instance's init config (decision 1980); a deployer's values for them are replaced. */
export const KIND_CONFIG_KEY = 'caxton.kind';
export const INSTANCE_CONFIG_KEY = 'caxton.key';

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
  /** How long an instance whose activation failed for a passing reason waits before it is tried again. */
  retryAfterMs?: number;
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

/** `reserved`: a send routed to it holds a slot of its shard, and it starts once mail for it was appended (decision 1980). */
type InstanceState = 'reserved' | 'activating' | 'running' | 'passivating';

interface Instance {
  readonly name: string;
  readonly key: string;
  readonly shard: number;
  state: InstanceState;
  /** When it last took work (or was activated): passivated once idle this long past the kind's period. */
  lastActive: number;
  /** The kind version it runs. */
  version: number;
  /** Its activation, while one is under way: a kind's stop waits for it. */
  starting?: Promise<void>;
  /** A cluster: the partition's tenure it was activated under (see `placed.tenureOf`). */
  tenure?: number;
}

interface Kind {
  record: AgentRecord;
  readonly instances: Map<string, Instance>;
  passivated: number;
  activations: number;
  failed: number;
  /** Instances passivated early to make room under the kind's own cap (`maxActive`). */
  evicted: number;
  /** Set while the kind is being stopped: nothing new activates. */
  stopping: boolean;
  /** The stop under way (a cluster's redeploy seen meanwhile waits for it, then adds the kind afresh). */
  stopped?: Promise<unknown>;
}

/** An operation agent kinds do not have (yet): typed, with what to do instead (decision 1980). */
export class KindUnsupportedError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('agent.kind-unsupported', message, { kind: 'failed-precondition', hint });
  }
}

/** A cluster: how long mail for an instance of a kind not (yet) known here waits for the kind's record, and how often it looks again (decision 2060). */
const KIND_RECORD_GRACE_MS = 10_000;
const KIND_RECORD_RETRY_MS = 250;

export class AgentKinds {
  private readonly kinds = new Map<string, Kind>();
  /** A cluster: instances with mail whose kind's record this node has not seen yet, since when (decision 2060). */
  private readonly unknownKindSince = new Map<string, number>();
  /** Instances in memory per shard (activating, running or passivating): the bound's count. */
  private readonly perShard: number[];
  private readonly limitPerShard: number;
  /** A cluster: each kind's watch changes (adopt, removed) in the order they came (see `inOrder`). */
  private readonly watchChains = new Map<string, Promise<void>>();
  /** Instances with mail that found their shard full: activated as slots free (their mail is durable). */
  private readonly waiting = new ActivationWaits();
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  /** Retries of activations that failed for a passing reason (cleared on close). */
  private readonly retries = new Set<NodeJS.Timeout>();
  /** When passivated instances' timers fall due: one JS timer for all of them, armed at the soonest. */
  private readonly wakes: TimerWakes;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakesStarted = false;
  /** The walk of the instance timer table in progress (one at a time per node: decision 2060). */
  private walking: Promise<void> | undefined;
  /** Partitions (and kinds) that arrived during that walk: folded into one next walk. */
  private nextWalk:
    | {
        matchers: Array<(name: string) => boolean>;
        kinds: Set<string>;
        partitions: Set<number> | undefined;
        done: Promise<number>;
        resolve: (added: number) => void;
      }
    | undefined;
  private refilling = false;
  /** When the wake index was last rebuilt from the registry (rebuilds are spaced, never back to back). */
  private lastRefill = -Infinity;
  /** Due wakes found no slot: a drop tries them again (coalesced into one firing). */
  private wakesDeferred = false;
  /** Wakes added while a rebuild read the registry (its snapshot may miss them): added again after it. */
  private addedDuringRefill: DueEntry[] | undefined;
  /** A cluster's placement of instances (decision 2060), given by the residency once it exists. */
  private placed: AgentKindsOptions['placed'];
  /** Rollouts by key (decision 2175). */
  readonly rollouts: KindRollouts;

  constructor(private readonly o: AgentKindsOptions) {
    this.placed = o.placed;
    if (o.placed?.partitionOf !== undefined) this.waiting.indexBy(o.placed.partitionOf);
    const shards = Math.max(1, o.host.shardCount ?? 1);
    this.perShard = new Array<number>(shards).fill(0);
    this.limitPerShard = o.maxActivePerShard ?? Math.max(1, Math.floor(KIND_LIMITS.maxActiveInstances / shards));
    this.now = o.now ?? Date.now;
    this.wakes = new TimerWakes(o.maxTimerWakes ?? KIND_LIMITS.maxTimerWakes);
    // The kill switch holds a kind by its name, but the dispatcher parks its instances by theirs:
    // a resume or thaw of the kind must wake each of them, or they stay parked for ever.
    this.unsubscribe = o.onHoldChange?.(() => this.wakeUnheld()) ?? (() => {});
    this.rollouts = new KindRollouts({
      store: o.store,
      events: o.events,
      held: o.held,
      // A cluster: the node consuming the kind's own partition ends the bake; one node: this one.
      judgesHere: (kind) => this.placed?.isHere(kind) ?? true,
      // A cluster's nodes bake from the recorded start, so their bakes end together; one node from its own start.
      bakeFromRecord: () => this.placed !== undefined,
      tooFewGraceMs: () => (this.placed !== undefined ? KIND_ROLLOUT_TOO_FEW_GRACE_MS : 0),
      applied: (record) => this.applied(record),
      now: this.now,
    });
  }

  private wakeUnheld(): void {
    if (this.closed) return;
    for (const kind of this.kinds.values()) {
      if (this.o.held(kind.record.name)) continue;
      // A snapshot: a wake may hand work at once, and `touch` re-inserts the instance into the map.
      for (const i of [...kind.instances.values()]) if (i.state === 'running' && !this.o.held(i.name)) this.o.messaging.wake(i.name);
    }
  }

  /** A cluster (decision 2060): instances are placed where their mail is consumed (see `AgentKindsOptions.placed`). */
  placeBy(placed: NonNullable<AgentKindsOptions['placed']>): void {
    this.placed = placed;
    if (placed.partitionOf !== undefined) this.waiting.indexBy(placed.partitionOf);
  }

  /** The idle period a kind deployed without `--idle` gets. */
  get defaultIdleMs(): number {
    return this.o.defaultIdleMs ?? KIND_LIMITS.defaultIdleMs;
  }

  get activationLimit(): number {
    return this.limitPerShard;
  }

  isKind(name: string): boolean {
    return this.kinds.has(name);
  }

  record(kind: string): AgentRecord | undefined {
    return this.kinds.get(kind)?.record;
  }

  /** A kind record read from the registry at start-up, or just deployed (and stored already). */
  add(record: AgentRecord): void {
    // A cluster: the deploy's own watch event may have added it first (with instances since): kept.
    const existing = this.kinds.get(record.name);
    if (existing !== undefined && !existing.stopping) {
      if (record.version >= existing.record.version) {
        existing.record = record;
        this.rollouts.follow(record);
      }
      return;
    }
    this.kinds.set(record.name, { record, instances: new Map(), passivated: 0, activations: 0, failed: 0, evicted: 0, stopping: false });
    this.rollouts.follow(record);
    // Its instances' names route from now on (decision 2123).
    this.o.host.routing?.changed();
    this.armSweep();
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
    const stopping = this.stopKind(kind, name, force, deleteRecord);
    kind.stopped = stopping.catch(() => {});
    return stopping;
  }

  private async stopKind(kind: Kind, name: string, force: boolean, deleteRecord: boolean): Promise<AgentStatus> {
    kind.stopping = true;
    this.rollouts.forget(name);
    for (const i of [...kind.instances.values()]) {
      // An activation under way ends first: otherwise it would leave a sandbox running that no one tracks.
      // (Not one held by the kill switch: it returns on its own once released, seeing its kind gone.)
      if (i.starting !== undefined && !this.o.held(name)) await i.starting;
      i.state = 'passivating';
      if (!force) await this.o.messaging.idle(i.name);
      try {
        await this.o.host.stop(i.name, force);
      } catch (err) {
        agentLog(this.o.events, name, 'warn', `instance ${i.name} did not stop cleanly (${(err as Error).message}); dropped anyway`);
        await this.o.host.stop(i.name, true).catch(() => {});
      }
      for (const d of this.o.messaging.forget(i.name)) {
        await this.o.messaging.deadLetter({
          delivery: d,
          reason: `kind ${name} was stopped before instance ${i.name} handled it`,
          attempts: 0,
          at: this.now(),
        });
      }
      this.drop(kind, i);
      await this.o.onDropped(i.name, true).catch(() => {});
    }
    for (const w of [...this.waiting]) {
      if (parseInstanceName(w)?.kind !== name) continue;
      this.waiting.delete(w);
      for (const d of this.o.messaging.forget(w)) {
        await this.o.messaging.deadLetter({
          delivery: d,
          reason: `kind ${name} was stopped before instance ${w} was activated`,
          attempts: 0,
          at: this.now(),
        });
      }
    }
    // Passivated instances' timers are deleted with them: a kind deployed later under the same name must not get them.
    const mine = (n: string): boolean => n.startsWith(`${name}/`);
    this.wakes.removeWhere(mine);
    if (deleteRecord) {
      const timers = this.o.timers;
      const deleted = timers?.deleteKind !== undefined ? timers.deleteKind(name) : timers?.deleteWhere?.(mine);
      await deleted?.catch((err: unknown) =>
        agentLog(this.o.events, name, 'warn', `timers of passivated instances not deleted: ${(err as Error).message}`),
      );
      await this.o.store?.deleteAgent(name);
    }
    const status = { ...this.status(name)!, state: 'stopped' as const };
    if (this.kinds.get(name) === kind) this.kinds.delete(name);
    agentLog(this.o.events, name, 'info', force ? 'kind stopped (forced)' : 'kind stopped');
    return status;
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
    if (parsed === undefined) return this.kinds.has(name) ? 'unknown' : undefined; // a kind takes no mail itself
    const kind = this.kinds.get(parsed.kind);
    if (kind === undefined || kind.stopping) return 'unknown';
    const instance = kind.instances.get(name);
    if (instance !== undefined) {
      this.touch(kind, instance);
      return 'agent';
    }
    if (this.waiting.has(name)) return 'agent'; // its mail waits for a slot already: one more joins it
    // A cluster: the node consuming the instance's partition activates it when its mail arrives there.
    if (this.placed !== undefined) return 'agent';
    const reserved = this.reserve(kind, name, parsed.key);
    if (reserved === 'evicting') {
      // At the kind's cap, an idle instance is being passivated for it: its mail waits for that slot.
      this.waiting.add(name);
      return 'agent';
    }
    return reserved !== undefined ? 'agent' : 'activation-limit';
  }

  /** The bus appended nothing for `name` after routing it (the send was refused later, or its append failed): a reservation is given back. */
  unrouted(name: string): void {
    const slash = name.indexOf('/');
    if (slash <= 0) return;
    const kind = this.kinds.get(name.slice(0, slash));
    const instance = kind?.instances.get(name);
    if (instance?.state === 'reserved' && this.o.messaging.mailboxDepth(name) === 0) this.drop(kind!, instance);
    else if (instance === undefined && this.o.messaging.mailboxDepth(name) === 0) this.waiting.delete(name); // it waited for a cap slot with no mail
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
    const kind = this.kinds.get(parsed.kind);
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
    if (this.closed) return; // a stopping node starts nothing: the mail stays in the log for the next start
    let parsed;
    try {
      parsed = parseInstanceName(name);
    } catch {
      return;
    }
    if (parsed === undefined) return;
    if (this.placed !== undefined && !this.placed.isHere(name)) {
      // A cluster: its partition moved (a retry or a wait for the kind's record outlived it). Its
      // mail is the next owner's; activated here it would hold a slot and never run (`mayRun`).
      this.unknownKindSince.delete(name);
      return;
    }
    const kind = this.kinds.get(parsed.kind);
    if (kind === undefined) {
      // A cluster: the kind may be deployed through another node a moment ago, its record not yet
      // seen here though its mail is (the registry's watch and Kafka race). The mail waits, durable,
      // for a grace period before it counts as mail for no kind (decision 2060).
      if (this.placed !== undefined && this.awaitKind(name)) return;
      // Mail for an instance of no kind (replayed after its kind was stopped): it would sit in a
      // mailbox for ever; it is dead-lettered, with why. (A stopping kind dead-letters its own.)
      if (!this.closed) void this.deadLetterAll(name, `kind ${parsed.kind} is not deployed: instance ${name} cannot take it`);
      return;
    }
    this.unknownKindSince.delete(name);
    if (kind.stopping) return;
    const instance = kind.instances.get(name);
    if (instance !== undefined) {
      this.touch(kind, instance);
      if (instance.state === 'reserved') this.begin(kind, instance);
      return;
    }
    if (this.waiting.has(name)) {
      this.capWaits(name); // it waits for a slot already (its mail with it): more mail joins it, within the cap
      return;
    }
    const reserved = this.reserve(kind, name, parsed.key, false, mayEvict);
    if (typeof reserved === 'object') this.begin(kind, reserved);
    else {
      this.waiting.add(name); // activated as a slot of its shard, or of its kind, frees
      this.capWaits(name);
    }
  }

  /**
   * A cluster: the deliveries waiting for activations on `name`'s partition stay within the cap
   * (`placed.activationWaitCap`), and one instance's within its share of it
   * (`activationWaitsPerKey`). Past either, only `name`'s newest deliveries — the ones that put it
   * over — are dead-lettered `bus.activation-limit` and their senders told to retry, as a send past
   * the shard's bound is refused on one node; mail that waited already, other senders' included,
   * keeps waiting. Checked at every arrival, so what waits on a partition never exceeds the cap:
   * the partition's window keeps room for everything else on it.
   */
  private capWaits(name: string): void {
    const cap = this.placed?.activationWaitCap;
    const refuse = this.o.messaging.refuseNewest;
    if (cap === undefined || refuse === undefined) return;
    const depthOf = (n: string): number => this.o.messaging.mailboxDepth(n);
    const room = this.waiting.room(name, depthOf, cap, activationWaitsPerKey(cap));
    if (room === undefined || depthOf(name) <= room) return;
    if (room === 0) this.waiting.delete(name); // nothing of it may wait: its mail goes
    const retryMs = this.o.retryAfterMs ?? KIND_LIMITS.activationRetryAfterMs;
    const reason = `instance ${name} cannot be activated now: every slot of its shard holds an instance with work in hand, and ${cap} deliveries of its partition (${activationWaitsPerKey(cap)} per instance) may wait for activations on this node; retry after ${retryMs} ms`;
    void refuse.call(this.o.messaging, name, room, reason, 'activation-limit').then(
      () => this.rewait(name),
      (err: unknown) => {
        agentLog(
          this.o.events,
          name.slice(0, name.indexOf('/')),
          'warn',
          `deliveries for ${name} past the activation wait cap were not refused: ${(err as Error).message}`,
        );
        this.rewait(name);
      },
    );
  }

  /**
   * After a refusal: a letter that could not be written put its delivery back in the mailbox (the
   * bus's fenced path); it waits again, and the next arrival or freed slot looks at it again.
   */
  private rewait(name: string): void {
    if (this.closed || this.o.messaging.mailboxDepth(name) === 0 || this.isActive(name)) return;
    this.waiting.add(name);
  }

  /** True while mail for an instance of a kind not known here waits for the kind's record (looked at again shortly). */
  private awaitKind(name: string): boolean {
    const now = this.now();
    const since = this.unknownKindSince.get(name);
    if (since !== undefined && now - since >= KIND_RECORD_GRACE_MS) {
      this.unknownKindSince.delete(name);
      return false;
    }
    if (since === undefined) {
      this.unknownKindSince.set(name, now);
      const retry = (): void => {
        const timer = setTimeout(() => {
          this.retries.delete(timer);
          if (this.closed || !this.unknownKindSince.has(name)) return;
          this.activate(name, true); // known now: activated (and forgotten here); else waits on, or is dead-lettered past the grace
          if (this.unknownKindSince.has(name)) retry();
        }, KIND_RECORD_RETRY_MS);
        timer.unref();
        this.retries.add(timer);
      };
      retry();
    }
    return true;
  }

  private async deadLetterAll(name: string, reason: string): Promise<void> {
    for (const d of this.o.messaging.forget(name)) {
      await this.o.messaging.deadLetter({ delivery: d, reason, attempts: 0, at: this.now() }).catch((err: unknown) => {
        agentLog(this.o.events, name, 'warn', `a delivery for ${name} could not be dead-lettered: ${(err as Error).message}`);
      });
    }
  }

  /** May the dispatcher hand the instance work now? (in memory and running, its kind not held, not in a restart backoff) */
  isRunnable(name: string): boolean {
    const slash = name.indexOf('/');
    const kind = this.kinds.get(name.slice(0, slash));
    const instance = kind?.instances.get(name);
    if (instance === undefined || instance.state !== 'running') return false;
    if (this.placed?.tenureOf !== undefined && this.placed.tenureOf(name) !== instance.tenure) {
      // Its partition left and came back (or left) since it was activated: its sandbox's state may
      // be stale. It runs nothing more and goes; its next activation loads the committed state.
      void this.retire(kind!, instance).catch((err: unknown) =>
        agentLog(this.o.events, kind!.record.name, 'warn', `instance ${name} of an earlier tenure not dropped: ${(err as Error).message}`),
      );
      return false;
    }
    if (this.o.held(kind!.record.name) || this.o.held(name)) return false;
    this.touch(kind!, instance);
    return !((this.o.host.restartDelay?.(name) ?? 0) > 0);
  }

  /**
   * Does this node own the instance `name`, in memory or passivated: its kind deployed here (not
   * being stopped) and, in a cluster, its partition consumed here? Not `isActive`: an idle instance
   * is passivated, not gone, and work it left (an MTP post on a timer) is still this node's
   * (review of outboxfix4, round 2). Side-effect free: activates nothing.
   */
  ownsHere(name: string): boolean {
    const slash = name.indexOf('/');
    if (slash <= 0) return false;
    const kind = this.kinds.get(name.slice(0, slash));
    return kind !== undefined && !kind.stopping && (this.placed === undefined || this.placed.isHere(name));
  }

  /** Is `name` an instance in memory (running here)? */
  isActive(name: string): boolean {
    const slash = name.indexOf('/');
    return slash > 0 && this.kinds.get(name.slice(0, slash))?.instances.has(name) === true;
  }

  /**
   * Takes a slot of the instance's shard (nothing starts yet); undefined when the shard is full, or
   * when the kind is at its own cap with no idle instance to passivate early; `evicting` when the
   * kind is at its cap and an idle instance is being passivated early to make room (the caller waits
   * for it). A timer wake (`forWake`) leaves a share of the shard's slots to mail.
   */
  private reserve(kind: Kind, name: string, key: string, forWake = false, mayEvict = !forWake): Instance | 'evicting' | undefined {
    const shard = shardOf(name, this.perShard.length);
    const limit = forWake ? this.limitPerShard - Math.floor(this.limitPerShard * KIND_LIMITS.wakeHeadroom) : this.limitPerShard;
    if (this.perShard[shard]! >= limit) {
      // A cluster: nothing refused the send (the sending node could not know), and mail left waiting
      // here holds its partition's handed-out deliveries. The shard's least recently used idle
      // instance makes room, so mail waits only while every slot's instance has work in hand.
      if (this.placed !== undefined && mayEvict && !forWake && this.evictIdleOn(shard)) return 'evicting';
      return undefined;
    }
    const room = this.roomUnderCap(kind, mayEvict);
    if (room !== true) return room;
    this.perShard[shard]! += 1;
    this.wakes.remove(name); // in memory: its timers are armed again by its activation
    const instance: Instance = {
      name,
      key,
      shard,
      state: 'reserved',
      lastActive: this.now(),
      version: versionForKey(kind.record, key).version,
    };
    const tenure = this.placed?.tenureOf?.(name);
    if (tenure !== undefined) instance.tenure = tenure;
    kind.instances.set(name, instance);
    return instance;
  }

  /**
   * A kind with its own cap (`maxActive`): is there room for one more instance in memory? Every
   * instance in memory counts — reserved, activating, running, and passivating until it is gone —
   * so the cap holds at every moment. At the cap, the least recently used idle instance (running,
   * empty mailbox) is passivated early (`evicting`: the caller's mail waits for its slot, taken
   * when it drops); with none idle, undefined (the send is refused `activation-limit`, retried by
   * the sender). An early passivation is not cancelled by mail (see `passivate`). The kind's map
   * is kept in least recently used order, so the walk stops at the first idle instance (it passes
   * only instances with mail or not running).
   */
  private roomUnderCap(kind: Kind, mayEvict: boolean): true | 'evicting' | undefined {
    const cap = kind.record.kind?.maxActive;
    if (cap === undefined || kind.instances.size < cap) return true;
    if (!mayEvict) return undefined;
    // The map is in least recently used order (`touch`): the first idle one is the one to go.
    let lru: Instance | undefined;
    for (const i of kind.instances.values()) {
      if (i.state === 'running' && this.o.messaging.mailboxDepth(i.name) === 0) {
        lru = i;
        break;
      }
    }
    if (lru === undefined) return undefined;
    kind.evicted += 1;
    void this.passivate(kind, lru, 'evict').catch((err: unknown) =>
      agentLog(this.o.events, kind.record.name, 'warn', `instance ${lru.name} not passivated: ${(err as Error).message}`),
    );
    return 'evicting';
  }

  /**
   * A cluster at the shard bound: passivates early the shard's least recently used idle instance
   * (running, empty mailbox), of any kind. Each kind's map is in least recently used order, so the
   * walk takes each kind's first idle instance on the shard and compares only those. False when
   * every instance on the shard has work in hand (or is on its way in or out).
   */
  private evictIdleOn(shard: number): boolean {
    let lru: { kind: Kind; instance: Instance } | undefined;
    for (const kind of this.kinds.values()) {
      for (const i of kind.instances.values()) {
        if (i.shard !== shard || i.state !== 'running' || this.o.messaging.mailboxDepth(i.name) > 0) continue;
        if (lru === undefined || i.lastActive < lru.instance.lastActive) lru = { kind, instance: i };
        break;
      }
    }
    if (lru === undefined) return false;
    const { kind, instance } = lru;
    kind.evicted += 1;
    void this.passivate(kind, instance, 'evict').catch((err: unknown) =>
      agentLog(this.o.events, kind.record.name, 'warn', `instance ${instance.name} not passivated: ${(err as Error).message}`),
    );
    return true;
  }

  /** Starts a reserved (or passivating, mail having come) instance in its slot. */
  private begin(kind: Kind, instance: Instance): void {
    instance.state = 'activating';
    kind.activations += 1;
    const starting = this.start(kind, instance).finally(() => {
      if (instance.starting === starting) delete instance.starting;
    });
    instance.starting = starting;
  }

  private async start(kind: Kind, instance: Instance): Promise<void> {
    try {
      if (this.o.held(kind.record.name)) {
        await this.o.untilRunnable(kind.record.name); // init is agent code
        if (kind.instances.get(instance.name) !== instance || kind.stopping) return; // its kind was stopped while held
      }
      const version = versionForKey(kind.record, instance.key);
      instance.version = version.version;
      if (this.placed !== undefined) await this.placed.prepare(version); // (no extra turn on one node)
      await this.o.local.startInstance(
        instanceRecord(version, instance.name, instance.key),
        this.o.messaging.agentId(instance.name),
        instance.shard,
      );
      if (
        kind.instances.get(instance.name) !== instance ||
        kind.stopping ||
        this.kinds.get(kind.record.name) !== kind ||
        instance.state !== 'activating'
      ) {
        // Dropped while it started (its kind stopped), or being dropped (its partition left, `leave`):
        // the sandbox must not run on, untracked, nor take work.
        await this.o.host.stop(instance.name, true).catch(() => {});
        return;
      }
      instance.state = 'running';
      this.touch(kind, instance);
      this.o.onResidency?.(instance.name, 'activated');
      this.o.messaging.wake(instance.name);
      // Upgraded (or its key moved by a rollout) while it started: it moves to the version of its key now.
      if (instance.version !== versionForKey(kind.record, instance.key).version)
        void this.passivate(kind, instance, 'swap').catch(() => {});
    } catch (err) {
      const rollout = kind.record.rollout;
      if (!this.closed && rollout !== undefined && instance.version === rollout.candidate.version) {
        // A rollout's new version that cannot start (its init failed) is the rollout's failure, not
        // the key's (decision 2175): the rollout is rolled back, and the key's mail and timers wait,
        // durable, to be activated on the version before it.
        await this.o.host.stop(instance.name, true).catch(() => {});
        this.drop(kind, instance);
        const why = `the new version could not be activated for ${instance.name}: ${errorSummary(err).message}`;
        agentLog(this.o.events, kind.record.name, 'warn', `[version ${rollout.candidate.version}] ${why}; its mail waits`);
        this.rollouts.fail(kind.record.name, why);
        this.retryLater(instance.name);
        return;
      }
      if (this.closed || isPassingActivationError(err)) {
        // The node is stopping, or something of the node (not the instance's code) failed for now:
        // its mail stays in the log and in its mailbox, and only the slot is given back. A stopping
        // node replays the mail at its next start; a running one tries the activation again.
        await this.o.host.stop(instance.name, true).catch(() => {});
        this.drop(kind, instance);
        if (!this.closed) {
          agentLog(
            this.o.events,
            kind.record.name,
            'warn',
            `instance ${instance.name} could not be activated now (${errorSummary(err).message}); its mail waits and the activation is retried`,
          );
          this.retryLater(instance.name);
        }
        return;
      }
      kind.failed += 1;
      const why = errorSummary(err);
      agentLog(this.o.events, kind.record.name, 'error', `instance ${instance.name} could not be activated: ${why.message}`);
      // Its mail would otherwise wait for an activation that keeps failing: dead-lettered, with why.
      for (const d of this.o.messaging.forget(instance.name)) {
        await this.o.messaging.deadLetter({
          delivery: d,
          reason: `instance ${instance.name} could not be activated: ${why.message}`,
          attempts: 1,
          at: this.now(),
        });
      }
      await this.o.host.stop(instance.name, true).catch(() => {});
      this.drop(kind, instance);
      await this.o.onDropped(instance.name, false).catch(() => {});
      // Its timers would wake it (after every rebuild of the wake index) into the same failure:
      // they go, as its mail did, with why in its kind's log.
      const del = this.o.timers?.deleteOf;
      if (del !== undefined) {
        await del(instance.name).then(
          () =>
            agentLog(
              this.o.events,
              kind.record.name,
              'warn',
              `instance ${instance.name}: its pending timers were deleted (its activation failed)`,
            ),
          (e: unknown) =>
            agentLog(
              this.o.events,
              kind.record.name,
              'warn',
              `instance ${instance.name}: pending timers not deleted: ${(e as Error).message}`,
            ),
        );
      }
    }
  }

  /** An instance whose activation failed for a passing reason waits, its mail durable, and is tried again. */
  private retryLater(name: string, afterMs = this.o.retryAfterMs ?? KIND_LIMITS.activationRetryAfterMs): void {
    this.waiting.add(name);
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      if (this.closed || !this.waiting.delete(name)) return;
      this.noticeMail(name);
    }, afterMs);
    timer.unref();
    this.retries.add(timer);
  }

  /**
   * Drops an idle instance from memory once its last handling is durable (the bus's `idle` waits
   * for the commit). Mail that arrived meanwhile keeps it (`idle`), unless `swap` (an upgrade,
   * which activates it again at once on the new version) or `evict` (passivated early at its
   * kind's cap: its slot is promised to another key, and mail that came for it meanwhile waits,
   * durable, for a slot of its own — otherwise a sender pinging evicted instances would pass the
   * cap). Its state stays where it is: the state store.
   */
  private async passivate(kind: Kind, instance: Instance, why: 'idle' | 'swap' | 'evict'): Promise<void> {
    if (instance.state !== 'running') return;
    instance.state = 'passivating';
    await this.o.messaging.idle(instance.name);
    if (why === 'idle' && this.o.messaging.mailboxDepth(instance.name) > 0) {
      instance.state = 'running';
      this.o.messaging.wake(instance.name);
      return;
    }
    try {
      await this.o.host.stop(instance.name, false);
    } catch (err) {
      // It did not stop: it stays in memory, running, and takes its mail (a later sweep tries again).
      agentLog(this.o.events, kind.record.name, 'warn', `instance ${instance.name} not passivated: ${(err as Error).message}`);
      instance.state = 'running';
      this.touch(kind, instance);
      this.o.messaging.wake(instance.name);
      return;
    }
    if (kind.instances.get(instance.name) !== instance) return; // its kind was stopped meanwhile
    if (this.o.messaging.mailboxDepth(instance.name) > 0) {
      if (why === 'evict') {
        // Its slot goes to the key it was evicted for; its own mail (durable) waits for the next free one.
        kind.passivated += 1;
        const due = this.o.timers?.nextDue(instance.name);
        this.drop(kind, instance);
        if (due !== undefined) this.addWake(instance.name, due);
        await this.o
          .onDropped(instance.name, false)
          .catch((err: unknown) =>
            agentLog(this.o.events, kind.record.name, 'warn', `instance ${instance.name}: ${(err as Error).message}`),
          );
        this.noticeMail(instance.name);
        return;
      }
      // Mail came while it stopped: start again (on the kind's current version), keeping the slot.
      this.begin(kind, instance);
      return;
    }
    this.o.messaging.forget(instance.name); // empty: the mailbox itself goes
    // A closed breaker keeps nothing worth keeping past the instance; an open one keeps its cool-down.
    if (this.o.messaging.breaker?.(instance.name) === undefined) this.o.messaging.replaced?.(instance.name);
    kind.passivated += 1;
    // Its timers stay in the registry; the node wakes it when the soonest is due (read before onDropped forgets them).
    const due = this.o.timers?.nextDue(instance.name);
    this.drop(kind, instance);
    if (due !== undefined) this.addWake(instance.name, due);
    await this.o
      .onDropped(instance.name, false)
      .catch((err: unknown) => agentLog(this.o.events, kind.record.name, 'warn', `instance ${instance.name}: ${(err as Error).message}`));
  }

  /**
   * An instance the sandbox marked failed (it crashed past its restart budget) would keep its slot
   * and its mail for ever, and many such keys would take every slot from the other kinds. It is
   * dropped, its slot freed, its mail kept (in the log and its mailbox), and it is activated
   * afresh after another idle period: the mail is retried, slowly, never lost.
   */
  private async evictIfFailed(kind: Kind, instance: Instance, idleMs: number): Promise<void> {
    if ((await this.o.host.stats(instance.name))?.state !== 'failed') return;
    if (instance.state !== 'running' || kind.instances.get(instance.name) !== instance || this.closed) return;
    instance.state = 'passivating';
    await this.o.host.stop(instance.name, true).catch(() => {});
    if (kind.instances.get(instance.name) !== instance) return;
    kind.failed += 1;
    agentLog(
      this.o.events,
      kind.record.name,
      'warn',
      `instance ${instance.name} failed (crashed past its restart budget): dropped from memory; its ${this.o.messaging.mailboxDepth(instance.name)} waiting message(s) are kept and retried in ${idleMs} ms`,
    );
    this.drop(kind, instance);
    await this.o.onDropped(instance.name, false).catch(() => {});
    this.retryLater(instance.name, idleMs);
  }

  /** It took work (or was activated): now its kind's most recently used (its map's last entry, see `roomUnderCap`). */
  private touch(kind: Kind, instance: Instance): void {
    instance.lastActive = this.now();
    if (kind.instances.get(instance.name) !== instance) return;
    kind.instances.delete(instance.name);
    kind.instances.set(instance.name, instance);
  }

  /** Forgets an instance and frees its slot; an instance waiting for one is activated in its place. */
  private drop(kind: Kind, instance: Instance): void {
    if (kind.instances.get(instance.name) !== instance) return;
    kind.instances.delete(instance.name);
    this.perShard[instance.shard]! -= 1;
    if (instance.state !== 'reserved') this.o.onResidency?.(instance.name, 'dropped');
    this.activateWaiting(instance.shard, kind.record.name);
    if (this.wakesDeferred) this.fireWakesSoon();
  }

  /**
   * A slot of `shard` and one of `kindName`'s freed: instances waiting on that shard, or of that
   * kind when it has a cap (on any shard), are activated in order. One that still cannot be
   * activated (its kind at its cap) goes back to the end of the set; the walk visits at most as
   * many names as the set held when it began, so it ends (a JS Set visits an entry re-added
   * during iteration), and it stops once neither the shard nor the kind has room.
   */
  private activateWaiting(shard: number, kindName: string): void {
    if (this.waiting.size === 0) return;
    const kind = this.kinds.get(kindName);
    const cap = kind?.record.kind?.maxActive;
    const prefix = `${kindName}/`;
    let visits = this.waiting.size;
    for (const name of this.waiting) {
      if (visits-- <= 0) return;
      const shardFree = this.perShard[shard]! < this.limitPerShard;
      const kindFree = cap !== undefined && !kind!.stopping && kind!.instances.size < cap;
      if (!shardFree && !kindFree) return;
      const at = shardOf(name, this.perShard.length);
      if (!(shardFree && at === shard) && !(kindFree && name.startsWith(prefix))) continue;
      if (this.perShard[at]! >= this.limitPerShard) continue;
      this.waiting.delete(name);
      this.activate(name, false);
    }
  }

  /** Every sweep passivates the instances idle past their kind's period. */
  private armSweep(): void {
    if (this.sweep !== undefined || this.closed) return;
    const every = Math.max(25, Math.min(1_000, Math.floor(this.shortestIdleMs() / 4)));
    this.sweep = setInterval(() => this.passivateIdle(), every);
    this.sweep.unref();
  }

  private shortestIdleMs(): number {
    let min = this.defaultIdleMs;
    for (const k of this.kinds.values()) min = Math.min(min, k.record.kind?.idleMs ?? min);
    return min;
  }

  /** One sweep (also called by tests and the bench through `passivateIdleNow`). */
  private passivateIdle(): void {
    const now = this.now();
    for (const kind of this.kinds.values()) {
      const idleMs = kind.record.kind?.idleMs ?? this.defaultIdleMs;
      for (const i of kind.instances.values()) {
        if (i.state === 'reserved' && now - i.lastActive >= idleMs && this.o.messaging.mailboxDepth(i.name) === 0) {
          // A reservation no mail ever reached (a race the bus could not report): its slot goes back.
          this.drop(kind, i);
          continue;
        }
        // The version its key runs now (a rollout by key keeps some keys on the new one, decision 2175).
        const wanted = versionForKey(kind.record, i.key).version;
        if (i.state === 'running' && i.version !== wanted) {
          void this.passivate(kind, i, 'swap').catch((err: unknown) =>
            agentLog(
              this.o.events,
              kind.record.name,
              'warn',
              `instance ${i.name} not moved to version ${wanted}: ${(err as Error).message}`,
            ),
          );
          continue;
        }
        if (i.state === 'running' && now - i.lastActive >= idleMs && this.o.messaging.mailboxDepth(i.name) > 0) {
          // Mail, yet no work taken for a whole idle period: perhaps failed (a crash loop).
          void this.evictIfFailed(kind, i, idleMs).catch((err: unknown) =>
            agentLog(this.o.events, kind.record.name, 'warn', `instance ${i.name} not checked: ${(err as Error).message}`),
          );
          continue;
        }
        if (i.state === 'running' && now - i.lastActive >= idleMs && this.o.messaging.mailboxDepth(i.name) === 0) {
          void this.passivate(kind, i, 'idle').catch((err: unknown) =>
            agentLog(this.o.events, kind.record.name, 'warn', `instance ${i.name} not passivated: ${(err as Error).message}`),
          );
        }
      }
    }
  }

  /** Counts of every kind's instances (a kind's status). */
  counts(name: string): KindCounts | undefined {
    const kind = this.kinds.get(name);
    if (kind === undefined) return undefined;
    const cap = kind.record.kind?.maxActive;
    return {
      idleMs: kind.record.kind?.idleMs ?? this.defaultIdleMs,
      active: kind.instances.size,
      passivated: kind.passivated,
      activations: kind.activations,
      failed: kind.failed,
      ...(cap !== undefined ? { maxActive: cap, evicted: kind.evicted } : {}),
    };
  }

  /** Instances in memory over all kinds (the bench's `active_concurrent`, a gauge). */
  activeCount(): number {
    let n = 0;
    for (const k of this.kinds.values()) n += k.instances.size;
    return n;
  }

  /** A kind's status: its record and its instances' counts. */
  status(name: string): AgentStatus | undefined {
    const kind = this.kinds.get(name);
    if (kind === undefined) return undefined;
    const r = kind.record;
    return {
      name: r.name,
      state: 'running',
      nodeId: '',
      version: r.version,
      artifactDigest: r.artifactDigest,
      artifactSize: 0,
      limits: r.limits,
      config: r.config,
      restarts: 0,
      fuelUsed: 0,
      memoryPages: 0,
      mailboxDepth: 0,
      messagesHandled: 0,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      ...(r.http !== undefined ? { http: r.http } : {}),
      ...(r.signerKeyId !== undefined ? { signerKeyId: r.signerKeyId } : {}),
      ...(r.language !== undefined ? { language: r.language } : {}),
      ...(r.topics !== undefined ? { topics: r.topics } : {}),
      kind: this.counts(name)!,
      ...(this.rollouts.view(name) !== undefined ? { rollout: this.rollouts.view(name)! } : {}),
    };
  }

  /**
   * One instance: in memory, with the sandbox's figures; passivated (or never activated), as
   * `stopped` with its mailbox depth; in a cluster, one whose partition another node consumes, with
   * `elsewhere` (its partition) and that node (decision 2060). Undefined for a name of no kind.
   */
  async instanceStatus(name: string): Promise<AgentStatus | undefined> {
    const parsed = parseInstanceName(name, 'name');
    if (parsed === undefined) return undefined;
    const kind = this.kinds.get(parsed.kind);
    if (kind === undefined) return undefined;
    const instance = kind.instances.get(name);
    const r = kind.record;
    const placed = this.placed;
    if (instance === undefined && placed !== undefined && !placed.isHere(name) && placed.partitionOf !== undefined) {
      // Another node consumes its partition: not `stopped` (it may be running there), but where it is.
      return {
        name,
        state: 'stopped',
        nodeId: (await placed.ownerOf?.(name)) ?? '',
        version: versionForKey(r, parsed.key).version,
        artifactDigest: versionForKey(r, parsed.key).artifactDigest,
        artifactSize: 0,
        limits: r.limits,
        config: instanceRecord(r, name, parsed.key).config,
        restarts: 0,
        fuelUsed: 0,
        memoryPages: 0,
        mailboxDepth: this.o.messaging.mailboxDepth(name),
        messagesHandled: 0,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        elsewhere: { partition: placed.partitionOf(name) },
      };
    }
    const stats = instance === undefined ? undefined : await this.o.host.stats(name);
    // The version its key runs (a rollout by key gives some keys the new one, decision 2175).
    const keyed = versionForKey(r, parsed.key);
    const state =
      instance === undefined
        ? 'stopped'
        : instance.state === 'running'
          ? stats?.state === 'failed'
            ? 'failed'
            : stats?.state === 'restarting'
              ? 'restarting'
              : 'running'
          : instance.state === 'activating' || instance.state === 'reserved'
            ? 'starting'
            : 'stopping';
    return {
      name,
      state,
      nodeId: '',
      version: instance?.version ?? keyed.version,
      artifactDigest:
        instance !== undefined && instance.version === r.rollout?.candidate.version
          ? r.rollout.candidate.artifactDigest
          : keyed.artifactDigest,
      artifactSize: 0,
      limits: r.limits,
      config: instanceRecord(r, name, parsed.key).config,
      restarts: stats?.restarts ?? 0,
      fuelUsed: stats?.fuelUsed ?? 0,
      memoryPages: stats?.memoryPages ?? 0,
      mailboxDepth: this.o.messaging.mailboxDepth(name),
      messagesHandled: stats?.messagesHandled ?? 0,
      ...(stats?.lastError ? { lastError: stats.lastError } : {}),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /**
   * The node can take what a timer's handling sends (its bus started): passivated instances with
   * pending timers (read from the registry: a restart forgot which) are woken when these fall due.
   */
  async startTimerWakes(): Promise<void> {
    if (this.wakesStarted || this.closed) return;
    const placed = this.placed;
    if (placed !== undefined && this.o.timers?.pending === undefined && this.o.timers?.ofKind !== undefined) {
      // A cluster: the wakes are those of the partitions consumed here, found by a walk of the
      // timer table that the start does not wait for (its cost grows with the table), folded with
      // the walks of the assignments into one at a time.
      this.wakesStarted = true;
      this.armWake();
      void this.arrived((name) => placed.isHere(name), undefined, placed.partitionsHere?.());
      return;
    }
    await this.refillWakes();
    this.wakesStarted = true;
    this.armWake();
  }

  /** Passivated instances the node will wake for a timer (tests, the bench). */
  get timerWakes(): number {
    return this.wakes.size;
  }

  private addWake(name: string, dueAt: number): void {
    const before = this.wakes.nextAt();
    this.addedDuringRefill?.push({ name, dueAt });
    this.wakes.add(name, dueAt);
    if (this.wakes.nextAt() !== before) this.armWake();
  }

  /** Rebuilds the wake index from the registry: every instance of a kind here with a timer, not in memory. */
  private async refillWakes(): Promise<void> {
    const pending = this.o.timers?.pending;
    const ofKind = this.o.timers?.ofKind;
    if (pending === undefined && ofKind === undefined) return;
    this.lastRefill = this.now();
    const added: DueEntry[] = [];
    this.addedDuringRefill = added;
    const wanted = (name: string): boolean => {
      const slash = name.indexOf('/');
      return (
        slash > 0 &&
        this.kinds.has(name.slice(0, slash)) &&
        !this.isActive(name) &&
        !this.waiting.has(name) &&
        (this.placed === undefined || this.placed.isHere(name))
      );
    };
    let entries: DueEntry[];
    let leftOut = Infinity;
    try {
      if (pending !== undefined) entries = await pending(wanted);
      else ({ kept: entries, leftOut } = await this.soonestOfKinds(ofKind!, wanted));
    } finally {
      this.addedDuringRefill = undefined;
    }
    this.wakes.refill(entries, leftOut);
    // An instance passivated while the registry was read is not in that snapshot: its wake is kept.
    for (const e of added) if (!this.isActive(e.name)) this.wakes.add(e.name, e.dueAt);
  }

  /**
   * The wake index's worth of the soonest wakes of every kind, read page by page: at most twice
   * the index's capacity is held at once, and `leftOut` is the earliest due time dropped.
   */
  private async soonestOfKinds(
    ofKind: NonNullable<NonNullable<AgentKindsOptions['timers']>['ofKind']>,
    wanted: (name: string) => boolean,
  ): Promise<{ kept: DueEntry[]; leftOut: number }> {
    const cap = this.wakes.capacity;
    let kept: DueEntry[] = [];
    let leftOut = Infinity;
    const trim = (): void => {
      kept.sort((a, b) => a.dueAt - b.dueAt);
      if (kept.length > cap) leftOut = Math.min(leftOut, kept[cap]!.dueAt);
      kept = kept.slice(0, cap);
    };
    const budget = this.o.maxTimerKeysPerWalk ?? KIND_LIMITS.maxTimerKeysPerWalk;
    let visited = 0;
    walk: for (const kind of [...this.kinds.keys()]) {
      for await (const page of ofKind(kind, KIND_LIMITS.timerPageSize)) {
        if (visited >= budget) {
          // Bounded as an assignment's walk: what was not read wakes with its mail or at the next assignment.
          agentLog(
            this.o.events,
            kind,
            'warn',
            `the rebuild of the wake index stopped at ${budget} registry keys (maxTimerKeysPerWalk): instances of kind ${kind} past those read, and of the kinds after it, were not walked; their timers fire when mail reaches the instance or at the next assignment of their partition`,
          );
          break walk;
        }
        visited += KIND_LIMITS.timerPageSize;
        for (const e of page) if (wanted(e.name)) kept.push(e);
        if (kept.length >= 2 * cap) trim();
      }
    }
    trim();
    return { kept, leftOut };
  }

  /**
   * A cluster (decision 2060): partitions were assigned to this node (`matches` says which names
   * are theirs). The passivated instances of every kind whose mail is there and who have a pending
   * timer get their wake here, read from the registry a page at a time (the index itself is
   * bounded: past it, wakes spill and are re-read when due). Their previous node dropped its wakes
   * when the partitions were revoked there. One walk runs at a time on a node: what arrives during
   * it is folded into one next walk (a rolling restart's rebalances do not stack walks). Resolves
   * with the wakes added by the walk that covered this request.
   */
  arrived(
    matches: (name: string) => boolean,
    kinds: readonly string[] = [...this.kinds.keys()],
    partitions?: readonly number[],
  ): Promise<number> {
    if (this.o.timers?.ofKind === undefined) return Promise.resolve(0);
    let next = this.nextWalk;
    if (next === undefined) {
      let resolve!: (added: number) => void;
      const done = new Promise<number>((r) => (resolve = r));
      next = this.nextWalk = { matchers: [], kinds: new Set(), partitions: new Set(), done, resolve };
    }
    next.matchers.push(matches);
    for (const kind of kinds) next.kinds.add(kind);
    // An arrival that does not name its partitions makes the folded walk read whole kinds' tables.
    if (partitions === undefined) next.partitions = undefined;
    else for (const p of partitions) next.partitions?.add(p);
    if (this.walking === undefined) this.startWalk();
    return next.done;
  }

  private startWalk(): void {
    const next = this.nextWalk;
    this.nextWalk = undefined;
    if (next === undefined || this.closed) {
      this.walking = undefined;
      next?.resolve(0);
      return;
    }
    const { matchers } = next;
    const matches = matchers.length === 1 ? matchers[0]! : (name: string): boolean => matchers.some((m) => m(name));
    this.walking = this.walk(
      matches,
      [...next.kinds],
      next.partitions === undefined ? undefined : [...next.partitions].sort((a, b) => a - b),
    )
      .then(next.resolve, () => next.resolve(0))
      .finally(() => this.startWalk());
  }

  /**
   * One walk: each kind's timer table read a page at a time, within `maxTimerKeysPerWalk` keys
   * (etcd counts the rest of the range at every page: decision 2060). A kind stopped (or replaced)
   * during the walk gets no wake from it. A read that fails is tried again shortly.
   */
  private async walk(matches: (name: string) => boolean, kinds: readonly string[], partitions?: readonly number[]): Promise<number> {
    const ofKind = this.o.timers?.ofKind;
    if (ofKind === undefined) return 0;
    const ofPartition = this.o.timers?.ofPartition;
    if (partitions !== undefined && ofPartition !== undefined && this.o.timers?.indexed?.() === true)
      return this.walkPartitions(matches, kinds, partitions, ofPartition);
    const budget = this.o.maxTimerKeysPerWalk ?? KIND_LIMITS.maxTimerKeysPerWalk;
    const pageSize = KIND_LIMITS.timerPageSize;
    let visited = 0;
    let added = 0;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i]!;
      const k = this.kinds.get(kind);
      if (k === undefined) continue;
      const gone = (): boolean => this.closed || this.kinds.get(kind) !== k || k.stopping;
      let last: string | undefined;
      attempts: for (let attempt = 1; ; attempt++) {
        if (gone()) break;
        try {
          for await (const page of ofKind(kind, pageSize)) {
            if (gone()) break attempts;
            if (visited >= budget) {
              const rest = kinds.slice(i + 1).filter((x) => this.kinds.has(x));
              agentLog(
                this.o.events,
                kind,
                'warn',
                `the walk of pending timers for partitions assigned here stopped at ${budget} registry keys (maxTimerKeysPerWalk): instances of kind ${kind} ${last !== undefined ? `after ${last}` : ''}${rest.length > 0 ? ` and of kinds ${rest.join(', ')}` : ''} were not walked; their timers fire when mail reaches the instance or at the next assignment of their partition`.replace(
                  /\s+/g,
                  ' ',
                ),
              );
              return added;
            }
            visited += pageSize;
            for (const e of page) {
              last = e.name;
              if (!matches(e.name) || this.isActive(e.name) || this.waiting.has(e.name)) continue;
              if (this.placed !== undefined && !this.placed.isHere(e.name)) continue; // moved on again meanwhile
              this.addWake(e.name, e.dueAt);
              added += 1;
            }
          }
          break;
        } catch (err) {
          const retry = attempt < 5;
          agentLog(
            this.o.events,
            kind,
            'warn',
            `pending timers of passivated instances on partitions assigned here could not be read (${(err as Error).message})${retry ? `; tried again in ${KIND_LIMITS.activationRetryAfterMs} ms` : '; they wake with their next mail, or at the next rebuild of the wake index'}`,
          );
          if (!retry) break;
          await new Promise((r) => setTimeout(r, KIND_LIMITS.activationRetryAfterMs).unref());
        }
      }
    }
    return added;
  }

  /**
   * One walk of the wake index (decision 2060, *Wake index*): each kind's wakes on each partition
   * assigned here, soonest first, a page at a time. Reads nothing of other partitions, and etcd
   * counts about a page per read, so no bound on the keys read is needed: every wake is walked.
   * An instance's first wake in due order is its earliest; later ones do not replace it.
   */
  private async walkPartitions(
    matches: (name: string) => boolean,
    kinds: readonly string[],
    partitions: readonly number[],
    ofPartition: NonNullable<NonNullable<AgentKindsOptions['timers']>['ofPartition']>,
  ): Promise<number> {
    let added = 0;
    // A kind stopped (or replaced) during the walk is left, not the walk: the other kinds' wakes still come.
    kindLoop: for (const kind of kinds) {
      const k = this.kinds.get(kind);
      if (k === undefined) continue;
      const gone = (): boolean => this.kinds.get(kind) !== k || k.stopping;
      for (const partition of partitions) {
        for (let attempt = 1; ; attempt++) {
          if (this.closed) return added;
          if (gone()) continue kindLoop;
          try {
            for await (const page of ofPartition(partition, kind, KIND_LIMITS.timerPageSize)) {
              if (this.closed) return added;
              if (gone()) continue kindLoop;
              for (const e of page) {
                if (!matches(e.name) || this.isActive(e.name) || this.waiting.has(e.name)) continue;
                if (this.placed !== undefined && !this.placed.isHere(e.name)) continue; // moved on again meanwhile
                const known = this.wakes.dueOf(e.name);
                if (known !== undefined && known <= e.dueAt) continue;
                this.addWake(e.name, e.dueAt);
                added += 1;
              }
            }
            break;
          } catch (err) {
            const retry = attempt < 5;
            agentLog(
              this.o.events,
              kind,
              'warn',
              `wakes of passivated instances on partition ${partition} could not be read (${(err as Error).message})${retry ? `; tried again in ${KIND_LIMITS.activationRetryAfterMs} ms` : '; they wake with their next mail, or at the next assignment of the partition'}`,
            );
            if (!retry) break;
            await new Promise((r) => setTimeout(r, KIND_LIMITS.activationRetryAfterMs).unref());
          }
        }
      }
    }
    return added;
  }

  private armWake(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (!this.wakesStarted || this.closed) return;
    let at = this.wakes.nextAt();
    if (at === Infinity) return;
    // A spilled index is rebuilt from the registry no sooner than the minimum interval after the last rebuild.
    if (this.wakes.needsRefill(at)) at = Math.max(at, this.lastRefill + KIND_LIMITS.minWakeRefillIntervalMs);
    this.armWakeIn(at - this.now());
  }

  private armWakeIn(ms: number): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => void this.fireWakes(), Math.min(Math.max(0, ms), 2 ** 31 - 1));
    this.wakeTimer.unref();
  }

  /** A slot freed while due wakes wait: they are tried once the current call stack is done (coalesced). */
  private fireWakesSoon(): void {
    this.wakesDeferred = false;
    if (!this.wakesStarted || this.closed || this.refilling) return;
    this.armWakeIn(0);
  }

  /** Wakes the instances whose timer is due, through the same bounded activation as mail (a full shard: they wait for a slot). */
  private async fireWakes(): Promise<void> {
    this.wakeTimer = undefined;
    if (this.closed || this.refilling) return;
    const now = this.now();
    if (this.wakes.needsRefill(now) && now - this.lastRefill >= KIND_LIMITS.minWakeRefillIntervalMs) {
      this.refilling = true;
      try {
        await this.refillWakes();
      } catch (err) {
        for (const k of this.kinds.keys())
          agentLog(
            this.o.events,
            k,
            'warn',
            `pending timers of passivated instances could not be read (${(err as Error).message}); tried again in ${KIND_LIMITS.activationRetryAfterMs} ms`,
          );
        this.refilling = false;
        this.wakeTimer = setTimeout(() => void this.fireWakes(), KIND_LIMITS.activationRetryAfterMs);
        this.wakeTimer.unref();
        return;
      }
      this.refilling = false;
      if (this.closed) return;
    }
    // At most a bounded batch per firing; a wake that finds no slot stays in the index (never in
    // `waiting`, which is unbounded), tried again when a slot frees or after a short backoff.
    const deferred: DueEntry[] = [];
    for (const e of this.wakes.takeDue(now, KIND_LIMITS.maxWakesPerFiring)) if (!this.wakeForTimer(e.name)) deferred.push(e);
    for (const e of deferred) this.wakes.add(e.name, e.dueAt);
    if (deferred.length > 0) {
      this.wakesDeferred = true;
      const next = this.wakes.nextAt();
      let delay = next <= now ? KIND_LIMITS.wakeRetryMs : next - now;
      if (this.wakes.needsRefill(now)) delay = Math.max(delay, this.lastRefill + KIND_LIMITS.minWakeRefillIntervalMs - now);
      this.armWakeIn(delay);
      return;
    }
    this.armWake();
  }

  /**
   * A passivated instance's timer is due: activate it (its activation re-arms its timers, firing
   * the due ones). False when it must wait (no slot for a wake, its kind at its cap, or its kind
   * held: a suspended kind's instances would hold slots running nothing); true when it was
   * activated or needs no wake (in memory already, or its kind is gone).
   */
  private wakeForTimer(name: string): boolean {
    const slash = name.indexOf('/');
    const kind = this.kinds.get(name.slice(0, slash));
    if (kind === undefined || kind.stopping || kind.instances.has(name) || this.waiting.has(name)) return true;
    // A cluster: the instance moved with its partition; its new node wakes it (decision 2060).
    if (this.placed !== undefined && !this.placed.isHere(name)) return true;
    if (this.o.held(kind.record.name)) return false;
    const reserved = this.reserve(kind, name, name.slice(slash + 1), true);
    if (typeof reserved !== 'object') return false;
    this.begin(kind, reserved);
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
    if (this.closed || record.kind === undefined) return;
    const kind = this.kinds.get(record.name);
    if (kind === undefined) {
      this.add(record);
      // Its passivated instances whose partitions this node consumes already wake here for their timers.
      const placed = this.placed;
      if (placed !== undefined && this.wakesStarted)
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
    await Promise.all(moving.map((i) => this.passivate(kind, i, 'swap')));
  }

  /** A record this node wrote (a rollout's start, verdict or abort), applied in the kind's order of changes. */
  private applied(record: AgentRecord): Promise<void> {
    return this.inOrder(record.name, async () => {
      const kind = this.kinds.get(record.name);
      if (kind === undefined || kind.stopping || this.closed) return;
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
      const slash = result.agent.indexOf('/');
      if (slash <= 0) continue;
      const kind = this.kinds.get(result.agent.slice(0, slash));
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
    const kind = slash > 0 ? this.kinds.get(name.slice(0, slash)) : undefined;
    return kind === undefined ? undefined : versionForKey(kind.record, name.slice(slash + 1));
  }

  /** The kind's rollout as this node follows it (or the last one ended here). */
  rolloutView(kind: string): RolloutView | undefined {
    return this.rollouts.view(kind);
  }

  /**
   * A cluster (decision 2060): the kind's record was deleted through another node. Its instances
   * here stop as in `stop` (their mailboxes dead-lettered); the record is gone already.
   */
  removed(name: string): Promise<void> {
    return this.inOrder(name, () => this.removedNow(name));
  }

  private async removedNow(name: string): Promise<void> {
    if (this.closed || !this.kinds.has(name)) return;
    const kind = this.kinds.get(name)!;
    if (kind.stopping) return; // stopped through this node: `stop` does it
    await this.stop(name, false, false);
  }

  /**
   * A cluster (decision 2060): the partitions holding these instances' mail are consumed by another
   * node now. Each one in memory here is dropped at once (forced: its completions would be fenced
   * anyway, and the next node activates it on its committed state), and its mailbox is forgotten,
   * not dead-lettered: the mail is the next node's, in the log. Instances waiting for a slot go too.
   */
  async leave(matches: (name: string) => boolean): Promise<number> {
    // Waiting ones first: a slot freed below would otherwise activate one of them here. So is mail
    // waiting for its kind's record (it is the next owner's too).
    for (const w of [...this.waiting]) {
      if (!matches(w)) continue;
      this.waiting.delete(w);
      this.o.messaging.forget(w);
    }
    for (const w of [...this.unknownKindSince.keys()]) {
      if (!matches(w)) continue;
      this.unknownKindSince.delete(w);
      this.o.messaging.forget(w);
    }
    // Every instance to go is chosen and taken out of service before the first await: a stop takes
    // time, and a partition given back meanwhile (a new tenure) must not keep an instance that still
    // holds the earlier tenure's state in its sandbox (it would commit a stale count over the other
    // node's). Marked `passivating`, none of them takes work (`isRunnable`) while the stops run.
    const leaving: Array<[Kind, Instance]> = [];
    for (const kind of this.kinds.values()) {
      for (const i of kind.instances.values()) {
        if (!matches(i.name)) continue;
        i.state = 'passivating';
        leaving.push([kind, i]);
      }
    }
    this.wakes.removeWhere(matches);
    for (const [kind, i] of leaving) {
      await this.o.host.stop(i.name, true).catch(() => {});
      this.o.messaging.forget(i.name);
      this.drop(kind, i);
      await this.o.onDropped(i.name, false).catch(() => {});
    }
    return leaving.length;
  }

  /**
   * A cluster: an instance activated under an earlier tenure of its partition is dropped (forced);
   * its mail stays if the partition is consumed here now (a fresh activation takes it, on the
   * committed state), and is the next owner's otherwise.
   */
  private async retire(kind: Kind, instance: Instance): Promise<void> {
    if (instance.state !== 'running') return;
    instance.state = 'passivating';
    await this.o.host.stop(instance.name, true).catch(() => {});
    const here = this.placed?.isHere(instance.name) === true;
    if (!here) this.o.messaging.forget(instance.name);
    this.drop(kind, instance);
    await this.o.onDropped(instance.name, false).catch(() => {});
    if (here && this.o.messaging.mailboxDepth(instance.name) > 0) this.noticeMail(instance.name);
  }

  /** The node stops: nothing activates, passivates or is dead-lettered from here on (the log keeps the mail). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.sweep !== undefined) clearInterval(this.sweep);
    this.sweep = undefined;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    this.rollouts.close();
  }

  /** Passivates, now, every instance idle past its kind's period (tests, the bench). */
  passivateIdleNow(): void {
    this.passivateIdle();
  }

  private require(name: string): Kind {
    const kind = this.kinds.get(name);
    if (kind === undefined) throw new NotFoundError('agent', name);
    return kind;
  }
}

/**
 * Did an activation fail for a reason that passes (the node unavailable or shutting down, a pool
 * or shard closed, a state read or a memory reservation failing)? Such mail is not the instance's
 * fault: it must wait, durable, not be dead-lettered as if the instance could never start.
 */
export function isPassingActivationError(err: unknown): boolean {
  if (err instanceof CaxtonError) return err.kind === 'unavailable' || err.kind === 'resource-exhausted';
  return false;
}

/**
 * What one instance starts from: the kind's record under the instance's name (so its state, logs
 * and stats are its own), with its kind and key in its init config. No `kind` (it is no kind) and
 * no `previous` (rollback is the kind's).
 */
export function instanceRecord(kind: AgentRecord, name: string, key: string): AgentRecord {
  const { kind: _kind, previous: _previous, rollout: _rollout, ...rest } = kind;
  return { ...rest, name, config: { ...kind.config, [KIND_CONFIG_KEY]: kind.name, [INSTANCE_CONFIG_KEY]: key } };
}

/** The shard an instance goes to: FNV-1a of its name, so a key always lands on the same shard. */
export function shardOf(name: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
