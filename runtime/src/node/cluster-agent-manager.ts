/**
 * Agents in a cluster. Two halves:
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
 * Every step for one agent runs in order on a per-agent chain, so an activation, an upgrade and a
 * deactivation never interleave. The fencing token of the current activation is what the dispatcher
 * presents before recording a completion (decision 0702).
 */
import type { AgentId, AgentStatus, AgentState, DeploySpec, UpgradeSpec, VerifiedArtifact } from '@caxton/core';
import { AlreadyExistsError, NotFoundError } from '../api/errors.js';
import type { DispatchOwnership } from '../bus/port.js';
import { partitionOwner } from '../bus/kafka/index.js';
import { CaxtonError } from '@caxton/core';
import { ClaimStore } from '../placement/claims.js';
import type { Claim } from '../placement/plan.js';
import type { DeactivateReason, PlacementController } from '../placement/placement-controller.js';
import type { EtcdRegistry } from '../registry/etcd/etcd-registry.js';
import type { AgentRecord } from '../registry/registry-store.js';
import { AgentManager, type AgentManagerOptions, type Local } from './agent-manager.js';
import type { ClusterDeployments } from './cluster-deployments.js';
import { ClusterMailboxes } from './cluster-mailboxes.js';

export interface ClusterAgentManagerOptions extends AgentManagerOptions {
  registry: EtcdRegistry;
  deployments: ClusterDeployments;
  /** The deliveries-topic partition of an agent (placement follows it). */
  partitionOf: (agent: string) => number;
  /** Margin a completion asks of the membership lease (ms), see ClusterOptions.completionWithinMs. */
  completionWithinMs: number;
}

/** Why an agent stopped here, in words for its log. */
const WHY: Record<DeactivateReason, string> = {
  moved: 'placement moved it to another node',
  undeployed: 'it was undeployed',
  'claim-lost': 'this node lost its claim on it',
  'membership-lost': 'this node lost its cluster membership',
  stopped: 'this node is shutting down',
};

export class ClusterAgentManager extends AgentManager {
  readonly mailboxes: ClusterMailboxes;
  private readonly c: ClusterAgentManagerOptions;
  private readonly claims: ClaimStore;
  private placement: PlacementController | undefined;
  /** Fencing token of each activation on this node. */
  private readonly tokens = new Map<string, number>();
  /** Deactivations announced and not yet carried out: reason and the token they end. */
  private readonly leaving = new Map<string, { reason: DeactivateReason; token: number | undefined }>();
  /** `caxton stop --force` asked on this node for an agent it runs: skip the drain. */
  private readonly forced = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Agents to look at again (see isRunnable). */
  private readonly rechecks = new Set<string>();
  private unwatch: (() => void) | undefined;

  constructor(options: ClusterAgentManagerOptions) {
    super(options);
    this.c = options;
    this.claims = new ClaimStore(options.registry);
    this.mailboxes = new ClusterMailboxes({
      bus: options.bus, log: options.log, deployments: options.deployments, partitionOf: options.partitionOf,
      isLocal: (agent) => this.agents.has(agent), onLog: options.onLog,
    });
  }

  /** Start following placement: its activations and deactivations are carried out here. */
  bind(placement: PlacementController): void {
    this.placement = placement;
    placement.on('activate', (agent, token) => this.onActivate(agent, token));
    placement.on('deactivate', (agent, reason) => this.onDeactivate(agent, reason));
    this.unwatch = this.c.registry.watch((e) => {
      if (e.kind === 'agent-put' && this.agents.has(e.agent.name)) void this.serial(e.agent.name, () => this.swap(e.agent.name));
    });
    this.mailboxes.start();
  }

  unbind(): void {
    this.unwatch?.();
    this.mailboxes.stop();
  }

  /** The PlacementController's drain hook: awaited before the claim is handed to another node. */
  drain(agent: string): Promise<void> {
    const leaving = this.leaving.get(agent) ?? { reason: 'stopped' as const, token: this.tokens.get(agent) };
    return this.serial(agent, () => this.tearDown(agent, leaving.reason, leaving.token));
  }

  override ownership(): DispatchOwnership {
    return {
      token: (agent) => (this.agents.get(agent)?.state === 'running' ? this.tokens.get(agent) : undefined),
      isStillOwner: (agent, token, withinMs) => this.placement?.isStillOwner(agent, token, withinMs) ?? false,
      completionWithinMs: this.c.completionWithinMs,
    };
  }

  /**
   * Running here AND still allowed to complete its work: while the membership lease is about to
   * run out (etcd unreachable), handling would only produce completions the fence withholds, and
   * every new message would wake the agent to handle the same one again. It is looked at again
   * shortly: a renewed lease makes it runnable, a lost one deactivates it.
   */
  override isRunnable(name: string): boolean {
    if (!super.isRunnable(name)) return false;
    const token = this.tokens.get(name);
    if (token !== undefined && this.placement?.isStillOwner(name, token, this.c.completionWithinMs)) return true;
    if (!this.rechecks.has(name)) {
      this.rechecks.add(name);
      setTimeout(() => {
        this.rechecks.delete(name);
        this.opts.bus.wake(name);
      }, 250).unref();
    }
    return false;
  }

