/**
 * The API side of the cluster residency, on any node: deploy, upgrade, scale, stop and the rollouts
 * recorded in the registry (decision 2171) are registry writes — compare-and-swaps on the live
 * record where another node may have written since — and return once written, with the node
 * placement picks; the agent's owner (PlacedOwner) reacts to the change by itself. Status and list
 * read the registry and the claims for agents running elsewhere. The residency (PlacedAgents) is
 * this API side plus the owner side it brings.
 */
import type { AgentState, AgentStatus } from '@caxton/core';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  RolloutInProgressError,
  formatStrategy,
  statefulComponentAcrossNodes,
  statefulVersionWhileScaled,
} from '@caxton/core';
import { partitionOwner } from '../../log/kafka/index.js';
import type { ResidencyContext } from '../../node/agent-residency.js';
import { agentLog } from '../../node/local-agents.js';
import { recordedRolloutView } from '../../node/rollouts/index.js';
import { deploymentShown, previousShown, withReplicaCount, type AgentRecord, type RolloutRecord } from '../../storage/records.js';
import type { ClaimStore } from './placement/claims.js';
import type { Claim } from './placement/plan.js';
import type { PlacedAgentsOptions } from './placed-agents-options.js';
import type { PlacedOwner } from './placed-owner.js';

/** How often an operator's rollback through another node looks whether the rollout left the record (ms). */
const ROLLOUT_ABORT_POLL_MS = 100;

export abstract class PlacedRecords {
  /** The agents running on this node (their status is live here). */
  protected readonly agents: ResidencyContext['local'];
  /** Placement's claims, read for agents running elsewhere. */
  protected abstract readonly claims: ClaimStore;
  /** The owner side on this node. */
  protected abstract readonly owner: PlacedOwner;

  constructor(
    protected readonly opts: ResidencyContext,
    protected readonly c: PlacedAgentsOptions,
  ) {
    this.agents = opts.local;
  }

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
      return withReplicaCount(current, replicas);
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
      void this.owner.serial(name, async () => {
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
      const token = this.owner.tokens.get(name);
      if (
        live!.rollout?.startedAt !== recordedAt ||
        live!.rollout.abort !== undefined ||
        token === undefined ||
        !this.owner.owns(name, token)
      )
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
    if (this.agents.has(name)) await this.owner.serial(name, () => this.owner.reconcile(name));
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
    if (force && this.agents.has(name)) this.owner.forced.add(name);
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
    if (force && this.agents.has(name)) this.owner.forced.add(name);
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
      ...deploymentShown(record),
      // The recorded count (decisions 2091, 2168): the workers the senders spread over.
      ...((record.replicas ?? 1) > 1 ? { replicas: { replicas: record.replicas!, draining: 0 } } : {}),
      ...previousShown(record),
      ...(record.rollout !== undefined ? { rollout: recordedRolloutView(record.rollout) } : {}),
    };
  }
}

/** An operation on an agent stopped with its queue kept (decision 1990): only a deploy takes it back. */
function stoppedKeepingQueue(name: string): ConflictError {
  return new ConflictError(`agent ${name} is stopped (its queue is kept)`, {
    context: { agent: name, state: 'stopped' },
    hint: `deploy it again (\`caxton deploy ${name} …\`): the deploy takes over its queue`,
  });
}
