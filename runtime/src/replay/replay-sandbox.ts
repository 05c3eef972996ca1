/**
 * The sandbox a replay runs a recorded agent's component in (issue 57): one definition for the
 * replayer (caxton replay, upgrade --replay) and caxton test --from-log's re-run. In the caller's
 * thread, with the deployment's limits, config, HTTP policy and topics, and its seed (so ids derive
 * as they did); the node's per-second pacing opened (a replay runs far faster than real time), a
 * crash never making the agent `failed` (each is reported, the next handling gets a fresh
 * instance), and `search-services` answering from the directory given. The clocks a handling reads
 * are not in the log (decision 2174): a handling is given its work's time, moving on as it runs,
 * so a wait on the clock ends as it did.
 */
import { DEPLOYABLE_LIMITS, limitDefinition, type AgentLimitsSpec, type RecordedDeployment } from '@caxton/core';
import { DEFAULT_LIMITS, Sandbox, type AgentLimits, type Engine, type Work, type WorkResult } from '@caxton/sandbox';

/** Per-second quotas are the node's pacing, not the handling's. */
const PACING_LIMITS = ['sendsPerSecond', 'sendBytesPerSecond', 'directoryChangesPerSecond', 'directoryBytesPerSecond'] as const;

/** The deployment's limits as the sandbox takes them, its pacing opened to the ceilings, its fuel at most `maxFuel`. */
export function replayLimits(limits: AgentLimitsSpec | Record<string, unknown> | undefined, maxFuel?: number): Partial<AgentLimits> {
  const out: Partial<AgentLimits> = {};
  const given = (limits ?? {}) as Record<string, unknown>;
  for (const name of DEPLOYABLE_LIMITS) {
    const v = given[name];
    if (typeof v === 'number') (out as Record<string, number>)[name] = v;
  }
  for (const name of PACING_LIMITS) (out as Record<string, number>)[name] = limitDefinition(name).ceiling;
  if (maxFuel !== undefined) {
    out.fuelPerMessage = Math.min(out.fuelPerMessage ?? DEFAULT_LIMITS.fuelPerMessage, maxFuel);
    out.fuelPerInit = Math.min(out.fuelPerInit ?? DEFAULT_LIMITS.fuelPerInit, maxFuel);
  }
  return out;
}

/** A run's outcome in one line: `ok`, `rejected: …`, `crashed (<kind>): …`. */
export function outcomeOf(r: WorkResult): string {
  switch (r.status) {
    case 'ok':
      return 'ok';
    case 'rejected':
      return `rejected: ${r.reason}`;
    case 'crashed':
      return `crashed (${r.kind}): ${r.message}`;
    default:
      return `${r.status}: ${r.reason}`;
  }
}

export class ReplaySandbox {
  private readonly sandbox: Sandbox;
  /** The running handling's work time, and when it began (performance.now()). */
  private at = Date.now();
  private started = performance.now();

  constructor(
    engine: Engine,
    /** The agent's identity as its sandbox knew it (`name@platform`). */
    readonly identity: string,
    servicesByType?: ReadonlyMap<string, readonly { name: string }[]>,
  ) {
    this.sandbox = new Sandbox({ engine, clock: () => this.at + Math.floor(performance.now() - this.started) });
    if (servicesByType !== undefined) {
      const byType: Record<string, { name: string }[]> = {};
      for (const [type, ids] of servicesByType) byType[type] = ids.map((id) => ({ name: id.name }));
      this.sandbox.setDirectory({ version: 1, byType });
    }
  }

  /** Starts `component` under `deployment` on the state `entries` (init runs now). */
  async deploy(
    deployment: RecordedDeployment,
    component: Uint8Array,
    entries: readonly (readonly [string, string])[],
    maxFuel?: number,
  ): Promise<void> {
    await this.sandbox.deploy({
      name: this.identity,
      artifact: component,
      limits: replayLimits(deployment.limits, maxFuel),
      ...(deployment.config !== undefined ? { config: deployment.config } : {}),
      ...(deployment.http !== undefined ? { http: deployment.http } : {}),
      ...(deployment.topics !== undefined ? { topics: deployment.topics } : {}),
      restartPolicy: { maxRestarts: Number.MAX_SAFE_INTEGER, windowMs: 1 },
      state: { entries },
      seed: { name: deployment.name, createdAt: deployment.createdAt },
    });
  }

  /**
   * Runs `work`, its clock starting at `at` (its work's time; undefined: where the last one's was),
   * or — when the log recorded the handling's first clock read (`clockAt`) — at that read.
   */
  run(work: Work, at: number | undefined, clockAt?: number): WorkResult {
    if (at !== undefined) this.at = at;
    this.started = performance.now();
    // The guest's first clock read returns the recorded one, in the sandbox's host (not here: the
    // host reads this clock for more than the guest's reads, an instance's start included).
    return this.sandbox.run(clockAt === undefined ? work : { ...work, clockAt });
  }

  resetState(entries: readonly (readonly [string, string])[]): void {
    this.sandbox.resetState(this.identity, entries);
  }

  undeploy(): void {
    this.sandbox.undeploy(this.identity);
  }
}
