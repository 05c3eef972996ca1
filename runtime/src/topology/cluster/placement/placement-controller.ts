/**
 * Runs placement for the local node: joins the cluster, watches nodes, deployments and claims, and
 * turns planPlacement()'s answer into etcd claims and local `activate` / `deactivate` events.
 *
 * Safety (see docs/decisions/0702-placement-fencing.md): an agent is activated only after its claim
 * was created in etcd under this node's live lease, and `isStillOwner` is false as soon as the claim
 * is given up or the membership deadline passes, which is before etcd can expire the lease and let
 * another node claim. Hand-off keeps the claim until the local deactivation (and optional drain) is
 * done, so the next owner can only start after this one stopped.
 */
import { Instrumentation, type CaxtonError } from '@caxton/core';
import type { EtcdRegistry } from '../../../registry/etcd/etcd-registry.js';
import type { EtcdMembership } from '../../../registry/etcd/membership.js';
import type { MirrorChange } from '../../../registry/etcd/mirror.js';
import type { NodeAnnouncement } from '../../../storage/records.js';
import { RegistryError } from '../../../registry/errors.js';
import { ClaimStore } from './claims.js';
import { fencingVerdict, type FencingVerdict } from './fencing.js';
import { planPlacement } from './plan.js';

export type DeactivateReason =
  /** Rendezvous placement now prefers another node (a node joined): handed over. */
  | 'moved'
  /** The agent was undeployed. */
  | 'undeployed'
  /** Our claim disappeared or changed without us releasing it. */
  | 'claim-lost'
  /** The membership lease could not be kept: every agent stops at once. */
  | 'membership-lost'
  /** stop() was called. */
  | 'stopped';

/**
 * What the controller tells its owner (`controller.events`, docs/decisions/1106-instrumentation.md).
 * `activate`/`deactivate` are carried out by the placed agents, whose listener must not throw (a
 * throwing listener is removed); the membership and reconcile events are for logs and metrics.
 */
export type PlacementEvent =
  | { type: 'activate'; agent: string; token: number }
  | { type: 'deactivate'; agent: string; reason: DeactivateReason }
  | { type: 'membership-joined'; membership: EtcdMembership }
  | { type: 'membership-lost'; error: CaxtonError }
  /** An etcd step failed; the controller retries by itself. For logs and metrics. */
  | { type: 'reconcile-failed'; error: CaxtonError };

/** Claims in flight at once when many agents land here (a node joins). */
const CLAIM_CONCURRENCY = 16;

export interface PlacementControllerOptions {
  registry: EtcdRegistry;
  node: NodeAnnouncement;
  /** Membership lease TTL: how long a dead node's agents stay unowned, at most (plus ~1 s). */
  ttlSeconds: number;
  /** Rejoin with a new lease after losing membership. Default true. */
  rejoin?: boolean;
  /**
   * Awaited after `deactivate(agent, 'moved' | 'undeployed' | 'stopped')` and before the claim is
   * released: let in-flight messages finish while this node still passes isStillOwner.
   */
  drain?: (agent: string) => Promise<void>;
  /** Upper bound on one drain. Default 5000 ms. */
  drainTimeoutMs?: number;
  /**
   * What rendezvous hashing places an agent by; default its name. In Kafka mode:
   * `(a) => placementKey(a, partitions)` from log/kafka, so the agent runs where its partition is
   * consumed (decision 0600). All nodes of a cluster must agree on it.
   */
  placementKey?: (agent: string) => string;
  /**
   * Records in the agents section that are no agent to place (decision 2060: kinds, whose keyed
   * instances follow their partitions and have no claim). Read from the registry's mirror.
   */
  isUnplaced?: (agent: string) => boolean;
}

const RELEVANT = ['agents', 'nodes', 'owners'];

