/**
 * Replicas behind one name (decisions 2010, 2093, 2168, 2176): a scale and its preconditions, the
 * count restored at start-up, an upgrade's swap of a scaled agent, and the count a status shows.
 */
import type { AgentStatus, ReplicasView } from '@caxton/core';
import {
  ConflictError,
  NotFoundError,
  ReplicasScaledError,
  ReplicasUnsupportedError,
  isInstanceName,
  statefulVersionWhileScaled,
} from '@caxton/core';
import type { AgentRecord } from '../../storage/records.js';
import { agentLog, type LocalAgent } from '../local-agents.js';
import { refuseDuringRollout, type LifecycleParts } from './lifecycle-parts.js';

export class AgentScaling {
  constructor(private readonly p: LifecycleParts) {}

  /**
   * Run the agent as `replicas` instances of its running version (decision 2010). Only a named
   * agent; not during a rollout. In a cluster the count goes into the agent's registry record and
   * the senders spread over its workers, placed by their own partitions (decisions 2093, 2168).
   */
  async scale(name: string, replicas: number): Promise<AgentStatus> {
    // Cluster (decisions 2093, 2168): the count is written to the registry record, through any node;
    // the senders spread over the workers `X#r<k>`, each run where its partition is consumed — the
    // owner runs no replicas itself. A rollout running here still refuses it.
    if (this.p.residency.recordReplicas !== undefined) {
      if (this.p.local.isRunning(name)) refuseDuringRollout(this.p.rollouts, name);
      return this.p.clusterReplicas.scaleRecorded(name, replicas);
    }
    // In the agent's operation lock (with upgrade, rollback, rollout start, state import and the
    // node's own scale-back): the checks and the version read see no change half done.
    await this.p.replicas.exclusive(name, () => this.p.replicas.scaleNow(this.scalable(name).record, replicas));
    return (await this.p.status(name))!;
  }

  /**
   * Whether recording `n` replicas for `name` writes anything (the one definition `persist` and the
   * settle's audit both use, decision 2101): the agent runs here, its record says another count, and
   * there is a place to keep it (a cluster's registry, or the store kinds use). Otherwise nothing is
   * written, and a settle is not audited.
   */
  writesReplicas(name: string, n: number): boolean {
    const local = this.p.local.get(name);
    if (local === undefined || (local.record.replicas ?? 1) === n) return false;
    return this.p.residency.recordReplicas !== undefined || this.p.o.kindStore !== undefined;
  }

  /**
   * What a scale needs, the operator's and the start-up restore's alike (one definition, review
   * finding 11): a named agent (not a kind or an instance of one), running here, with no rollout
   * in progress. Call it in the agent's operation lock.
   */
  private scalable(name: string): LocalAgent {
    this.refuseKindScale(name);
    const local = this.p.local.get(name);
    if (local === undefined) throw new NotFoundError('agent', name);
    if (local.state !== 'running') {
      throw new ConflictError(`agent ${name} is ${local.state}`, {
        context: { agent: name, state: local.state },
        hint: 'scale it once it is running (caxton agents shows its state)',
      });
    }
    refuseDuringRollout(this.p.rollouts, name);
    return local;
  }

  refuseKindScale(name: string): void {
    if (this.p.kinds.isKind(name) || isInstanceName(name)) {
      throw new ReplicasUnsupportedError(
        name,
        'it is an agent kind (or an instance of one), whose keys are its instances already (decision 1980)',
        'a kind spreads its keys over the shards by itself; scale named agents only',
      );
    }
  }

  /**
   * The count a scale of `name` is compared with to tell up from down: the replicas running here,
   * or (cluster, the agent runs on another node) the count its registry record says — a non-owner
   * runs none, so 3 → 2 there is a scale-down (review finding 5).
   */
  async replicaBaseline(name: string): Promise<number> {
    // Cluster (decisions 2093, 2168): the owner runs none itself either; the recorded count is the baseline everywhere.
    if (this.p.residency.recordReplicas === undefined) return this.p.replicas.count(name);
    return (await this.p.status(name))?.replicas?.replicas ?? 1;
  }

  /** Rollouts and state imports concern one instance: not while the agent runs as several (decision 2010). */
  refuseWhileScaled(name: string, operation: string): void {
    const n = this.p.replicas.count(name);
    if (n > 1) throw new ReplicasScaledError(name, n, operation);
  }

  /**
   * A cluster's workers are stateless (decision 2163): a version that may write durable state
   * cannot replace a scaled agent's there, as it could not be scaled (each worker would write its
   * own copy). One node keeps decision 2010's rule: such a version runs, and a write scales it back
   * to one. The registry's compare-and-swap checks the live count again (placed-records.ts).
   */
  refuseStatefulWhileScaled(name: string, record: AgentRecord): void {
    if (this.p.residency.recordReplicas !== undefined && (record.replicas ?? 1) > 1)
      throw statefulVersionWhileScaled(name, record.replicas!);
  }

