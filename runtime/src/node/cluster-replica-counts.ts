/**
 * A scaled agent's replica count in a cluster (decision 2091), moved out of agent-lifecycle.ts as
 * it was: the count is the CAS field of the agent's etcd record; a scale asked on a node the agent
 * does not run on is checked there and recorded (`scaleElsewhere`); the owner runs what its record
 * says (`followReplicas`), also once the kill switch releases it (`followOnRelease`); upgrades and
 * rollbacks are refused while the record says scaled (`refuseRecordedScaled`). One node (embedded)
 * has no `recordReplicas` on its residency, and none of this applies there.
 */
import type { AgentStatus } from '@caxton/core';
import { parseReplicaCount, ReplicasScaledError, ReplicasStatefulError } from '@caxton/core';
import type { AgentRecord } from '../storage/records.js';
import type { AgentReplicas } from './replicas.js';
import type { AgentResidency } from './agent-residency.js';
import { agentLog, type AgentLifecycleEvent, type LocalAgent, type LocalAgents } from './local-agents.js';
import type { Instrumentation } from '@caxton/core';

export interface ClusterReplicaCountsOptions {
  nodeId: string;
  /** The kill switch as the lifecycle is given it (only what this file reads; its own type, not the lifecycle's: no import cycle). */
  killSwitch?: { isHeld(agent: string): boolean; onChange?(listener: () => void): () => void };
  events: Instrumentation<AgentLifecycleEvent>;
  local: LocalAgents;
  replicas: AgentReplicas;
  residency: AgentResidency;
  /** The lifecycle's checks before a scale (a named agent running here, no rollout): call it in the agent's operation lock. */
  scalable: (name: string) => LocalAgent;
  /** Refuses a kind or an instance of one. */
  refuseKindScale: (name: string) => void;
  /** The agent's status as the lifecycle shows it. */
  status: (name: string) => Promise<AgentStatus | undefined>;
}

export class ClusterReplicaCounts {
  private readonly events: Instrumentation<AgentLifecycleEvent>;
  private readonly local: LocalAgents;
  private readonly replicas: AgentReplicas;
  private readonly residency: AgentResidency;

  constructor(private readonly o: ClusterReplicaCountsOptions) {
    this.events = o.events;
    this.local = o.local;
    this.replicas = o.replicas;
    this.residency = o.residency;
  }

  private scalable(name: string): LocalAgent {
    return this.o.scalable(name);
  }

  private refuseKindScale(name: string): void {
    this.o.refuseKindScale(name);
  }

  private status(name: string): Promise<AgentStatus | undefined> {
    return this.o.status(name);
  }

  /**
   * Cluster (decision 2091, review finding 4): a count the owner could not follow while the kill
   * switch held the agent (a scale-up starts replica inits) is followed once it is released — on a
   * resume or thaw, not only at its next activation. (One node keeps its rule: a resume starts no
   * replicas, decision 2010.) Subscribed once, by the lifecycle's constructor.
   */
  followOnRelease(): void {
    if (this.residency.recordReplicas === undefined) return;
    this.o.killSwitch?.onChange?.(() => {
      for (const name of this.local.names()) {
        const local = this.local.get(name);
        if (local === undefined || local.state !== 'running' || (this.o.killSwitch?.isHeld(name) ?? false) || this.replicas.busy(name))
          continue;
        if ((local.record.replicas ?? 1) === this.replicas.count(name)) continue;
        this.followReplicas(local.record).catch((err: unknown) =>
          agentLog(this.events, name, 'warn', `its recorded count not followed on release: ${(err as Error).message}`),
        );
      }
    });
  }

  /**
   * A scale asked on a cluster node the agent does not run on (decision 2091): the same refusals as
   * on its owner where this node can tell (a kind, an unknown or absent agent, state held — the
   * state is read from the agent's partition as it is now), then the count is written to the
   * registry record. The owner starts or drains the replicas when it sees the write; if it cannot
   * (its budget, a replica's init), it runs what it can and records that count, audited.
   */
  async scaleElsewhere(name: string, replicas: number): Promise<AgentStatus> {
    const n = parseReplicaCount(replicas);
    this.refuseKindScale(name);
    // In the agent's operation lock, as on its owner: an upgrade or rollback asked on this node
    // waits, and the record write below is a compare-and-swap on the live record besides (an
    // undeploy, upgrade or stop through another node is kept; review finding 1).
    await this.replicas.exclusive(name, async () => {
      const record = await this.residency.upgradeBase(name); // unknown: not found; stopped with its queue kept: conflict
      // Workers across nodes are stateless (decision 2163): one whose component may write state is
      // refused here, at the scale, not at its first write as a unit.
      if (n > 1 && this.residency.replicasAcrossNodes === true && record.writesState === true) {
        throw new ReplicasStatefulError(
          name,
          'its component imports durable state writes (caxton:agent/state set or delete), and workers across nodes are stateless: each would write its own copy',
        );
      }
      if (n > 1) await this.replicas.refuseStateful(name, true); // its partition is read here: bounded
      await this.residency.recordReplicas!(name, n);
    });
    return (await this.status(name))!;
  }

  /**
   * The owner side of a scale in a cluster (decision 2091): the agent runs here and its registry
   * record (read now) says `record.replicas`; run that many. One that cannot be (stateful now, past
   * the node's budget, a replica's init failed) runs as many as it can, recorded and audited as at
   * start-up. Held by the kill switch: runs as it is, its count kept for the next activation.
   */
  async followReplicas(record: AgentRecord): Promise<void> {
    const name = record.name;
    const local = this.local.get(name);
    if (local === undefined || local.state !== 'running') return;
    if (local.record.version !== record.version || local.record.createdAt !== record.createdAt) return; // a swap follows
    const recorded = record.replicas ?? 1;
    // The registry's count is the agent's: the local copy takes it, so the scale below records nothing again.
    const mine: AgentRecord = { ...local.record };
    if (recorded > 1) mine.replicas = recorded;
    else delete mine.replicas;
    local.record = mine;
    // Replicas across nodes (decision 2093): the replicas are units placed by their own partitions, not run here.
    if (this.residency.replicasAcrossNodes === true) return;
    if (this.replicas.count(name) === recorded) return;
    // A scale-up starts replicas (their init is agent code): not while held. A scale-down runs no
    // agent code (the removed replicas drain), so it proceeds (review finding 4).
    if (recorded > this.replicas.count(name) && (this.o.killSwitch?.isHeld(name) ?? false)) {
      agentLog(
        this.events,
        name,
        'warn',
        `held by the kill switch: runs as ${this.replicas.count(name)}, not the ${recorded} replicas its record says, until it is released (thaw, resume), its next activation or a scale`,
      );
      return;
    }
    try {
      await this.replicas.exclusive(name, () => this.replicas.scaleNow(this.scalable(name).record, recorded));
    } catch (err) {
      agentLog(this.events, name, 'warn', `not run as ${recorded} replicas on node ${this.o.nodeId}: ${(err as Error).message}`);
      this.replicas.settleAt(name, recorded, `not run as ${recorded} replicas on node ${this.o.nodeId}: ${(err as Error).message}`);
    }
  }

  /**
   * Cluster (decision 2091): scaled on another node, as its registry record says. (One node keeps
   * its rule: a count recorded but not running — held at start-up — does not refuse.)
   */
  refuseRecordedScaled(record: AgentRecord, operation: string): void {
    if (this.residency.recordReplicas !== undefined && (record.replicas ?? 1) > 1)
      throw new ReplicasScaledError(record.name, record.replicas!, operation);
  }
}
