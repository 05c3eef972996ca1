/**
 * Adapts the sandbox's ShardPool to the node's AgentHost: local agent names ↔ agent identities,
 * sandbox results ↔ the bus's ExecutionResult. Nothing else: policy lives in the bus and the node.
 */
import { availableParallelism } from 'node:os';
import {
  DEPLOYABLE_LIMITS,
  NODE_LIMIT_TABLE,
  type AgentId,
  type AgentLimits,
  type AgentLimitsSpec,
  type Instrumentation,
} from '@caxton/core';
import type { AgentLogLine, DirectoryEffect, ExecutionResult, WorkItem } from '../bus/executor.js';
import type { EngineOptions } from '@caxton/sandbox';
import {
  NONE,
  ShardPool,
  type AgentSpec,
  type DirectoryOp,
  type Effects,
  type LogLine,
  type PoolEvent,
  type Work,
  type WorkResult,
} from '@caxton/sandbox';
import type { AgentHost, AgentRunSample, AgentRunStats, AgentStartSpec } from './agent-host.js';
import type { AgentStateStore } from '../storage/ports.js';
import { STATE_UNSUPPORTED } from '../storage/state-store.js';
import { runSampleOf } from './run-sample-key.js';

export interface SandboxHostOptions {
  cacheDir: string;
  shards?: number | undefined;
  /** Engine limits on preparing components, and who hears of a refused cache entry (see EngineOptions). */
  engine?: Pick<
    EngineOptions,
    | 'prepareDeadlineMs'
    | 'prepareMaxHeapMb'
    | 'maxComponentBytes'
    | 'componentLimits'
    | 'onCacheEntryRefused'
    | 'cacheMaxBytes'
    | 'onCacheEvicted'
  >;
  /** Where an agent's committed state is read from when it starts or is upgraded (decision 1600). */
  state?: AgentStateStore;
}

/**
 * One shard per core beyond the one the bus and the API use; never fewer than one. A shard is also
 * the blast radius of the wall-clock watchdog (a stuck agent resets its shard), so more cores mean
 * a stuck agent disturbs fewer neighbours. At most the shards row's ceiling (core's NODE_LIMIT_TABLE,
 * decision 2149): a default the node computes must be one `shards` itself would accept.
 */
export function defaultShards(cores = availableParallelism()): number {
  return cores <= 2 ? 1 : Math.min(NODE_LIMIT_TABLE.shards.ceiling, cores - 1);
}

export class SandboxAgentHost implements AgentHost {
  /** local name → identity (the pool knows agents by identity). */
  private readonly identities = new Map<string, string>();
  private readonly locals = new Map<string, string>();
  private directoryVersion = 0;

  /** The pool's instrumentation (shard resets, agents failing), as the sandbox emits it. */
  readonly events: Instrumentation<PoolEvent>;

  /**
   * Present when the sandbox can swap a running agent's state view in place (`ShardPool.resetState`,
   * the sandbox's side of decision 1600); otherwise the node restarts the instance to reload it.
   */
  readonly resetState?: (name: string, entries: ReadonlyMap<string, string>) => Promise<boolean>;

  private constructor(
    private readonly pool: ShardPool,
    private readonly state: AgentStateStore | undefined,
  ) {
    this.events = pool.events;
    const reset = (
      pool as unknown as { resetState?: (identity: string, entries: readonly (readonly [string, string])[]) => Promise<boolean> }
    ).resetState;
    if (typeof reset === 'function') {
      this.resetState = (name, entries) => reset.call(pool, this.identities.get(name) ?? name, [...entries]);
    }
  }

  stateView(name: string): ReadonlyMap<string, string> | undefined {
    const identity = this.identities.get(name);
    return identity === undefined ? undefined : this.pool.stateView(identity);
  }

  static async create(opts: SandboxHostOptions): Promise<SandboxAgentHost> {
    const shards = opts.shards ?? defaultShards();
    const pool = new ShardPool({ shards, engine: { ...opts.engine, cacheDir: opts.cacheDir } });
    // An unsafe prepare cache fails the node now, with its hint, not its first deploy (decision 2135).
    await pool.engine.openCache().catch(async (err: unknown) => {
      await pool.close();
      throw err;
    });
    return new SandboxAgentHost(pool, opts.state);
  }

  async prepare(bytes: Uint8Array): Promise<{ digest: string; writesState: boolean }> {
    const artifact = await this.pool.engine.loadArtifact(bytes);
    return { digest: artifact.digest, writesState: artifact.manifest.writesState };
  }

  get shardCount(): number {
    return this.pool.shardCount;
  }

