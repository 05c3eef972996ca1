/**
 * Timer wakes of passivated instances (decisions 1980, 2060): a passivated instance keeps its
 * timers in the registry, and the node wakes it when the soonest falls due. The index of wakes is
 * bounded (`TimerWakes`); past it, wakes spill and the index is rebuilt from the registry when due,
 * never back to back. In a cluster the wakes follow the partitions: when partitions are assigned
 * here, their instances' wakes are read by a walk of the timer table (one walk at a time per node,
 * what arrives meanwhile folded into the next).
 */
import { KIND_LIMITS, type Instrumentation } from '@caxton/core';
import { agentLog, type AgentLifecycleEvent } from '../local-agents.js';
import type { KindPlacement, KindTimers } from './kind-options.js';
import { TimerWakes, type DueEntry } from './timer-wakes.js';

/** What the wakes read of the kinds deployed here, and how one instance is woken. */
export interface KindWakesHost {
  kindNames(): string[];
  /** The kind's entry while it is deployed and not stopping: a walk that sees it change leaves the kind. */
  liveKind(kind: string): object | undefined;
  /** In memory, or waiting for a slot with its mail: it needs no wake. */
  inHand(name: string): boolean;
  /** In memory (activating, running or passivating). */
  isActive(name: string): boolean;
  /** A cluster's placement (undefined on one node: every instance is this node's). */
  placement(): KindPlacement | undefined;
  /** Activates an instance whose timer is due; false when it must wait (no slot, its kind held). */
  wake(name: string): boolean;
}

export interface KindWakesOptions {
  timers: KindTimers | undefined;
  events: Instrumentation<AgentLifecycleEvent>;
  now: () => number;
  /** Passivated instances whose next timer the node remembers; default KIND_LIMITS.maxTimerWakes. */
  maxTimerWakes?: number;
  /** Registry keys one walk of the instance timer table may read; default KIND_LIMITS.maxTimerKeysPerWalk. */
  maxTimerKeysPerWalk?: number;
}

export class KindWakes {
  /** When passivated instances' timers fall due: one JS timer for all of them, armed at the soonest. */
  private readonly wakes: TimerWakes;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakesStarted = false;
  private closed = false;
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

  constructor(
    private readonly o: KindWakesOptions,
    private readonly kinds: KindWakesHost,
  ) {
    this.wakes = new TimerWakes(o.maxTimerWakes ?? KIND_LIMITS.maxTimerWakes);
  }

  /** Have the wakes started (`start`)? */
  get started(): boolean {
    return this.wakesStarted;
  }

  /** Passivated instances the node will wake for a timer (tests, the bench). */
  get size(): number {
    return this.wakes.size;
  }

  /** In memory again: its timers are armed by its activation. */
  remove(name: string): void {
    this.wakes.remove(name);
  }

  /** Instances that left this node, or a stopped kind's: their wakes go. */
  removeWhere(matches: (name: string) => boolean): void {
    this.wakes.removeWhere(matches);
  }

  /** A slot freed: wakes that found none are tried again (coalesced). */
  slotFreed(): void {
    if (this.wakesDeferred) this.fireWakesSoon();
  }

