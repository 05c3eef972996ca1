/**
 * Rollouts recorded in a cluster's registry (decision 2171). The node an operator asks writes the
 * rollout into the agent's record; the node running the agent follows the record here: it starts
 * the rollout (the same `Rollouts` as on one node: split or handover), and ends it when the record
 * no longer holds it (an operator's rollback through another node). The verdicts are this node's:
 * a promotion writes the next record, a rollback removes the rollout from it (`Rollouts.ended`).
 * A node the agent moves to starts the rollout again from the record, its bake from the start.
 */
import { CaxtonError } from '@caxton/core';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import type { AgentRecord, RolloutRecord } from '../../storage/records.js';
import type { AgentHost } from '../agent-host.js';
import { agentLog, type AgentLifecycleEvent } from '../local-agents.js';
import type { Rollouts } from './rollouts.js';
import type { Instrumentation, RolloutView } from '@caxton/core';

export interface RecordedRolloutsOptions {
  rollouts: Rollouts;
  artifacts: ArtifactStore;
  host: AgentHost;
  events: Instrumentation<AgentLifecycleEvent>;
  /** Removes the recorded rollout started at `startedAt` from the agent's record. */
  end: (name: string, startedAt: number) => Promise<RolloutRecord | undefined>;
  /**
   * A retry: `follow` the agent's live record again, in the agent's own order of steps on this node
   * (never beside its stop, move or swap); false when it no longer runs here; throws when the record
   * cannot be read.
   */
  refollow: (name: string) => Promise<boolean>;
  /** The wait before the n-th retry (1-based) of a start that failed transiently; default `retryDelayMs`. */
  retryDelayMs?: (attempt: number) => number;
}

/** 1 s, 2 s, 4 s … at most 30 s: a store that is briefly unreachable is retried soon, a long outage not hammered. */
export const retryDelayMs = (attempt: number): number => Math.min(30_000, 1_000 * 2 ** (attempt - 1));

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

/** A recorded rollout whose start here failed transiently, retried while it runs here and the record keeps it. */
interface PendingRetry {
  startedAt: number;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
}

export class RecordedRollouts {
  private readonly retries = new Map<string, PendingRetry>();
  private closed = false;

  constructor(private readonly o: RecordedRolloutsOptions) {}

  /** The node stops: no more retries. */
  close(): void {
    this.closed = true;
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.retries.clear();
  }

  /**
   * The agent runs here with `record`: its recorded rollout runs here too, or its local one ends
   * (`force`: its new instance stopped at once, not once idle — the agent's own forced stop).
   */
  async follow(record: AgentRecord, force = false): Promise<void> {
    const name = record.name;
    const recorded = record.rollout;
    // This follow is the attempt (a retry's, or a newer record's): no other is left waiting.
    const pending = this.retries.get(name);
    clearTimeout(pending?.timer);
    this.retries.delete(name);
    const attempts = pending !== undefined && pending.startedAt === recorded?.startedAt ? pending.attempt : 0;
    if (recorded === undefined) {
      await this.o.rollouts.endedElsewhere(
        name,
        'the rollout left the registry record (ended through another node, or by the node that ran it before)',
        force,
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
      if (code === 'rollout.in-progress') return; // running here already (another follow started it)
      if (code === undefined || !definitive(code)) {
        // The agent leaving or changing here, the node closing, a store unreachable: the record
        // keeps the rollout, and this node tries again while the agent runs here and the record
        // holds it (a newer record's follow, or the next activation, may start it first).
        const wait = this.retryLater(name, recorded.startedAt, attempts + 1);
        agentLog(
          this.o.events,
          name,
          'warn',
          `rollout of version ${version} not started on this node yet (${err instanceof CaxtonError ? err.describe() : (err as Error).message}); it stays recorded${wait === undefined ? '' : `, tried again in ${wait} ms`}`,
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

  /** Schedules the next attempt of the rollout started at `startedAt`; its wait, undefined once closed. */
  private retryLater(name: string, startedAt: number, attempt: number): number | undefined {
    if (this.closed) return undefined;
    const wait = (this.o.retryDelayMs ?? retryDelayMs)(attempt);
    const retry: PendingRetry = { startedAt, attempt, timer: undefined };
    retry.timer = setTimeout(
      () =>
        void this.retry(name, retry).catch((err: unknown) =>
          agentLog(this.o.events, name, 'error', `rollout retry failed: ${(err as Error).message}`),
        ),
      wait,
    );
    retry.timer.unref();
    this.retries.set(name, retry);
    return wait;
  }

  /**
   * A retry falls due: the agent's live record is followed again where its steps run in order (a
   * record that still holds this rollout starts it; one holding another starts that; one holding
   * none ends the local one), unless a follow has run since or the agent no longer runs here.
   */
  private async retry(name: string, retry: PendingRetry): Promise<void> {
    if (this.retries.get(name) !== retry || retry.timer === undefined) return; // superseded by a follow meanwhile
    retry.timer = undefined;
    try {
      const followed = await this.o.refollow(name);
      if (!followed && this.retries.get(name) === retry) this.retries.delete(name); // gone from here
    } catch (err) {
      if (this.retries.get(name) !== retry) return;
      const wait = this.retryLater(name, retry.startedAt, retry.attempt + 1);
      agentLog(
        this.o.events,
        name,
        'warn',
        `rollout not retried yet: reading or following its record failed (${(err as Error).message})${wait === undefined ? '' : `; tried again in ${wait} ms`}`,
      );
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