  async start({ deployment, identity: id, shard, stateOf }: AgentStartSpec): Promise<ExecutionResult> {
    const identity = id.name;
    const { name } = deployment;
    // The third and last shape of a deploy spec (docs/walks.md): the stored deployment, addressed
    // by identity, its artifact by digest.
    const spec: AgentSpec = {
      name: identity,
      artifact: { digest: deployment.artifactDigest },
      // Every limit the deployment carries (decision 1720); what it lacks is the sandbox default.
      limits: deploymentLimits(deployment.limits),
      config: deployment.config,
      // The agent's transport addresses (init-context self.addresses); in a cluster they name the
      // node running this instance.
      ...(id.addresses?.length ? { addresses: [...id.addresses] } : {}),
      // Its committed state, loaded into the shard's view of the agent (decision 1600).
      ...(await this.initialState(stateOf ?? name)),
      // What its `fetch` may call (decision 1601); without it every call is `denied`.
      ...(deployment.http !== undefined ? { http: deployment.http } : {}),
      // The topics it may subscribe to (decision 2050); checked again by NodeTopics when applied.
      ...(deployment.topics !== undefined ? { topics: deployment.topics } : {}),
      ...(shard !== undefined ? { shard } : {}),
      // Its handlings' ids and insecure randomness derive from the deployment (decision 2174).
      seed: { name: deployment.name, createdAt: deployment.createdAt },
    };
    const report = this.identities.has(name) ? await this.pool.upgrade(spec) : await this.pool.deploy(spec);
    this.identities.set(name, identity);
    this.locals.set(identity, name);
    return executionOf(name, 'init', { status: 'ok' }, report.fuelUsed, undefined, report);
  }

  /**
   * The agent's committed entries as the sandbox takes them. A log that keeps no state (a cluster
   * log before it learnt to) starts the agent with none rather than not at all.
   */
  private async initialState(name: string): Promise<Pick<AgentSpec, 'state'>> {
    if (this.state === undefined) return {};
    try {
      return { state: { entries: [...(await this.state.readState(name))] } };
    } catch (error) {
      if ((error as { code?: string }).code === STATE_UNSUPPORTED) return {};
      throw error;
    }
  }

  async stop(name: string, _force: boolean): Promise<void> {
    // Undeploying terminates nothing in flight by itself: the node drains first unless forced, and
    // a forced stop of an agent stuck in a call is what the shard watchdog's wall-clock limit is for.
    const identity = this.identities.get(name);
    if (identity === undefined) return;
    await this.pool.undeploy(identity);
    this.identities.delete(name);
    this.locals.delete(identity);
  }

  restartDelay(name: string): number {
    const identity = this.identities.get(name);
    return identity === undefined ? 0 : this.pool.restartDelay(identity);
  }

  onRestartDelayed(listener: (name: string, delayMs: number) => void): () => void {
    return this.pool.events.on(
      (e) => {
        if (e.type === 'restart-delayed') listener(this.locals.get(e.agent) ?? e.agent, e.delayMs);
      },
      ['restart-delayed'],
    );
  }

  async stats(name: string): Promise<AgentRunStats | undefined> {
    const identity = this.identities.get(name);
    if (identity === undefined) return undefined;
    const [m] = await this.pool.metrics(identity);
    if (!m) return undefined;
    // Waiting out its restart backoff after a crash: `restarting` (its messages wait).
    const state = m.state === 'failed' ? 'failed' : m.state === 'stopped' ? 'stopped' : m.restartDelayMs > 0 ? 'restarting' : 'running';
    return {
      state,
      restarts: m.restarts,
      fuelUsed: m.fuelUsedTotal,
      memoryPages: m.memoryPages,
      messagesHandled: m.handled,
      ...(m.lastError ? { lastError: { message: m.lastError.message, code: m.lastError.code, at: Date.now() } } : {}),
    };
  }

  /**
   * What the sandbox knows of every agent it runs, in one round trip per shard: for metrics,
   * read when a reader collects (decision 1301), never on the message path.
   */
  async runSamples(): Promise<AgentRunSample[]> {
    const all = await this.pool.metrics();
    return all.map((m) => {
      const key = this.locals.get(m.agent) ?? m.agent;
      // A replica or a rollout's candidate is reported as its agent's (review finding 12, decision 2101).
      return runSampleOf(key, { memoryPages: m.memoryPages, restarts: m.restarts, refusals: { ...m.refusals } });
    });
  }

  setDirectory(byServiceType: ReadonlyMap<string, AgentId[]>): void {
    this.directoryVersion += 1;
    const byType: Record<string, { name: string; addresses?: string[] }[]> = {};
    for (const [type, ids] of byServiceType) byType[type] = ids.map((id) => ({ name: id.name }));
    this.pool.setDirectory({ version: this.directoryVersion, byType });
  }

