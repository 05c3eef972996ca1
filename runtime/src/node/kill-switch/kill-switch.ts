/**
 * The kill switch of one node (decision 1403): freeze/thaw for this node or its whole cluster, and
 * suspend/resume of one agent. It owns the in-memory truth the hot paths ask (`isFrozen`, `isHeld`)
 * and turns every change — made here, or by another node through the shared store's watch — into
 * the bus's dispatch flag: frozen, the dispatch loop hands no batch to the sandbox; a suspended
 * agent is not runnable, so its mailbox holds. Nothing is dropped either way: deliveries stay in
 * mailboxes and fired timers in the loop's queue until the thaw or resume. Other holders of work
 * (the outbound HTTP gateway, decision 1710) follow the switch through `onChange`.
 */
import type { FreezeResult, FreezeScope, KillSwitchStatus } from '@caxton/core';
import { UnavailableError } from '@caxton/core';
import { KillSwitchNotKeptError, NotClusteredError } from './errors.js';
import type { SwitchState, SwitchStore } from './switch-store.js';

/** What the kill switch drives on the bus. */
export interface DispatchSwitch {
  /** Resolves once no batch is in flight. */
  freezeDispatch(): Promise<void>;
  thawDispatch(): void;
  /** Let a resumed agent's waiting mail be handed out. */
  wake(agent: string): void;
  /** Resolves once the agent handles nothing. */
  idle(agent: string): Promise<void>;
}

export interface KillSwitchOptions {
  /** This node's own freeze (its data directory); embedded, also the suspended agents. */
  node: SwitchStore;
  /** Cluster: the cluster-wide freeze and the suspended agents (etcd). */
  cluster?: SwitchStore;
  bus: DispatchSwitch;
  /** A line for the node's stderr (a freeze or thaw made by another node, a failed write). */
  say?: (line: string) => void;
  now?: () => number;
}

export class KillSwitch {
  private nodeFrozen = false;
  private clusterFrozen = false;
  private suspended = new Set<string>();
  /** When each suspension started here (an absent queue's TTL counts from then, decision 1990). */
  private readonly suspendedAt = new Map<string, number>();
  private unwatch: (() => void) | undefined;
  private waiters: { ready: () => boolean; resolve: () => void; reject: (err: Error) => void }[] = [];
  private closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly o: KillSwitchOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Reads what was kept (a frozen node restarts frozen) and follows the shared store. Before any agent starts. */
  async start(): Promise<void> {
    const own = await this.o.node.read();
    this.nodeFrozen = own.frozen;
    if (this.o.cluster) {
      this.unwatch = this.o.cluster.watch?.((state) => this.applyShared(state));
      this.applyShared(await this.o.cluster.read());
    } else {
      this.suspended = new Set(own.suspended);
    }
    await this.applyFreeze();
  }

