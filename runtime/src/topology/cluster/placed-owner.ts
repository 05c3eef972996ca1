/**
 * The owner side of the cluster residency (decision 0702): the PlacementController activates and
 * deactivates agents on this node. activate(agent, token) → fetch the artifact, prepare, wait for
 * the partition's state, start, run. deactivate → (drain) stop the instance; its mailbox is left to
 * ClusterMailboxes. A registry change of an agent held here → reconcile: drain and swap a new
 * version, leave for an absent queue (decision 1990), or return from one. Every step for one agent
 * runs in order on a per-agent chain, so an activation, an upgrade and a deactivation never
 * interleave; the fencing token of the current activation is what a completion presents.
 */
import type { AgentId } from '@caxton/core';
import { CaxtonError, ConflictError, UnavailableError } from '@caxton/core';
import type { ResidencyContext } from '../../node/agent-residency.js';
import { agentLog, errorSummary, type LocalAgent } from '../../node/local-agents.js';
import type { AgentRecord } from '../../storage/records.js';
import type { ClusterMailboxes } from './mailboxes.js';
import type { PlacedAgentsOptions } from './placed-agents-options.js';
import type { DeactivateReason, PlacementController } from './placement/placement-controller.js';

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

export class PlacedOwner {
  /** The placement this node follows (set by `PlacedAgents.bind`). */
  placement: PlacementController | undefined;
  /** Fencing token of each activation on this node. */
  readonly tokens = new Map<string, number>();
  /** Deactivations announced and not yet carried out: reason and the token they end. */
  readonly leaving = new Map<string, { reason: DeactivateReason; token: number | undefined }>();
  /** `caxton stop --force` asked on this node for an agent it runs: skip the drain. */
  readonly forced = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  /** The agents running on this node: the ones placement activated here. */
  private readonly agents: ResidencyContext['local'];

  constructor(
    private readonly opts: ResidencyContext,
    private readonly c: PlacedAgentsOptions,
    private readonly mailboxes: ClusterMailboxes,
  ) {
    this.agents = opts.local;
  }

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

  onActivate(agent: string, token: number): void {
    this.tokens.set(agent, token);
    void this.serial(agent, () => this.bringUp(agent, token));
  }

  onDeactivate(agent: string, reason: DeactivateReason): void {
    const local = this.agents.get(agent);
    if (local) local.state = 'stopping'; // no new work from now on (the dispatcher asks isRunnable)
    const token = this.tokens.get(agent);
    this.leaving.set(agent, { reason, token });
    // Past the membership deadline another node may own it already: stop at once, no drain. For
    // the other reasons the controller calls drain() next and waits for it.
    if (reason === 'claim-lost' || reason === 'membership-lost') void this.serial(agent, () => this.tearDown(agent, reason, token));
  }

  owns(agent: string, token: number): boolean {
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
    if (!(await this.startHere(local, token, record))) return;
    agentLog(this.opts.events, agent, 'info', `running on node ${this.opts.nodeId} (version ${record.version}, claim ${token})`);
    this.opts.messaging.wake(agent);
    // Scaled (decisions 2091, 2168): the owner's copy takes the count its record holds (its workers
    // are units placed by their own partitions), so its status and next scale agree with the record.
    await this.opts.replicas.follow(record);
    // A recorded rollout runs where the agent runs (decision 2171): started again from the record.
    await this.opts.rollouts.follow((await this.c.registry.getAgent(agent)) ?? record);
  }

  /**
   * Fetch, prepare, wait for the partition's state, start: true once `local` (starting) runs; false
   * when it failed (marked so), or left or was deactivated meanwhile (the queued tear-down runs next).
   */
  private async startHere(local: LocalAgent, token: number, record: AgentRecord): Promise<boolean> {
    const agent = record.name;
    try {
      const bytes = await this.fetchArtifact(agent, token, record.artifactDigest);
      local.artifactSize = bytes.byteLength;
      await this.opts.host.prepare(bytes);
      // The state follows the agent: it starts with the state its previous node committed, so not
      // before this node consumes its partition and has read the state there.
      if (!(await this.awaitState(agent, token))) return false;
      await this.startInstance(record);
    } catch (err) {
      if (local.state === 'starting') this.agents.fail(local, err);
      return false;
    }
    if (local.state !== 'starting') return false;
    local.state = 'running';
    return true;
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

  async tearDown(agent: string, reason: DeactivateReason, token: number | undefined): Promise<void> {
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
  async reconcile(agent: string): Promise<void> {
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
    if (!(await this.startHere(local, token, record))) return;
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
    // Deactivated meanwhile (membership or claim lost, moved): another node may run the agent now,
    // so nothing of it starts here again — the teardown queued behind this stops what runs.
    const stillOurs = (): boolean => token !== undefined && this.owns(agent, token) && !this.leaving.has(agent);
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
      if (!stillOurs()) return;
      await this.opts.host.stop(agent, false);
      // The new version's init subscribes under the new record's allow-list (decision 2050).
      local.record = next;
      try {
        await this.startInstance(next);
      } catch (err) {
        local.record = previous;
        if (wasRunning && stillOurs()) {
          try {
            await this.startInstance(previous);
          } catch (rollbackError) {
            // Neither version starts: the agent is failed (with why), never shown as running.
            local.record = next;
            this.agents.fail(local, rollbackError);
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
        if (local.state === 'upgrading') this.agents.fail(local, err);
        return;
      }
      if (!stillOurs()) return; // its roll-back is not this node's to record any more
      // The allow-list and card are the deployment's, not the artifact's (decision 2050): a narrowing
      // upgrade whose artifact fails to start keeps its narrower list. The ontologies go back with
      // the component (decision 2183): content is checked against what the running version speaks,
      // as when an embedded node's upgrade fails.
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
  async fetchArtifact(agent: string, token: number | undefined, digest: string): Promise<Uint8Array> {
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
  serial(agent: string, step: () => Promise<void>): Promise<void> {
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

/** Held here as stopped with its queue kept (decision 1990): no instance, its mailbox is the queue. */
function isAbsent(local: LocalAgent | undefined): boolean {
  return local !== undefined && local.state === 'stopped' && local.record.absentSince !== undefined;
}