  get routing(): ShardPool['routing'] {
    return this.pool.routing;
  }

  noteUnknownReceiver(agent: string, receiver: string, epoch: number): void {
    this.pool.noteUnknownReceiver(this.identities.get(agent) ?? agent, receiver, epoch);
  }

  async execute(batch: readonly WorkItem[]): Promise<ExecutionResult[]> {
    const work: Work[] = batch.map((item) => {
      const agent = this.identities.get(item.agent) ?? item.agent;
      return item.kind === 'delivery'
        ? { kind: 'message', agent, delivery: item.delivery }
        : {
            kind: 'timer',
            id: `timer:${item.timerId ?? item.token}`,
            agent,
            token: item.token,
            ...(item.dueAt === undefined ? {} : { dueAt: item.dueAt }),
          };
    });
    const results = await this.pool.deliver(work);
    return results.map((r, i) => this.toExecution(batch[i]!.agent, r));
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private toExecution(agent: string, r: WorkResult): ExecutionResult {
    let outcome: ExecutionResult['outcome'];
    if (r.status === 'ok') outcome = OK;
    else if (r.status === 'rejected') outcome = { status: 'rejected', reason: r.reason };
    else if (r.status === 'crashed') outcome = { status: 'crashed', kind: r.kind, message: r.message };
    else if (r.status === 'skipped') outcome = { status: 'skipped', reason: r.reason };
    else outcome = { status: 'not-running', reason: r.reason };
    const execution = executionOf(agent, r.workId, outcome, r.fuelUsed, r.durationUs, r);
    // Only on what read the clock (most handlings do not): recorded with its commit (decision 2178).
    if (r.clockAt !== undefined) execution.clockAt = r.clockAt;
    return execution;
  }
}

/** The outcome of almost every handling, shared (frozen: listeners of `handled` see it too). */
const OK: ExecutionResult['outcome'] = Object.freeze({ status: 'ok' });

/** A handling's result as the bus reads it, with the effects the sandbox reported. */
export function executionOf(
  agent: string,
  workId: string,
  outcome: ExecutionResult['outcome'],
  fuelUsed: number,
  durationUs: number | undefined,
  e: Effects,
): ExecutionResult {
  // One literal, no effects object spread into it: this runs once per message handled. Most
  // handlings have no directory change and no log line: no mapping of empty lists, and the shared
  // frozen empty list (`NONE`, the one the sandbox's results carry) instead of a fresh one.
  // The shards' result codec may not carry every newer effect yet (state, HTTP): absent is none.
  return {
    agent,
    workId,
    outcome,
    fuelUsed,
    durationUs,
    outbox: e.outbox,
    timers: e.timers,
    directory: e.directory.length === 0 ? NONE : e.directory.map(toDirectoryEffect),
    stateWrites: e.stateWrites ?? NONE,
    http: e.http ?? NONE,
    logs: logLines(e),
  };
}

function logLines(e: Effects): AgentLogLine[] {
  if (e.logs.length === 0 && e.droppedLogLines === 0) return NONE;
  const logs: AgentLogLine[] = e.logs.map(toLogLine);
  if (e.droppedLogLines > 0)
    logs.push({ level: 'warn', message: `[caxton] ${e.droppedLogLines} log lines dropped (per-call limit)`, at: Date.now() });
  return logs;
}

function toLogLine(line: LogLine): AgentLogLine {
  return { level: line.level, message: line.source === 'agent' ? line.message : `[${line.source}] ${line.message}`, at: line.at };
}

function toDirectoryEffect(op: DirectoryOp): DirectoryEffect {
  switch (op.kind) {
    case 'register-service':
      return { kind: 'register', service: { ...op.service } };
    case 'deregister-service':
      return { kind: 'deregister-service', serviceName: op.serviceName };
    case 'subscribe-topic':
      return op.filter === undefined
        ? { kind: 'subscribe-topic', topic: op.topic }
        : { kind: 'subscribe-topic', topic: op.topic, filter: op.filter };
    case 'unsubscribe-topic':
      return { kind: 'unsubscribe-topic', topic: op.topic };
  }
}

/** The deployment's limits as the sandbox takes them: only those it set (absent keeps the default). */
function deploymentLimits(limits: AgentLimitsSpec): Partial<AgentLimits> {
  const out: Partial<AgentLimits> = {};
  for (const name of DEPLOYABLE_LIMITS) if (limits[name] !== undefined) out[name] = limits[name];
  return out;
}