  override noticeMail(agent: string): void {
    this.mailboxes.notice(agent);
  }

  /** Deployed anywhere in the cluster, or still known here (stopping). */
  override has(name: string): boolean {
    return this.agents.has(name) || this.c.deployments.has(name);
  }

  // --- API side: any node ----------------------------------------------------------------------

  override async deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    this.checkName(spec.name);
    // The mirror may be milliseconds behind another node's deploy of the same name; then the later
    // write wins (etcd has no create-if-absent for agents in the registry interface yet).
    if (this.c.deployments.has(spec.name) || (await this.c.registry.getAgent(spec.name))) throw new AlreadyExistsError('agent', spec.name);
    const limits = this.limits(spec.limits, this.opts.defaults);
    const { digest } = await this.opts.host.prepare(artifact.bytes); // validates before anything is stored
    await this.opts.artifacts.put(artifact.bytes); // etcd first: every node can fetch it once this resolves
    const now = Date.now();
    const record: AgentRecord = { name: spec.name, artifactDigest: digest, limits, config: spec.config, version: 1, createdAt: now, updatedAt: now };
    await this.c.registry.putAgent(record);
    const status = await this.remote(record, 'starting', artifact.bytes.byteLength);
    this.opts.onLog(spec.name, 'info', `deployed version 1 (${digest.slice(0, 12)}) to the cluster; placed on node ${status.nodeId || '(none yet)'}`);
    return status;
  }

  override async upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<{ agent: AgentStatus; previousVersion: number }> {
    const previous = await this.c.registry.getAgent(spec.name);
    if (!previous) throw new NotFoundError('agent', spec.name);
    const limits = this.limits(spec.limits, previous.limits);
    const { digest } = await this.opts.host.prepare(artifact.bytes); // a bad artifact changes nothing
    await this.opts.artifacts.put(artifact.bytes);
    const next: AgentRecord = {
      ...previous, artifactDigest: digest, limits, config: spec.config ?? previous.config, version: previous.version + 1, updatedAt: Date.now(),
    };
    await this.c.registry.putAgent(next);
    this.opts.onLog(spec.name, 'info', `version ${next.version} (${digest.slice(0, 12)}) written to the cluster registry; its node swaps it in`);
    return { agent: await this.remote(next, 'upgrading', artifact.bytes.byteLength), previousVersion: previous.version };
  }

  override async stop(name: string, force: boolean): Promise<AgentStatus> {
    const record = await this.c.registry.getAgent(name);
    if (!record) throw new NotFoundError('agent', name);
    const status = (await this.status(name))!;
    if (force && this.agents.has(name)) this.forced.add(name);
    await this.c.registry.deleteAgent(name);
    // The owner deregisters too, after its drain (the agent may still register while draining).
    await this.c.registry.deregisterDf(this.opts.bus.agentId(name).name).catch(() => {});
    this.opts.onLog(name, 'info', 'undeployed from the cluster; its node drains and stops it');
    return { ...status, state: 'stopping' };
  }

  override async status(name: string): Promise<AgentStatus | undefined> {
    if (this.agents.has(name)) return super.status(name);
    const record = await this.c.registry.getAgent(name);
    return record && this.remote(record);
  }

  override async list(): Promise<AgentStatus[]> {
    const claims = this.claims.claims();
    const nodes = (await this.c.registry.listNodes()).map((n) => n.id);
    const names = new Set([...(await this.c.registry.listAgents()).map((r) => r.name), ...this.agents.keys()]);
    const all = await Promise.all([...names].sort().map(async (name) => {
      if (this.agents.has(name)) return super.status(name);
      const record = await this.c.registry.getAgent(name);
      return record && this.remote(record, undefined, 0, claims, nodes);
    }));
    return all.filter((s): s is AgentStatus => s !== undefined);
  }

  /**
   * An agent running elsewhere, as this node knows it: the registry record and the claim. Live
   * figures (fuel, messages handled, mailbox) are only known to the node running it.
   */
  private async remote(record: AgentRecord, state?: AgentState, artifactSize = 0, claims?: Map<string, Claim>, nodes?: string[]): Promise<AgentStatus> {
    const claim = (claims ?? this.claims.claims()).get(record.name);
    const live = nodes ?? (await this.c.registry.listNodes()).map((n) => n.id);
    return {
      name: record.name,
      state: state ?? (claim ? 'running' : 'starting'),
      nodeId: claim?.node ?? partitionOwner(this.c.partitionOf(record.name), live) ?? '',
      version: record.version,
      artifactDigest: record.artifactDigest,
      artifactSize,
      limits: record.limits,
      config: record.config,
      restarts: 0,
      fuelUsed: 0,
      memoryPages: 0,
      mailboxDepth: this.opts.bus.mailboxDepth(record.name),
      messagesHandled: 0,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  // --- owner side: placement events --------------------------------------------------------------

  protected override identity(name: string): AgentId {
    // FIPA transport addresses of the instance: the node running it (shown to the agent at init).
    return { ...this.opts.bus.agentId(name), addresses: [`caxton://${this.opts.nodeId}`] };
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
    const local: Local = { record, state: 'starting', artifactSize: 0 };
    this.agents.set(agent, local);
    try {
      const bytes = await this.fetchArtifact(agent, token, record.artifactDigest);
      local.artifactSize = bytes.byteLength;
      await this.opts.host.prepare(bytes);
      await this.startInstance(record);
    } catch (err) {
      if (local.state === 'starting') this.fail(local, err);
      return;
    }
    if (local.state !== 'starting') return; // deactivated meanwhile: the queued tear-down stops it
    local.state = 'running';
    this.opts.onLog(agent, 'info', `running on node ${this.opts.nodeId} (version ${record.version}, claim ${token})`);
    this.opts.bus.wake(agent);
  }

  private async tearDown(agent: string, reason: DeactivateReason, token: number | undefined): Promise<void> {
    const local = this.agents.get(agent);
    const force = reason === 'claim-lost' || reason === 'membership-lost' || this.forced.delete(agent);
    if (local) {
      local.state = 'stopping';
      if (!force) await this.opts.bus.idle(agent); // in-flight work completes while the claim is still ours
      await this.opts.host.stop(agent, force).catch((err: unknown) => this.opts.onLog(agent, 'warn', `stopping the instance failed: ${(err as Error).message}`));
      if (this.agents.get(agent) === local) this.agents.delete(agent);
    }
    if (this.tokens.get(agent) === token) this.tokens.delete(agent);
    if (this.leaving.get(agent)?.token === token) this.leaving.delete(agent);
    await this.opts.onStopped?.(agent, reason === 'undeployed').catch((err: unknown) => this.opts.onLog(agent, 'warn', `pending timers not removed: ${(err as Error).message}`));
    if (reason === 'undeployed') {
      await this.mailboxes.undeployed(agent);
      await this.c.registry.deregisterDf(this.opts.bus.agentId(agent).name).catch(() => {});
    }
    if (local) this.opts.onLog(agent, 'info', `stopped on node ${this.opts.nodeId}: ${WHY[reason]}`);
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
    if (!next || next.version <= local.record.version) return;
    const token = this.tokens.get(agent);
    const previous = local.record;
    const wasRunning = local.state === 'running';
    local.state = 'upgrading';
    try {
      const bytes = await this.fetchArtifact(agent, token, next.artifactDigest);
      await this.opts.host.prepare(bytes);
      await this.opts.bus.idle(agent); // the message in hand finishes on the old version
      await this.opts.host.stop(agent, false);
      try {
        await this.startInstance(next);
      } catch (err) {
        if (wasRunning) {
          try {
            await this.startInstance(previous);
          } catch (rollbackError) {
            // Neither version starts: the agent is failed (with why), never shown as running.
            local.record = next;
            this.fail(local, rollbackError);
            this.opts.onLog(agent, 'error', `upgrade to version ${next.version} failed and version ${previous.version} did not start again: the agent is failed`);
            return;
          }
        }
        throw err;
      }
      local.record = next;
      local.artifactSize = bytes.byteLength;
      delete local.lastError;
      this.opts.onLog(agent, 'info', `upgraded to version ${next.version} (${next.artifactDigest.slice(0, 12)}) on node ${this.opts.nodeId}`);
    } catch (err) {
      local.record = next;
      if (!wasRunning) {
        if (local.state === 'upgrading') this.fail(local, err);
        return;
      }
      const rolledBack: AgentRecord = { ...previous, version: next.version + 1, updatedAt: Date.now() };
      local.record = rolledBack;
      local.lastError = { message: (err as Error).message, ...(err instanceof CaxtonError ? { code: err.code } : {}), at: Date.now() };
      this.opts.onLog(agent, 'error', `upgrade to version ${next.version} failed (${err instanceof CaxtonError ? err.describe() : (err as Error).message}); version ${previous.version}'s component keeps running, recorded as version ${rolledBack.version}`);
      await this.c.registry.putAgent(rolledBack).catch((e: unknown) => this.opts.onLog(agent, 'error', `could not record the roll-back: ${(e as Error).message}`));
    } finally {
      if (local.state === 'upgrading') local.state = 'running';
      this.opts.bus.wake(agent);
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
      this.opts.onLog(agent, 'error', `cluster step failed: ${err instanceof CaxtonError ? err.describe() : (err as Error).message}`);
    });
    this.chains.set(agent, next);
    void next.then(() => {
      if (this.chains.get(agent) === next) this.chains.delete(agent);
    });
    return next;
  }
}