  /**
   * An upgrade's or rollback's swap (decision 2176). One node: a scaled agent's other replicas drain
   * first and run the version running after it (AgentReplicas.aroundSwap). A cluster's workers run
   * where their partitions are and follow the record's version by themselves (replica-units.ts).
   */
  async swapScaled(name: string, swap: () => Promise<AgentStatus>): Promise<AgentStatus> {
    if (this.p.replicas.count(name) <= 1) return swap();
    const swapped = await this.p.replicas.aroundSwap(name, swap, () => {
      const local = this.p.local.get(name);
      if (local?.state !== 'running') return { none: `it is ${local?.state ?? 'gone'}` };
      // Replicas run agent code (their init): not while held, as at a start-up (decision 1403).
      if (this.p.o.killSwitch?.isHeld(name) === true) return { none: 'it is held by the kill switch; scale it once released' };
      return { record: local.record };
    });
    // The swap's status was taken with one replica running: the count is back now.
    return (await this.p.status(name)) ?? swapped;
  }

  /**
   * Agents that ran as several replicas run so again (decision 2010), once they run, under the same
   * preconditions as a scale. One that can no longer be scaled (a kind or a cluster now, not
   * running, stateful, past the node's budget, a replica's init failed) runs as one, and its record
   * is rewritten to one as an audited change (peer `replicas`). One held by the kill switch runs as
   * one and keeps its recorded count, which its status shows (`recorded`) until a start restores it
   * or a scale replaces it.
   */
  async restoreReplicas(): Promise<void> {
    for (const name of this.p.local.names()) {
      const recorded = this.p.local.get(name)?.record.replicas ?? 1;
      if (recorded <= 1) continue;
      if (this.p.o.killSwitch?.isHeld(name) ?? false) {
        // Starting replicas runs agent code: not while held. The count stays in the record for the next start.
        agentLog(
          this.p.events,
          name,
          'warn',
          `held by the kill switch at start-up: runs as one replica, not ${recorded}, until the next start or a scale`,
        );
        continue;
      }
      try {
        await this.p.replicas.exclusive(name, () => this.p.replicas.scaleNow(this.scalable(name).record, recorded));
      } catch (err) {
        agentLog(this.p.events, name, 'warn', `not restored as ${recorded} replicas, runs as one: ${(err as Error).message}`);
        // Runs as one; the record is set back to one as an audited change (settleAt: left as it is when the trail cannot record it).
        this.p.replicas.settleAt(name, recorded, `not restored at start-up: ${(err as Error).message}`);
      }
    }
  }

  /**
   * An agent running as several replicas shows how many (decision 2010). What it handled is the
   * local agent's one counter already, every replica counted (decision 2101).
   */
  async withReplicas(status: AgentStatus): Promise<AgentStatus> {
    const running = this.p.replicas.view(status.name);
    // A count in the record that does not run (held at start-up), shown while no change is under way
    // (a scale records its count once it is done), and only for an agent that runs or is held (held
    // at start-up it is `starting`): a stopped or failed one runs nothing, so "1 replica, N recorded"
    // would be wrong about it.
    const recorded = this.p.local.get(status.name)?.record.replicas ?? 1;
    // Cluster (decisions 2093, 2168): the owner runs none itself; the count is what the senders spread over.
    if (this.p.residency.recordReplicas !== undefined) {
      // Through a node that does not run X the count is the record's, as the residency read it.
      const count = this.p.local.get(status.name) !== undefined ? recorded : (status.replicas?.replicas ?? 1);
      if (count <= 1) return status;
      // Each unit where it is placed and whether it runs (decision 2097); the count alone if etcd does
      // not answer, said in X's log so "no unit lines" is not read as "no units" (review finding 4).
      const running = status.state === 'running' || status.state === 'upgrading';
      const units = await this.p.residency
        .replicaUnitViews?.(
          status.name,
          count,
          status.nodeId,
          running,
          this.p.local.isRunning(status.name) ? status.messagesHandled : undefined,
        )
        .catch((err: unknown) => {
          agentLog(
            this.p.events,
            status.name,
            'warn',
            `its replica units are not shown (only the count, ${count}): etcd did not answer the read of where they run: ${(err as Error).message}`,
          );
          return undefined;
        });
      return { ...status, replicas: { replicas: count, draining: 0, ...(units ? { units } : {}) } };
    }
    const live = status.state !== 'stopped' && status.state !== 'stopping' && status.state !== 'failed';
    const differs = live && recorded !== (running?.replicas ?? 1) && !this.p.replicas.busy(status.name);
    if (running === undefined && !differs) return status;
    const replicas: ReplicasView = { ...(running ?? { replicas: 1, draining: 0 }), ...(differs ? { recorded } : {}) };
    return { ...status, replicas };
  }
}
