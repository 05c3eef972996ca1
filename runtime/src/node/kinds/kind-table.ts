/**
 * The table of agent kinds on this node (decision 1980): each kind's record and its instances in
 * memory, the slots of each shard they take, and the instances whose mail waits for a slot. What
 * every step of an instance's life shares; the steps themselves are `KindActivation` (into memory)
 * and `KindDepartures` (out of it), tied together by `AgentKinds`.
 */
import { KIND_LIMITS, priorityClassRank } from '@caxton/core';
import { agentLog } from '../local-agents.js';
import { ActivationWaits } from './activation-waits.js';
import type { AgentKindsOptions, KindPlacement } from './kind-options.js';
import { shardOf, type Instance, type Kind } from './kind-model.js';
import { versionForKey } from './kind-rollouts.js';
import { KindWakes } from './kind-wakes.js';

/** A kind's priority class as a rank (decision 2187); no kind (its record not seen yet) ranks as the default. */
function rankOf(kind: Kind | undefined): number {
  return priorityClassRank(kind?.record.kind?.priorityClass);
}

/** Why an instance leaves memory: idle past its period, moved to another version, or evicted to make room under its kind's cap. */
export type PassivationReason = 'idle' | 'swap' | 'evict';

/** The steps the table starts but does not own (`AgentKinds` gives them). */
export interface KindMoves {
  /** Mail for `name` is here: it is activated, or waits for a slot. */
  activate(name: string, mayEvict: boolean): void;
  passivate(kind: Kind, instance: Instance, why: PassivationReason): Promise<void>;
  /** A passivated instance's timer is due; false when it must wait. */
  wakeForTimer(name: string): boolean;
}

export class KindTable {
  readonly kinds = new Map<string, Kind>();
  /** A cluster: instances with mail whose kind's record this node has not seen yet, since when (decision 2060). */
  readonly unknownKindSince = new Map<string, number>();
  /** Instances in memory per shard (activating, running or passivating): the bound's count. */
  readonly perShard: number[];
  readonly limitPerShard: number;
  /** Instances with mail that found their shard full: activated as slots free (their mail is durable). */
  readonly waiting = new ActivationWaits();
  /** Timer wakes of passivated instances. */
  readonly wakes: KindWakes;
  readonly now: () => number;
  /** A cluster's placement of instances (decision 2060), given by the residency once it exists. */
  placed: KindPlacement | undefined;
  /** The node stops: nothing activates, passivates or is dead-lettered from here on (the log keeps the mail). */
  closed = false;
  private moves: KindMoves | undefined;
  /** Timers of retries (activations that failed for a passing reason, mail waiting for its kind's record), cleared on close. */
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(readonly o: AgentKindsOptions) {
    const shards = Math.max(1, o.host.shardCount ?? 1);
    this.perShard = new Array<number>(shards).fill(0);
    this.limitPerShard = o.maxActivePerShard ?? Math.max(1, Math.floor(KIND_LIMITS.maxActiveInstances / shards));
    this.now = o.now ?? Date.now;
    if (o.placed !== undefined) this.placeBy(o.placed);
    this.wakes = new KindWakes(
      { timers: o.timers, events: o.events, now: this.now, maxTimerWakes: o.maxTimerWakes, maxTimerKeysPerWalk: o.maxTimerKeysPerWalk },
      {
        kindNames: () => [...this.kinds.keys()],
        liveKind: (name) => {
          const kind = this.kinds.get(name);
          return kind === undefined || kind.stopping ? undefined : kind;
        },
        inHand: (name) => this.isActive(name) || this.waiting.has(name),
        isActive: (name) => this.isActive(name),
        placement: () => this.placed,
        wake: (name) => this.step.wakeForTimer(name),
      },
    );
  }

  /** Given once, by `AgentKinds`: the steps the table starts. */
  bind(moves: KindMoves): void {
    this.moves = moves;
  }

  private get step(): KindMoves {
    if (this.moves === undefined) throw new Error('KindTable used before bind()');
    return this.moves;
  }

  /** Mail for `name` is here (or a retry is due): it is activated, or waits for a slot. */
  activate(name: string, mayEvict: boolean): void {
    this.step.activate(name, mayEvict);
  }

  /** The idle period a kind deployed without `--idle` gets. */
  get defaultIdleMs(): number {
    return this.o.defaultIdleMs ?? KIND_LIMITS.defaultIdleMs;
  }

  /** A cluster (decision 2060): instances are placed where their mail is consumed. */
  placeBy(placed: KindPlacement): void {
    this.placed = placed;
    if (placed.partitionOf !== undefined) this.waiting.indexBy(placed.partitionOf);
  }

  /** The kind an instance name belongs to (undefined: no instance name, or no such kind here). */
  kindOf(name: string): Kind | undefined {
    const slash = name.indexOf('/');
    return slash > 0 ? this.kinds.get(name.slice(0, slash)) : undefined;
  }