export class PlacementController {
  readonly events = new Instrumentation<PlacementEvent>();
  private readonly registry: EtcdRegistry;
  private readonly claims: ClaimStore;
  private readonly active = new Map<string, number>();
  private current: EtcdMembership | undefined;
  private running = false;
  private dirty = false;
  private loop: Promise<void> | undefined;
  private rejoining: Promise<void> | undefined;
  private unwatch: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PlacementControllerOptions) {
    this.registry = opts.registry;
    this.claims = new ClaimStore(opts.registry);
  }

  get membership(): EtcdMembership | undefined {
    return this.current;
  }

  /** Agents active on this node, with their fencing tokens. */
  activeAgents(): Map<string, number> {
    return new Map(this.active);
  }

  /** Joins the cluster and starts placing. Rejects if etcd cannot be reached or the node id is taken. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unwatch = this.registry.watchRaw((changes) => this.onChanges(changes));
    try {
      this.adopt(await this.registry.joinCluster(this.opts.node, this.opts.ttlSeconds));
    } catch (err) {
      this.running = false;
      this.unwatch();
      throw err;
    }
    const every = (this.opts.ttlSeconds * 1000) / 2; // reconcile this often even without a trigger (a safety net)
    this.resyncTimer = setInterval(() => this.schedule(), every);
    this.schedule();
    await this.loop;
  }

  /** Deactivates (and drains) every local agent, then leaves: peers take over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.resyncTimer);
    clearTimeout(this.retryTimer);
    this.unwatch?.();
    await this.loop;
    await this.rejoining;
    for (const agent of [...this.active.keys()].sort()) {
      this.events.emit({ type: 'deactivate', agent, reason: 'stopped' });
      await this.drain(agent);
      this.active.delete(agent);
    }
    await this.current?.leave();
  }

  /**
   * May this node act for `agent` with `token` for the next `withinMs`? Local and synchronous (no
   * etcd round trip), so the bus can ask before completing every message. See fencing.ts.
   */
  isStillOwner(agent: string, token: number, withinMs = 0): boolean {
    return this.fencing(agent, token, withinMs) === 'ok';
  }

  /** The same decision with its reason, for logs. */
  fencing(agent: string, token: number, withinMs = 0): FencingVerdict {
    const m = this.current;
    // Both sides on one reading: remainingMs is measured on the monotonic clock.
    const now = Date.now();
    return fencingVerdict({
      claimToken: this.active.get(agent),
      presentedToken: token,
      validUntil: m?.alive ? now + m.remainingMs : 0,
      now,
      withinMs,
    });
  }

  /** isStillOwner plus an etcd transaction confirming the claim exists under our lease. */
  async confirmOwner(agent: string, token: number): Promise<boolean> {
    const m = this.current;
    if (!m || !this.isStillOwner(agent, token)) return false;
    return this.claims.confirm(agent, token, m.leaseId);
  }

  // --- internals -----------------------------------------------------------------------------

  private adopt(m: EtcdMembership): void {
    this.current = m;
    m.onLost((err) => this.onLost(m, err));
    this.events.emit({ type: 'membership-joined', membership: m });
  }

  private onChanges(changes: readonly MirrorChange[]): void {
    const prefix = this.registry.keys.prefix;
    if (changes.some((c) => RELEVANT.some((s) => c.key.startsWith(`${prefix}${s}/`)))) this.schedule();
  }

  /** Runs reconcile until nothing new happened meanwhile; one run at a time. */
  private schedule(): void {
    if (!this.running) return;
    this.dirty = true;
    if (this.loop) return;
    this.loop = (async () => {
      while (this.dirty && this.running) {
        this.dirty = false;
        try {
          await this.reconcile();
        } catch (err) {
          this.events.emit({ type: 'reconcile-failed', error: asCaxtonError(err) });
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.schedule(), 500);
        }
      }
    })().finally(() => {
      this.loop = undefined;
    });
  }

  private async reconcile(): Promise<void> {
    const m = this.current;
    if (!m?.alive) return;
    const view = {
      self: this.opts.node.id,
      selfLease: m.leaseId,
      liveNodes: this.registry.entries('nodes').map((e) => e.key.slice(this.registry.keys.sectionPrefix('nodes').length)),
      agents: this.registry
        .entries('agents')
        .map((e) => e.key.slice(this.registry.keys.sectionPrefix('agents').length))
        .filter((a) => !(this.opts.isUnplaced?.(a) ?? false)),
      claims: this.claims.claims(),
      active: new Map(this.active),
      ...(this.opts.placementKey ? { keyOf: this.opts.placementKey } : {}),
    };
    const plan = planPlacement(view);
    const deployed = new Set(view.agents);

    for (const agent of plan.deactivate) {
      if (this.active.delete(agent)) this.events.emit({ type: 'deactivate', agent, reason: 'claim-lost' });
    }
    for (const { agent, token } of plan.release) {
      if (this.active.get(agent) === token) {
        // Hand-off: stop and drain while still holding the claim, so the next owner waits for us.
        this.events.emit({ type: 'deactivate', agent, reason: deployed.has(agent) ? 'moved' : 'undeployed' });
        await this.drain(agent);
        this.active.delete(agent);
      }
      await this.claims.release(agent, token);
    }
    for (const { agent, token } of plan.activate) this.activateIfSafe(m, agent, token);

    const queue = [...plan.claim];
    const worker = async (): Promise<void> => {
      for (let agent = queue.shift(); agent !== undefined && this.running && m.alive; agent = queue.shift()) {
        const token = await this.claims.claim(agent, m);
        if (token !== undefined) this.activateIfSafe(m, agent, token);
      }
    };
    await Promise.all(Array.from({ length: Math.min(queue.length, CLAIM_CONCURRENCY) }, worker));
  }

  private activateIfSafe(m: EtcdMembership, agent: string, token: number): void {
    if (this.current !== m || !m.alive || !this.running || m.remainingMs <= 0) return;
    this.active.set(agent, token);
    this.events.emit({ type: 'activate', agent, token });
  }

  private async drain(agent: string): Promise<void> {
    if (!this.opts.drain) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.opts.drain(agent).catch(() => undefined),
      new Promise<void>((r) => (timer = setTimeout(r, this.opts.drainTimeoutMs ?? 5000))),
    ]);
    clearTimeout(timer);
  }

  private onLost(m: EtcdMembership, err: CaxtonError): void {
    if (this.current !== m) return;
    // No drain here: past the deadline, another node may already own these agents.
    for (const agent of [...this.active.keys()].sort()) {
      this.active.delete(agent);
      this.events.emit({ type: 'deactivate', agent, reason: 'membership-lost' });
    }
    this.events.emit({ type: 'membership-lost', error: err });
    if (this.running && this.opts.rejoin !== false) this.rejoin();
  }

  private rejoin(): void {
    if (this.rejoining) return;
    this.rejoining = (async () => {
      let delay = 250;
      while (this.running && !this.current?.alive) {
        try {
          // Waits out our own previous lease: its claims must be gone before we claim again.
          const m = await this.registry.joinCluster(this.opts.node, this.opts.ttlSeconds);
          if (!this.running) {
            await m.leave();
            return;
          }
          this.adopt(m);
          this.schedule();
        } catch (err) {
          this.events.emit({ type: 'reconcile-failed', error: asCaxtonError(err) });
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, this.opts.ttlSeconds * 1000);
        }
      }
    })().finally(() => {
      this.rejoining = undefined;
    });
  }
}

function asCaxtonError(err: unknown): CaxtonError {
  if (err instanceof RegistryError) return err;
  return new RegistryError('registry.etcd-failed', `placement step failed: ${(err as Error)?.message ?? String(err)}`, {
    hint: 'the controller retries by itself; persistent failures need a look at etcd',
    cause: err,
  });
}
