/**
 * A scaled agent's replica count in a cluster (decisions 2091, 2093, 2168): the count is the CAS
 * field of the agent's etcd record, written through any node (`scaleRecorded`); the senders spread
 * over the workers `X#r<k>`, each placed by its own partition, so the owner runs no replicas itself
 * and only keeps its copy of the record's count (`followReplicas`); rollouts and state imports are
 * refused while the record says scaled (`refuseRecordedScaled`; upgrades and rollbacks run in
 * place, decision 2176). One node (embedded) has no
 * `recordReplicas` on its residency, and none of this applies there.
 */
import type { AgentStatus } from '@caxton/core';
import { parseReplicaCount, ReplicasScaledError, statefulComponentAcrossNodes } from '@caxton/core';
import { withReplicaCount, type AgentRecord } from '../../storage/records.js';
import type { AgentReplicas } from './agent-replicas.js';
import type { AgentResidency } from '../agent-residency.js';
import { agentLog, type AgentLifecycleEvent, type LocalAgents } from '../local-agents.js';
import type { Instrumentation } from '@caxton/core';

export interface ClusterReplicaCountsOptions {
  events: Instrumentation<AgentLifecycleEvent>;
  local: LocalAgents;
  replicas: AgentReplicas;
  residency: AgentResidency;
  /** Refuses a kind or an instance of one. */
  refuseKindScale: (name: string) => void;
  /** The agent's status as the lifecycle shows it. */
  status: (name: string) => Promise<AgentStatus | undefined>;
}

export class ClusterReplicaCounts {
  constructor(private readonly o: ClusterReplicaCountsOptions) {}

  /**
   * A scale through any node of a cluster (decisions 2091, 2168): refused for a kind, an unknown or
   * absent agent, a component that writes state, or state held (read from the agent's partition as
   * it is now, bounded); then the count is written to the registry record. The senders spread over
   * the workers from the moment each node's mirror sees the write; a removed worker's mail already
   * written is still handled by its unit.
   */
  async scaleRecorded(name: string, replicas: number): Promise<AgentStatus> {
    const n = parseReplicaCount(replicas);
    this.o.refuseKindScale(name);
    // In the agent's operation lock, as on its owner: an upgrade or rollback asked on this node
    // waits, and the record write below is a compare-and-swap on the live record besides (an
    // undeploy, upgrade or stop through another node is kept; review finding 1).
    await this.o.replicas.exclusive(name, async () => {
      const record = await this.o.residency.upgradeBase(name); // unknown: not found; stopped with its queue kept: conflict
      // Workers across nodes are stateless (decision 2163): one whose component may write state is
      // refused here, at the scale, not at its first write as a unit.
      if (n > 1 && record.writesState === true) throw statefulComponentAcrossNodes(name);
      if (n > 1) await this.o.replicas.refuseStateful(name, true); // its partition is read here: bounded
      await this.o.residency.recordReplicas!(name, n);
      // The owner's copy takes the count now (its registry watch brings it too, later): the status
      // this call answers with, and the next scale's baseline, say what was recorded.
      const local = this.o.local.get(name);
      if (local !== undefined) local.record = withReplicaCount(local.record, n);
    });
    return (await this.o.status(name))!;
  }

  /**
   * The owner's copy of its registry record's count (decisions 2093, 2168): the workers are units
   * placed by their own partitions, not run here, so only the local record takes the count (its
   * status and a later scale compare with it). A stateful agent scaled before decision 2168 (its
   * replicas then took turns on the owner) cannot run as stateless workers: the senders treat it as
   * one (ClusterDeployments), and its record is set back to one, audited, with why in its log.
   */
  async followReplicas(record: AgentRecord): Promise<void> {
    const name = record.name;
    const local = this.o.local.get(name);
    if (local === undefined || local.state !== 'running') return;
    if (local.record.version !== record.version || local.record.createdAt !== record.createdAt) return; // a swap follows
    const recorded = record.replicas ?? 1;
    local.record = withReplicaCount(local.record, recorded);
    if (recorded > 1 && record.writesState === true) {
      const why = `its component writes durable state and workers across nodes are stateless (decision 2168): it runs as one, not the ${recorded} replicas its record says`;
      agentLog(
        this.o.events,
        name,
        'warn',
        `${why}; its record is set back to one (audited) — deploy it as an agent kind to spread its keys`,
      );
      this.o.replicas.settleAt(name, recorded, why);
    }
  }

  /**
   * Cluster (decision 2091): scaled on another node, as its registry record says — a rollout or a
   * state import is refused then (an upgrade runs in place, decision 2176). (One node keeps
   * its rule: a count recorded but not running — held at start-up — does not refuse.)
   */
  refuseRecordedScaled(record: AgentRecord, operation: string): void {
    if (this.o.residency.recordReplicas !== undefined && (record.replicas ?? 1) > 1)
      throw new ReplicasScaledError(record.name, record.replicas!, operation);
  }
}