  /**
   * The node can take what a timer's handling sends (its bus started): passivated instances with
   * pending timers (read from the registry: a restart forgot which) are woken when these fall due.
   */
  async start(): Promise<void> {
    if (this.wakesStarted || this.closed) return;
    const placed = this.kinds.placement();
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

  /** A passivated instance's soonest timer (read before the node forgot its timers). */
  add(name: string, dueAt: number): void {
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
    this.lastRefill = this.o.now();
    const added: DueEntry[] = [];
    this.addedDuringRefill = added;
    const placed = this.kinds.placement();
    const wanted = (name: string): boolean => {
      const slash = name.indexOf('/');
      return (
        slash > 0 &&
        this.kinds.liveKind(name.slice(0, slash)) !== undefined &&
        !this.kinds.inHand(name) &&
        (placed === undefined || placed.isHere(name))
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
    for (const e of added) if (!this.kinds.isActive(e.name)) this.wakes.add(e.name, e.dueAt);
  }

  /**
   * The wake index's worth of the soonest wakes of every kind, read page by page: at most twice
   * the index's capacity is held at once, and `leftOut` is the earliest due time dropped.
   */
  private async soonestOfKinds(
    ofKind: NonNullable<KindTimers['ofKind']>,
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
    walk: for (const kind of this.kinds.kindNames()) {
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
    kinds: readonly string[] = this.kinds.kindNames(),
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
      const k = this.kinds.liveKind(kind);
      if (k === undefined) continue;
      const gone = (): boolean => this.closed || this.kinds.liveKind(kind) !== k;
      let last: string | undefined;
      attempts: for (let attempt = 1; ; attempt++) {
        if (gone()) break;
        try {
          for await (const page of ofKind(kind, pageSize)) {
            if (gone()) break attempts;
            if (visited >= budget) {
              const rest = kinds.slice(i + 1).filter((x) => this.kinds.liveKind(x) !== undefined);
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
              if (!matches(e.name) || this.kinds.inHand(e.name)) continue;
              if (!(this.kinds.placement()?.isHere(e.name) ?? true)) continue; // moved on again meanwhile
              this.add(e.name, e.dueAt);
              added += 1;
            }
          }
          break;
        } catch (err) {
          const what = 'pending timers of passivated instances on partitions assigned here';
          if (!(await this.readAgain(kind, attempt, err, what, 'they wake with their next mail, or at the next rebuild of the wake index')))
            break;
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
    ofPartition: NonNullable<KindTimers['ofPartition']>,
  ): Promise<number> {
    let added = 0;
    // A kind stopped (or replaced) during the walk is left, not the walk: the other kinds' wakes still come.
    kindLoop: for (const kind of kinds) {
      const k = this.kinds.liveKind(kind);
      if (k === undefined) continue;
      const gone = (): boolean => this.kinds.liveKind(kind) !== k;
      for (const partition of partitions) {
        for (let attempt = 1; ; attempt++) {
          if (this.closed) return added;
          if (gone()) continue kindLoop;
          try {
            for await (const page of ofPartition(partition, kind, KIND_LIMITS.timerPageSize)) {
              if (this.closed) return added;
              if (gone()) continue kindLoop;
              for (const e of page) {
                if (!matches(e.name) || this.kinds.inHand(e.name)) continue;
                if (!(this.kinds.placement()?.isHere(e.name) ?? true)) continue; // moved on again meanwhile
                const known = this.wakes.dueOf(e.name);
                if (known !== undefined && known <= e.dueAt) continue;
                this.add(e.name, e.dueAt);
                added += 1;
              }
            }
            break;
          } catch (err) {
            const what = `wakes of passivated instances on partition ${partition}`;
            if (
              !(await this.readAgain(
                kind,
                attempt,
                err,
                what,
                'they wake with their next mail, or at the next assignment of the partition',
              ))
            )
              break;
          }
        }
      }
    }
    return added;
  }

  /**
   * A walk's read of the timer table failed: said on the kind's log, and true once it may be read
   * again (after a pause; five attempts in all), false when the walk gives the rest up (`otherwise`).
   */
  private async readAgain(kind: string, attempt: number, err: unknown, what: string, otherwise: string): Promise<boolean> {
    const retry = attempt < 5;
    const next = retry ? `tried again in ${KIND_LIMITS.activationRetryAfterMs} ms` : otherwise;
    agentLog(this.o.events, kind, 'warn', `${what} could not be read (${(err as Error).message}); ${next}`);
    if (retry) await new Promise((r) => setTimeout(r, KIND_LIMITS.activationRetryAfterMs).unref());
    return retry;
  }

  private armWake(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (!this.wakesStarted || this.closed) return;
    let at = this.wakes.nextAt();
    if (at === Infinity) return;
    // A spilled index is rebuilt from the registry no sooner than the minimum interval after the last rebuild.
    if (this.wakes.needsRefill(at)) at = Math.max(at, this.lastRefill + KIND_LIMITS.minWakeRefillIntervalMs);
    this.armWakeIn(at - this.o.now());
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
    const now = this.o.now();
    if (this.wakes.needsRefill(now) && now - this.lastRefill >= KIND_LIMITS.minWakeRefillIntervalMs) {
      this.refilling = true;
      try {
        await this.refillWakes();
      } catch (err) {
        for (const k of this.kinds.kindNames())
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
    for (const e of this.wakes.takeDue(now, KIND_LIMITS.maxWakesPerFiring)) if (!this.kinds.wake(e.name)) deferred.push(e);
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

  close(): void {
    this.closed = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }
}
