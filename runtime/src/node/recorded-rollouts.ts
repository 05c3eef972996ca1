/**
 * Rollouts recorded in a cluster's registry (decision 2171). The node an operator asks writes the
 * rollout into the agent's record; the node running the agent follows the record here: it starts
 * the rollout (the same `Rollouts` as on one node: split or handover), and ends it when the record
 * no longer holds it (an operator's rollback through another node). The verdicts are this node's:
 * a promotion writes the next record, a rollback removes the rollout from it (`Rollouts.ended`).
 * A node the agent moves to starts the rollout again from the record, its bake from the start.
 */
import { CaxtonError } from '@caxton/core';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { AgentRecord, RolloutRecord } from '../storage/records.js';
import type { AgentHost } from './agent-host.js';
import { agentLog, type AgentLifecycleEvent } from './local-agents.js';
import type { Rollouts } from './rollouts.js';
import type { Instrumentation, RolloutView } from '@caxton/core';

export interface RecordedRolloutsOptions {
  rollouts: Rollouts;
  artifacts: ArtifactStore;
  host: AgentHost;
  events: Instrumentation<AgentLifecycleEvent>;
  /** Removes the recorded rollout started at `startedAt` from the agent's record. */
  end: (name: string, startedAt: number) => Promise<RolloutRecord | undefined>;
}

/**
 * A recorded rollout as a node that does not run the agent shows it: baking since the operator
 * started it, with none of the running node's counts (ask that node for them).
 */
export function recordedRolloutView(r: RolloutRecord): RolloutView {
  return {
    strategy: r.strategy,
    phase: 'baking',
    candidateVersion: r.candidate.version,
    candidateDigest: r.candidate.artifactDigest,
    startedAt: r.startedAt,
    bakeUntil: r.startedAt + r.thresholds.bakeMs,
    thresholds: r.thresholds,
    counts: { handled: 0, crashes: 0, failures: 0 },
  };
}

/**
 * Refusals a rollout's start would meet again on any node (its state, its component, its init,
 * its limits): it is ended in the record, not retried.
 */
function definitive(code: string): boolean {
  return (
    code === 'rollout.stateful-agent' ||
    code === 'rollout.unsupported' ||
    code.startsWith('sandbox.artifact.') ||
    code === 'sandbox.agent.init-failed' ||
    code === 'sandbox.agent.init-timeout' ||
    code === 'sandbox.limits.memory-below-initial'
  );
}

export class RecordedRollouts {
  constructor(private readonly o: RecordedRolloutsOptions) {}

  /** The agent runs here with `record`: its recorded rollout runs here too, or its local one ends. */
  async follow(record: AgentRecord): Promise<void> {
    const name = record.name;
    const recorded = record.rollout;
    if (recorded === undefined) {
      await this.o.rollouts.endedElsewhere(
        name,
        'the rollout left the registry record (ended through another node, or by the node that ran it before)',
      );
      return;
    }
    const version = recorded.candidate.version;
    if (recorded.abort !== undefined) {
      // An operator's rollback through any node: aborted here (audited, then unrecorded), or only unrecorded if it does not run here.
      if (this.o.rollouts.inProgress(name)?.candidateVersion === version) await this.o.rollouts.endedElsewhere(name, recorded.abort.reason);
      else if (this.o.rollouts.busy(name) === undefined) await this.end(name, recorded);
      return;
    }
    if (this.o.rollouts.busy(name) !== undefined) return; // running here (a put of another field)
    const phase = this.o.rollouts.recordedPhase(name, recorded.startedAt);
    if (phase !== undefined) {
      // Ended here, but the record kept it (its removal failed): removed now.
      if (phase !== 'promoted') await this.end(name, recorded);
      return;
    }
    try {
      const bytes = await this.o.artifacts.get(recorded.candidate.artifactDigest);
      await this.o.host.prepare(bytes);
      await this.o.rollouts.start(recorded.candidate, recorded.artifactSize, recorded.strategy, recorded.thresholds, recorded.startedAt);
    } catch (err) {
      const code = err instanceof CaxtonError ? err.code : undefined;
      if (code === undefined || !definitive(code)) {
        // The agent leaving or changing here, the node closing, a store unreachable: the record
        // keeps the rollout for the next activation or change of the record to start.
        if (code !== 'rollout.in-progress')
          agentLog(
            this.o.events,
            name,
            'warn',
            `rollout of version ${version} not started on this node yet (${err instanceof CaxtonError ? err.describe() : (err as Error).message}); it stays recorded`,
          );
        return;
      }
      agentLog(
        this.o.events,
        name,
        'error',
        `rollout of version ${version} could not start on this node, so it is ended: ${err instanceof CaxtonError ? err.describe() : (err as Error).message}`,
      );
      await this.end(name, recorded);
    }
  }

  private async end(name: string, recorded: RolloutRecord): Promise<void> {
    await this.o.end(name, recorded.startedAt).catch((err: unknown) => {
      agentLog(
        this.o.events,
        name,
        'error',
        `rollout of version ${recorded.candidate.version} ended but still recorded: ${(err as Error).message}`,
      );
    });
  }
}