  close(): void {
    this.closed = true;
    this.unwatch?.();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new UnavailableError('the node is shutting down', { hint: 'the agent starts where it runs next' }));
  }

  /**
   * Call `listener` after every change of the freeze or of the suspended set (here or through the
   * shared store), synchronously, right after the in-memory flag changed: a freeze reaches the
   * listener before it is kept or drained. Returns the unsubscribe.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  isFrozen(): boolean {
    return this.nodeFrozen || this.clusterFrozen;
  }

  isSuspended(agent: string): boolean {
    return this.suspended.has(agent);
  }

  /**
   * When `agent`'s suspension started (ms since the epoch); undefined if it is not suspended. A
   * suspension this node did not see start (restored at start-up, or set by another node) counts
   * from when it was first asked about: its messages never expire sooner than their TTL from here.
   */
  suspendedSince(agent: string): number | undefined {
    if (!this.suspended.has(agent)) {
      this.suspendedAt.delete(agent);
      return undefined;
    }
    let at = this.suspendedAt.get(agent);
    if (at === undefined) {
      at = Date.now();
      this.suspendedAt.set(agent, at);
    }
    return at;
  }

  /** No code of `agent` may run now: the node is frozen or the agent suspended. */
  isHeld(agent: string): boolean {
    return this.isFrozen() || this.suspended.has(agent);
  }

  /** Which scope holds the freeze, for errors; undefined when thawed. */
  frozenScope(): FreezeScope | undefined {
    return this.clusterFrozen ? 'cluster' : this.nodeFrozen ? 'node' : undefined;
  }

  status(): KillSwitchStatus {
    return {
      frozen: this.isFrozen(),
      nodeFrozen: this.nodeFrozen,
      clusterFrozen: this.clusterFrozen,
      suspended: [...this.suspended].sort(),
    };
  }

  /** Resolves once `agent` (or, without one, any agent) may run code; rejects when the node shuts down. */
  untilRunnable(agent?: string): Promise<void> {
    const ready = (): boolean => (agent === undefined ? !this.isFrozen() : !this.isHeld(agent));
    if (ready()) return Promise.resolve();
    if (this.closed) return Promise.reject(new UnavailableError('the node is shutting down'));
    return new Promise((resolve, reject) => this.waiters.push({ ready, resolve, reject }));
  }

  /**
   * Freeze: the flag first (the next batch is not handed out), then kept durably, then wait for the
   * batches in flight. A write that fails leaves the node frozen in memory (the safe side) and says so.
   */
  async freeze(scope: FreezeScope): Promise<FreezeResult> {
    const store = this.storeFor(scope);
    const started = this.now();
    if (scope === 'cluster') this.clusterFrozen = true;
    else this.nodeFrozen = true;
    const drained = this.o.bus.freezeDispatch();
    this.changed();
    try {
      await store.setFrozen(true);
    } catch (err) {
      throw new KillSwitchNotKeptError('frozen', scope === 'cluster' ? 'the cluster' : 'this node', err);
    }
    await drained;
    return { scope, status: this.status(), drainedMs: this.now() - started };
  }

  /** Thaw: kept first (a crash must not come back frozen after a thaw was reported), then released. */
  async thaw(scope: FreezeScope): Promise<FreezeResult> {
    await this.storeFor(scope).setFrozen(false);
    if (scope === 'cluster') this.clusterFrozen = false;
    else this.nodeFrozen = false;
    this.changed();
    await this.applyFreeze();
    return { scope, status: this.status(), drainedMs: 0 };
  }

  /** Hold one agent: kept, then its in-flight handling (if any) finishes; nothing of it runs after. */
  async suspend(agent: string): Promise<void> {
    if (!this.suspended.has(agent)) this.suspendedAt.set(agent, Date.now());
    this.suspended.add(agent);
    this.changed();
    try {
      await this.sharedStore().setSuspended(agent, true);
    } catch (err) {
      throw new KillSwitchNotKeptError('suspended', agent, err);
    }
    await this.o.bus.idle(agent);
  }

  async resume(agent: string): Promise<void> {
    await this.sharedStore().setSuspended(agent, false);
    this.suspended.delete(agent);
    this.changed();
    this.released();
    this.o.bus.wake(agent);
  }

  /** An undeployed agent is not held any more: a later deploy of the name starts normally. */
  async forget(agent: string): Promise<void> {
    if (!this.suspended.has(agent)) return;
    await this.sharedStore().setSuspended(agent, false);
    this.suspended.delete(agent);
    this.changed();
  }

  private storeFor(scope: FreezeScope): SwitchStore {
    if (scope === 'node') return this.o.node;
    if (!this.o.cluster) {
      throw new NotClusteredError();
    }
    return this.o.cluster;
  }

  private sharedStore(): SwitchStore {
    return this.o.cluster ?? this.o.node;
  }

  /** Another node changed the shared switch (or start-up read it). */
  private applyShared(state: SwitchState): void {
    const wasFrozen = this.clusterFrozen;
    this.clusterFrozen = state.frozen;
    const before = this.suspended;
    this.suspended = new Set(state.suspended);
    if (wasFrozen !== state.frozen) this.o.say?.(`cluster ${state.frozen ? 'frozen' : 'thawed'} (kill switch in etcd)`);
    this.changed();
    void this.applyFreeze();
    for (const agent of before) if (!this.suspended.has(agent)) this.o.bus.wake(agent);
    this.released();
  }

  private async applyFreeze(): Promise<void> {
    if (this.isFrozen()) {
      await this.o.bus.freezeDispatch();
    } else {
      this.o.bus.thawDispatch();
      this.released();
    }
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.o.say?.(`a kill-switch listener failed: ${(err as Error).message}`);
      }
    }
  }

  private released(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.ready()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