  /** Runs `fn` after `ms` unless the node closes first. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.retries.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    this.wakes.close();
  }

  /**
   * Takes a slot of the instance's shard (nothing starts yet); undefined when the shard is full, or
   * when the kind is at its own cap with no idle instance to passivate early; `evicting` when the
   * kind is at its cap and an idle instance is being passivated early to make room (the caller waits
   * for it). A timer wake (`forWake`) leaves a share of the shard's slots to mail.
   */
  reserve(kind: Kind, name: string, key: string, forWake = false, mayEvict = !forWake): Instance | 'evicting' | undefined {
    const shard = shardOf(name, this.perShard.length);
    const limit = forWake ? this.limitPerShard - Math.floor(this.limitPerShard * KIND_LIMITS.wakeHeadroom) : this.limitPerShard;
    if (this.perShard[shard]! >= limit) {
      if (!mayEvict || forWake) return undefined;
      // A kind at its own cap would not get in by another's slot: no one makes room for it here.
      const cap = kind.record.kind?.maxActive;
      if (cap !== undefined && kind.instances.size >= cap) return undefined;
      // One node: an idle instance of a lower class gives its slot to a higher class's newcomer
      // (decision 2187); one of the same class does not (the send is refused, and retried).
      // A cluster: nothing refused the send (the sending node could not know), and mail left waiting
      // here holds its partition's handed-out deliveries, so an idle instance of the same class
      // makes room too — a lower class's first — and mail waits only while every slot's instance
      // has work in hand or outranks it.
      return this.evictIdleOn(shard, kind, this.placed !== undefined) ? 'evicting' : undefined;
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
    void this.step
      .passivate(kind, lru, 'evict')
      .catch((err: unknown) =>
        agentLog(this.o.events, kind.record.name, 'warn', `instance ${lru.name} not passivated: ${(err as Error).message}`),
      );
    return 'evicting';
  }

  /**
   * At the shard bound, passivates early an idle instance (running, empty mailbox) of the shard for
   * a newcomer of `kind`: of the lowest class below the newcomer's, or (`sameClass`) of its own,
   * least recently used first. A busy instance is never taken: its handling and its backlog stay
   * where they are. Each kind's map is in least recently used order, so the walk takes each kind's
   * first idle instance on the shard and compares only those. False when none may go.
   */
  private evictIdleOn(shard: number, kind: Kind, sameClass: boolean): boolean {
    const rank = rankOf(kind);
    let best: { kind: Kind; instance: Instance; rank: number } | undefined;
    for (const k of this.kinds.values()) {
      const r = rankOf(k);
      if (k.stopping || r > rank || (r === rank && !sameClass) || (best !== undefined && r > best.rank)) continue;
      for (const i of k.instances.values()) {
        if (i.shard !== shard || i.state !== 'running' || this.o.messaging.mailboxDepth(i.name) > 0) continue;
        if (best === undefined || r < best.rank || i.lastActive < best.instance.lastActive) best = { kind: k, instance: i, rank: r };
        break;
      }
    }
    if (best === undefined) return false;
    const { kind: victim, instance } = best;
    const preempting = best.rank < rank;
    if (!preempting) victim.evicted += 1;
    void this.step
      .passivate(victim, instance, 'evict')
      .then(() => {
        // Counted once it left memory: a stop that failed leaves it running, not preempted.
        if (!preempting || victim.instances.get(instance.name) === instance) return;
        victim.preempted += 1;
        agentLog(
          this.o.events,
          victim.record.name,
          'info',
          `instance ${instance.name} passivated for an instance of kind ${kind.record.name}, of a higher priority class`,
        );
      })
      .catch((err: unknown) =>
        agentLog(this.o.events, victim.record.name, 'warn', `instance ${instance.name} not passivated: ${(err as Error).message}`),
      );
    return true;
  }

  /** It took work (or was activated): now its kind's most recently used (its map's last entry, see `roomUnderCap`). */
  touch(kind: Kind, instance: Instance): void {
    instance.lastActive = this.now();
    if (kind.instances.get(instance.name) !== instance) return;
    kind.instances.delete(instance.name);
    kind.instances.set(instance.name, instance);
  }

  /** Forgets an instance and frees its slot; an instance waiting for one is activated in its place. */
  drop(kind: Kind, instance: Instance): void {
    if (kind.instances.get(instance.name) !== instance) return;
    kind.instances.delete(instance.name);
    this.perShard[instance.shard]! -= 1;
    if (instance.state !== 'reserved') this.o.onResidency?.(instance.name, 'dropped');
    this.activateWaiting(instance.shard, kind.record.name);
    this.wakes.slotFreed();
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
    // The highest class's waiting instances first (decision 2187); one pass when only one class is deployed.
    const ranks = this.ranksDeployed();
    for (const rank of ranks) if (!this.activateWaitingOf(shard, kindName, ranks.length === 1 ? undefined : rank)) return;
  }

  /** One pass of `activateWaiting` over the instances of kinds of class `rank` (undefined: every one); false once there is no room left. */
  private activateWaitingOf(shard: number, kindName: string, rank: number | undefined): boolean {
    const kind = this.kinds.get(kindName);
    const cap = kind?.record.kind?.maxActive;
    const prefix = `${kindName}/`;
    let visits = this.waiting.size;
    for (const name of this.waiting) {
      if (visits-- <= 0) return true;
      const shardFree = this.perShard[shard]! < this.limitPerShard;
      const kindFree = cap !== undefined && !kind!.stopping && kind!.instances.size < cap;
      if (!shardFree && !kindFree) return false;
      if (rank !== undefined && rankOf(this.kindOf(name)) !== rank) continue;
      const at = shardOf(name, this.perShard.length);
      if (!(shardFree && at === shard) && !(kindFree && name.startsWith(prefix))) continue;
      if (this.perShard[at]! >= this.limitPerShard) continue;
      this.waiting.delete(name);
      this.step.activate(name, false);
    }
    return true;
  }

  /** The classes of the kinds deployed here, highest first (an instance of no kind here ranks as the default). */
  private ranksDeployed(): number[] {
    const ranks = new Set<number>([rankOf(undefined)]);
    for (const kind of this.kinds.values()) ranks.add(rankOf(kind));
    return [...ranks].sort((a, b) => b - a);
  }

  /** Is `name` an instance in memory (running here)? */
  isActive(name: string): boolean {
    return this.kindOf(name)?.instances.has(name) === true;
  }
}
