/**
 * The in-thread sandbox: many agents in this thread, each in its own instance, run synchronously.
 * Benchmarks and tests use it directly; each worker shard of the ShardPool runs one. It has no
 * wall-clock backstop of its own (a guest stuck outside metered code would block this thread):
 * that is the ShardPool's job.
 */
import { randomUUID } from 'node:crypto';
import type { AgentEnv, AgentMetrics, ItemClock, StartReport } from './agent-sandbox.js';
import type { AgentSpec, RestartCarryOver } from './agent-spec.js';
import { AgentSandbox } from './agent-sandbox.js';
import type { Engine } from './engine.js';
import { SandboxError } from './errors.js';
import type { DirectorySnapshot } from './host/directory.js';
import { EMPTY_DIRECTORY } from './host/directory.js';
import type { RoutingEpoch } from './host/unknown-receivers.js';
import type { Work, WorkResult } from './results.js';
import { emptyEffects, messageIdOf, skippedResult, workIdOf } from './results.js';

export interface SandboxOptions {
  engine: Engine;
  clock?: () => number;
  newId?: () => string;
  /** The node's routing epoch (decision 2123); absent: no receiver is refused as unknown here. */
  routing?: RoutingEpoch;
}

export class Sandbox {
  private readonly agents = new Map<string, AgentSandbox>();
  private directory: DirectorySnapshot = EMPTY_DIRECTORY;
  private readonly env: AgentEnv;

  constructor(private readonly opts: SandboxOptions) {
    this.env = {
      directory: () => this.directory,
      clock: opts.clock ?? Date.now,
      newId: opts.newId ?? randomUUID,
      ...(opts.routing === undefined ? {} : { routing: opts.routing }),
    };
  }

  get engine(): Engine {
    return this.opts.engine;
  }

  private async build(spec: AgentSpec, carried?: RestartCarryOver): Promise<{ agent: AgentSandbox; report: StartReport }> {
    const artifact =
      spec.artifact instanceof Uint8Array
        ? await this.opts.engine.loadArtifact(spec.artifact)
        : await this.opts.engine.loadCached(spec.artifact.digest);
    const agent = new AgentSandbox(spec, artifact, this.env, carried);
    const report = agent.start();
    return { agent, report };
  }

  /**
   * Deploys an agent: prepares its artifact, instantiates it, runs init(). Throws on failure.
   * `carried`: the crash record of the agent's previous instance (a shard re-deploying it).
   */
  async deploy(spec: AgentSpec, carried?: RestartCarryOver): Promise<StartReport> {
    if (this.agents.has(spec.name)) {
      throw new SandboxError('sandbox.agent.exists', `agent ${spec.name} is already deployed here`, {
        context: { agent: spec.name },
        hint: 'Use upgrade() to replace it, or undeploy() it first.',
      });
    }
    const { agent, report } = await this.build(spec, carried);
    this.agents.set(spec.name, agent);
    return report;
  }

  /**
   * Replaces an agent with a new version. The new version is started first; only if its init
   * succeeds is the old instance stopped (its memory is not carried over). Its durable state is:
   * a spec without `state` gets the old version's committed view (limits from the old spec).
   */
  async upgrade(spec: AgentSpec): Promise<StartReport> {
    const old = this.agents.get(spec.name);
    if (old && spec.state === undefined) spec = { ...spec, state: { entries: old.stateEntries(), limits: old.stateLimits } };
    const { agent, report } = await this.build(spec);
    old?.stop();
    this.agents.set(spec.name, agent);
    return report;
  }

  undeploy(name: string): boolean {
    const agent = this.agents.get(name);
    if (!agent) return false;
    agent.stop();
    this.agents.delete(name);
    return true;
  }

  /** Replaces an agent's committed state view (the node knows it is stale). False if it is not here. */
  resetState(name: string, entries: readonly (readonly [string, string])[]): boolean {
    const agent = this.agents.get(name);
    if (!agent) return false;
    agent.resetState(entries);
    return true;
  }

  has(name: string): boolean {
    return this.agents.has(name);
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  setDirectory(snapshot: DirectorySnapshot): void {
    this.directory = snapshot;
  }

  /** The bus refused `receiver` as unknown to `name`'s send, routed in routing epoch `epoch` (decision 2123). */
  noteUnknownReceiver(name: string, receiver: string, epoch: number): void {
    this.agents.get(name)?.unknownReceivers?.note(receiver, epoch);
  }

  /** Runs one piece of work (timed from `clock.at` when given, see `AgentSandbox.run`). */
  run(work: Work, clock?: ItemClock): WorkResult {
    const agent = this.agents.get(work.agent);
    if (!agent) {
      return {
        agent: work.agent,
        workId: workIdOf(work),
        messageId: messageIdOf(work),
        status: 'not-running',
        reason: `agent ${work.agent} is not deployed here`,
        ...emptyEffects(),
        fuelUsed: 0,
        initFuelUsed: 0,
        durationUs: 0,
        state: 'stopped',
        restarts: 0,
      };
    }
    return agent.run(work, clock);
  }

  /**
   * Runs a batch in order; one result per item. An agent's run stops at its first item that does
   * not complete (crashed, not running): its later items in the batch come back `skipped`, so
   * nothing of that agent runs before the failed item's retry (decision 0002).
   */
  deliver(batch: readonly Work[], onProgress?: (index: number) => void): WorkResult[] {
    const out: WorkResult[] = new Array(batch.length);
    let stopped: Map<string, WorkResult> | undefined;
    // One time reading per item: each item's end is the next one's start (what lies between, the
    // progress callback and a skipped item, is a few tens of nanoseconds of the next item's time).
    const clock: ItemClock = { at: performance.now() };
    for (let i = 0; i < batch.length; i++) {
      const work = batch[i]!;
      const stopper = stopped?.get(work.agent);
      if (stopper) {
        out[i] = skippedResult(work, stopper);
        continue;
      }
      onProgress?.(i);
      const r = this.run(work, clock);
      out[i] = r;
      if (r.status === 'crashed' || r.status === 'not-running') (stopped ??= new Map()).set(work.agent, r);
    }
    return out;
  }

  agent(name: string): AgentSandbox | undefined {
    return this.agents.get(name);
  }

  metrics(name: string): AgentMetrics | undefined {
    return this.agents.get(name)?.metrics();
  }

  allMetrics(): AgentMetrics[] {
    return [...this.agents.values()].map((a) => a.metrics());
  }
}
