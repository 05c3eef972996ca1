/**
 * The ShardPool: what the bus uses to run agents. Agents live in worker-thread shards (many agents
 * per shard, placed on the least loaded one); the bus hands over a batch of work and gets a batch of
 * results back, one thread hop per shard per batch. Artifacts are prepared and compiled once in
 * this thread and posted to shards as compiled modules.
 *
 * Wall-clock backstop: fuel bounds what a guest computes, not everything that can hold a thread (a
 * long host-side operation, a bug, a misconfigured fuel limit). Each shard's watchdog terminates a
 * worker stuck on one item past that agent's `wallClockMs`; the item is reported `crashed/timeout`
 * (and counts against the agent's restart policy), the other work in flight on that shard comes back
 * `crashed/unavailable` (not run, or run but its results lost: retry it), and the shard is recreated
 * with all its agents re-deployed — fresh instances, so their in-memory state is lost.
 *
 * Durable state (decision 1600) is not lost with a shard: the pool keeps each agent's committed
 * view current with the state writes of the completed results it hands back (the same writes the
 * bus commits), and re-deploys an agent with that view. `resetState` replaces a view the node
 * knows is stale (e.g. a commit that failed).
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import type { StartReport, AgentMetrics } from '../agent-sandbox.js';
import type { AgentSpec, PreparedAgentSpec, RestartCarryOver } from '../agent-spec.js';
import type { EngineOptions } from '../engine.js';
import { Engine } from '../engine.js';
import { SandboxError } from '../errors.js';
import type { DirectorySnapshot } from '../host/directory.js';
import { EMPTY_DIRECTORY } from '../host/directory.js';
import { zeroCounters } from '../host/quotas.js';
import type { AgentLimits } from '../limits/limits.js';
import { resolveLimits } from '../limits/limits.js';
import type { CrashVerdict, RestartPolicy } from '../restart-policy.js';
import { DEFAULT_RESTART_POLICY, RestartTracker } from '../restart-policy.js';
import { DEFAULT_RESTART_BACKOFF, RestartBackoff, type RestartBackoffPolicy } from '../restart-backoff.js';
import { Instrumentation, type CrashKind, type StateLimits } from '@caxton/core';
import type { ErrorInfo, InstanceState, Work, WorkResult } from '../results.js';
import { crashError, errorInfo } from '../traps.js';
import type { StuckItem } from './shard.js';
import { crashedResult, notRunning, withDeadline } from './pool-results.js';
import { RoutingEpoch } from '../host/unknown-receivers.js';
import { Shard } from './shard.js';

export interface ShardPoolOptions {
  /** Number of worker shards. Default: the machine's parallelism (at least 1). */
  shards?: number;
  engine?: EngineOptions;
  /** Watchdog polling interval. Default 25 ms. */
  watchdogTickMs?: number;
  /** Limits for each worker's JS heap (wasm memories are bounded per agent, not by these). */
  workerResourceLimits?: ResourceLimits;
  clock?: () => number;
  /**
   * A deploy (instantiate + init) taking longer than max(10 × the agent's wallClockMs, this) gets
   * its shard reset and fails with `sandbox.agent.init-timeout`. Default 10 s.
   */
  minInitDeadlineMs?: number;
  /** Delays between restarts of a crashing agent (decision 1720). Default: 50 ms doubling to 5 s. */
  restartBackoff?: Partial<RestartBackoffPolicy>;
  /** Jitter's randomness (tests pin it). Default Math.random. */
  random?: () => number;
}

/** What the pool tells observers (`pool.events`, docs/decisions/1106-instrumentation.md). */
export type PoolEvent =
  | { type: 'shard-reset'; shard: number; reason: 'timeout' | 'worker-failure'; agent?: string; message: string }
  | { type: 'agent-failed'; agent: string; reason: string }
  /** A crashed agent restarts in `delayMs` (its work waits until then): the n-th crash in a row. */
  | { type: 'restart-delayed'; agent: string; delayMs: number; consecutiveCrashes: number }
  /**
   * A batch failed on a shard, so the bus side and the shard dropped the wide messages they kept
   * (decision 2003); `code` is the batch's error (`sandbox.shard.hand-off` when they disagreed).
   */
  | { type: 'hand-off-resync'; shard: number; code: string; message: string };

export interface DeployReport extends StartReport {
  digest: string;
  path: 'direct' | 'jco';
  shard: number;
}

export interface PoolAgentMetrics extends Omit<AgentMetrics, 'path'> {
  shard: number;
  /** Milliseconds until a crashed agent may restart (0: it may run now). */
  restartDelayMs: number;
  /** Crashes in a row of the current streak (the backoff's exponent). */
  consecutiveCrashes: number;
  path: 'direct' | 'jco' | null;
  /** Results seen by the pool. */
  completed: number;
}

/** Default shortest time a deploy (instantiate + init) may take before its shard is reset. */
const MIN_INIT_DEADLINE_MS = 10_000;

const NO_CRASHES: RestartCarryOver = Object.freeze({ restartHistory: [], restarts: 0 }) as RestartCarryOver;

/** The pool's bookkeeping of one agent it placed on a shard. */
interface PlacedAgent {
  spec: PreparedAgentSpec;
  shard: Shard;
  limits: AgentLimits;
  policy: RestartPolicy;
  /**
   * The agent's crash record. Each crash is counted once, by whoever sees it: the agent's sandbox
   * (the pool reads its record from the crashed result) or, for a crash the sandbox cannot see (the
   * watchdog's timeout, a worker dying under it), the pool itself. Carried to the next shard on a reset.
   */
  ledger: RestartCarryOver;
  /** When it may restart after a crash; its work is held until then. */
  backoff: RestartBackoff;
  state: InstanceState;
  path: 'direct' | 'jco';
  lastError: ErrorInfo | null;
  fuelUsedTotal: number;
  completed: number;
  /**
   * The agent's committed state as its shard holds it (reserved entries included): the entries it
   * was deployed with plus the writes of every completed result since. Null while it has none.
   */
  committed: Map<string, string> | null;
  /** The state limits it was deployed with (kept through upgrades that bring no state). */
  stateLimits: Partial<StateLimits> | undefined;
  /** The last unknown receiver told to its shard (decision 2123): a flood's thousand refusals are posted once. */
  unknownTold?: { receiver: string; epoch: number; generation: number };
}

export class ShardPool {
  readonly engine: Engine;
  /** Observability: shard resets, agents failing. Subscribe with `events.on(listener, types?)`. */
  readonly events = new Instrumentation<PoolEvent>();
  private handOffResyncCount = 0;

  /** Times a failed batch made a shard's kept wide messages start over (`hand-off-resync` events). */
  get handOffResyncs(): number {
    return this.handOffResyncCount;
  }
  private readonly shards: Shard[] = [];
  private readonly agents = new Map<string, PlacedAgent>();
  private directory: DirectorySnapshot = EMPTY_DIRECTORY;
  private readonly clock: () => number;
  private closed = false;
  /**
   * The routing epoch the node bumps when a name may route that did not (decision 2123); every
   * shard reads it, so a receiver remembered as unknown counts only until then.
   */
  readonly routing = new RoutingEpoch();

  constructor(private readonly opts: ShardPoolOptions = {}) {
    this.engine = new Engine(opts.engine);
    this.clock = opts.clock ?? Date.now;
    const n = Math.max(1, opts.shards ?? availableParallelism());
    const settings = this.engine.shardSettings();
    const hooks = {
      wallClockMs: (agent: string) => this.agents.get(agent)?.limits.wallClockMs ?? resolveLimits().wallClockMs,
      onStuck: (shard: Shard, item: StuckItem) => this.onStuck(shard, item),
      onWorkerFailure: (shard: Shard, err: Error) => this.onWorkerFailure(shard, err),
      onHandOffResync: (shard: Shard, err: Error) => this.onHandOffResync(shard, err),
    };
    for (let i = 0; i < n; i++)
      this.shards.push(new Shard(i, settings, hooks, opts.watchdogTickMs ?? 25, opts.workerResourceLimits, this.routing.buffer));
  }

  get shardCount(): number {
    return this.shards.length;
  }

  // ---------- deployment ----------

  private async ensureArtifact(shard: Shard, digest: string): Promise<void> {
    if (shard.artifacts.has(digest)) return;
    const artifact = await this.engine.loadCached(digest);
    shard.artifacts.add(digest);
    try {
      await shard.request({ op: 'artifact', manifest: artifact.manifest, modules: artifact.modules, glueSource: artifact.glueSource });
    } catch (err) {
      shard.artifacts.delete(digest);
      throw err;
    }
  }

  private leastLoaded(): Shard {
    return this.shards.reduce((best, s) => (s.load < best.load ? s : best));
  }

  /**
   * Deploys an agent: prepares its artifact (once per digest), places it on a shard, instantiates
   * it and runs init(). Rejects with a SandboxError (ArtifactError for bad artifacts,
   * `sandbox.agent.init-failed` when init fails) and leaves nothing behind.
   */
  async deploy(spec: AgentSpec): Promise<DeployReport> {
    if (this.agents.has(spec.name)) {
      throw new SandboxError('sandbox.agent.exists', `agent ${spec.name} is already deployed`, {
        context: { agent: spec.name },
        hint: 'Use upgrade() to replace it, or undeploy() it first.',
      });
    }
    return this.place(spec, null);
  }

  /** Replaces an agent's artifact/limits/config; the old version keeps running if the new one fails to start. */
  async upgrade(spec: AgentSpec): Promise<DeployReport> {
    const old = this.agents.get(spec.name);
    if (!old) return this.deploy(spec);
    return this.place(spec, old.shard);
  }

  private async place(spec: AgentSpec, existing: Shard | null): Promise<DeployReport> {
    this.assertOpen();
    const limits = resolveLimits(spec.limits);
    const artifact =
      spec.artifact instanceof Uint8Array
        ? await this.engine.loadArtifact(spec.artifact)
        : await this.engine.loadCached(spec.artifact.digest);
    const shard =
      existing ?? (spec.shard !== undefined ? this.shards[Math.abs(Math.trunc(spec.shard)) % this.shards.length]! : this.leastLoaded());
    const old = existing ? this.agents.get(spec.name) : undefined;
    const prepared: PreparedAgentSpec = { ...spec, artifact: { digest: artifact.digest } };
    if (!existing) shard.agents.set(spec.name, prepared); // reserve the slot (load) while deploying
    try {
      await this.ensureArtifact(shard, artifact.digest);
      const deadline = Math.max(10 * limits.wallClockMs, this.opts.minInitDeadlineMs ?? MIN_INIT_DEADLINE_MS);
      const report = await withDeadline(
        shard.request<StartReport>({ op: 'deploy', spec: prepared, replace: existing !== null }),
        deadline,
        () => {
          const message = `agent ${spec.name} did not finish starting within ${deadline} ms; shard ${shard.id} was restarted`;
          this.emit({ type: 'shard-reset', shard: shard.id, reason: 'timeout', agent: spec.name, message });
          this.recover(shard, false, message);
          return new SandboxError('sandbox.agent.init-timeout', message, {
            context: { agent: spec.name, kind: 'timeout' },
            hint: 'init() blocked outside metered code, or fuelPerInit is far too high: fix the agent or its limits.',
          });
        },
      );
      shard.agents.set(spec.name, prepared);
      this.agents.set(spec.name, {
        spec: prepared,
        shard,
        limits,
        policy: { ...DEFAULT_RESTART_POLICY, ...spec.restartPolicy },
        ledger: NO_CRASHES,
        // A new deployment (or version) starts without a streak.
        backoff: this.newBackoff(),
        state: report.state,
        path: artifact.manifest.path,
        lastError: null,
        fuelUsedTotal: report.fuelUsed,
        completed: 0,
        // An upgrade without `state` keeps the agent's view: the shard carries its live one over
        // (in order with the work before it), and this copy goes on tracking it.
        committed:
          spec.state !== undefined ? (spec.state.entries.length > 0 ? new Map(spec.state.entries) : null) : (old?.committed ?? null),
        stateLimits: spec.state !== undefined ? spec.state.limits : old?.stateLimits,
      });
      return { ...report, digest: artifact.digest, path: artifact.manifest.path, shard: shard.id };
    } catch (err) {
      if (!existing) shard.agents.delete(spec.name);
      throw err;
    }
  }

  async undeploy(name: string): Promise<boolean> {
    const rec = this.agents.get(name);
    if (!rec) return false;
    this.agents.delete(name);
    rec.shard.agents.delete(name);
    await rec.shard.request({ op: 'undeploy', name }).catch(() => undefined);
    return true;
  }

  /**
   * Replaces an agent's committed state view, in its shard and in the pool's copy (the node knows
   * the view is stale: a commit failed, or the store changed under it). Work delivered after this
   * call sees `entries`. True once the shard holds `entries` for this deployment of the agent: its
   * worker applied them, or the shard was reset and re-deploys from them; false if the agent is not
   * deployed, its worker does not know it, or it was undeployed or redeployed meanwhile.
   */
  async resetState(name: string, entries: readonly (readonly [string, string])[]): Promise<boolean> {
    const rec = this.agents.get(name);
    if (!rec) return false;
    const copy: [string, string][] = entries.map(([k, v]) => [k, v]);
    rec.committed = copy.length > 0 ? new Map(copy) : null;
    // A reset shard re-deploys from `committed`; a failed request means exactly that happened.
    const applied = await rec.shard.request({ op: 'state', name, entries: copy }).then(
      (answer) => answer === true,
      () => true,
    );
    return applied && this.agents.get(name) === rec;
  }

  /**
   * A copy of the agent's state view as its shard holds it: the last reset (or deployed) state plus
   * the writes of every handling that came back since, reserved entries included — what its next
   * handling reads, committed by the bus or not. Undefined if the agent is not deployed. The node
   * takes it before a batch whose writes it may have to undo (decision 2010: a replica's dropped
   * write), so the undo needs no read of a store that may still be settling.
   */
  stateView(name: string): Map<string, string> | undefined {
    const rec = this.agents.get(name);
    return rec === undefined ? undefined : new Map(rec.committed ?? []);
  }

  /** Pushes a new directory snapshot to every shard (search-services answers from it). */
  setDirectory(snapshot: DirectorySnapshot): void {
    this.directory = snapshot;
    for (const s of this.shards) void s.request({ op: 'directory', snapshot }).catch(() => undefined);
  }

  /**
   * The bus refused `receiver` (as `name` wrote it) as unknown, having read routing epoch `epoch`
   * before routing it: `name`'s shard refuses its next sends to it until the epoch moves (decision 2123).
   */
  noteUnknownReceiver(name: string, receiver: string, epoch: number): void {
    const rec = this.agents.get(name);
    if (rec === undefined || epoch !== this.routing.current) return;
    const told = rec.unknownTold;
    const generation = rec.shard.generation;
    if (told !== undefined && told.receiver === receiver && told.epoch === epoch && told.generation === generation) return;
    rec.unknownTold = { receiver, epoch, generation };
    void rec.shard.request({ op: 'unknown-receiver', name, receiver, epoch }).catch(() => undefined);
  }

  // ---------- work ----------

  /**
   * Runs a batch of work: items for the same agent run in order; items on different shards run in
   * parallel. Resolves with one result per item, in the batch's order. Never rejects for guest
   * behaviour (crashes, timeouts and resets come back as results).
   */
  async deliver(batch: readonly Work[]): Promise<WorkResult[]> {
    this.assertOpen();
    const results: WorkResult[] = new Array(batch.length);
    // One group per shard and start time: work of an agent in restart backoff waits for its
    // restart (it is not run, so it is no attempt), without holding up its shard's other work.
    const groups = new Map<number | string, { shard: Shard; at: number; indices: number[]; items: Work[] }>();
    const now = this.clock();
    batch.forEach((w, i) => {
      const rec = this.agents.get(w.agent);
      if (!rec || rec.state === 'failed') {
        results[i] = notRunning(
          w,
          rec ? `agent ${w.agent} is failed` : `agent ${w.agent} is not deployed`,
          rec?.state ?? 'stopped',
          rec?.ledger.restarts ?? 0,
        );
        return;
      }
      const at = rec.backoff.remaining(now) > 0 ? rec.backoff.restartAt : 0;
      // Almost always no backoff: the shard's number alone, no key string built per item.
      const key = at === 0 ? rec.shard.id : `${rec.shard.id}:${at}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { shard: rec.shard, at, indices: [], items: [] }));
      group.indices.push(i);
      group.items.push(w);
    });
    await Promise.all(
      [...groups.values()].map(async ({ shard, at, ...group }) => {
        let out: WorkResult[];
        try {
          if (at > 0) await sleep(at - this.clock());
          await shard.ready;
          out = await shard.deliver(group.items);
        } catch (err) {
          const info = err instanceof SandboxError ? errorInfo(err) : { code: 'sandbox.shard.internal', message: String(err), context: {} };
          out = group.items.map((w) => this.synthetic(w, 'unavailable', info.message));
        }
        out.forEach((r, k) => {
          results[group.indices[k]!] = r;
          this.observe(r);
        });
      }),
    );
    return results;
  }

  /** Fires a timer an agent set (a convenience for deliver([{ kind: 'timer', … }])). */
  async fireTimer(agent: string, token: string, id = `timer:${token}`): Promise<WorkResult> {
    const [r] = await this.deliver([{ kind: 'timer', id, agent, token }]);
    return r!;
  }

  private observe(r: WorkResult): void {
    const rec = this.agents.get(r.agent);
    // A skipped item did not run: it is neither a completion nor news about the agent's state.
    if (!rec || r.status === 'skipped') return;
    rec.completed++;
    rec.fuelUsedTotal += r.fuelUsed + r.initFuelUsed;
    if (r.stateWrites.length > 0 && (r.status === 'ok' || r.status === 'rejected')) {
      const view = (rec.committed ??= new Map());
      for (const w of r.stateWrites) {
        if (w.value === null) view.delete(w.key);
        else view.set(w.key, w.value);
      }
    }
    if (r.status === 'crashed') {
      rec.lastError = r.error;
      // Read, not counted: the sandbox (or this pool, for its own synthetic results) already did.
      rec.ledger = { restartHistory: r.restartHistory, restarts: r.restarts };
      // `unavailable` was not the agent's doing (its shard was reset under it): no backoff.
      if (r.kind !== 'unavailable' && r.state !== 'failed') this.delayRestart(rec);
    }
    if (r.status !== 'not-running' || r.state === 'failed') this.setState(rec, r.state, r.status === 'crashed' ? r.message : '');
  }

  private newBackoff(): RestartBackoff {
    return new RestartBackoff({ ...DEFAULT_RESTART_BACKOFF, ...this.opts.restartBackoff }, this.opts.random);
  }

  /** A crash the restart policy let through: the agent's next start waits (decision 1720). */
  private delayRestart(rec: PlacedAgent): void {
    const delayMs = rec.backoff.crashed(this.clock());
    this.emit({ type: 'restart-delayed', agent: rec.spec.name, delayMs, consecutiveCrashes: rec.backoff.consecutiveCrashes });
  }

  /** Milliseconds until `name` may run again after a crash (0: now, or not deployed). */
  restartDelay(name: string): number {
    return this.agents.get(name)?.backoff.remaining(this.clock()) ?? 0;
  }

  private setState(rec: PlacedAgent, state: InstanceState, reason: string): void {
    if (state === 'failed' && rec.state !== 'failed') this.emit({ type: 'agent-failed', agent: rec.spec.name, reason });
    rec.state = state;
  }

  private synthetic(w: Work, kind: CrashKind, message: string): WorkResult {
    const rec = this.agents.get(w.agent);
    return crashedResult(w, kind, message, rec?.state === 'failed' ? 'failed' : 'idle', rec?.ledger ?? NO_CRASHES);
  }

  /** Counts a crash the agent's sandbox could not see (it was lost with its shard), under its policy. */
  private chargeCrash(rec: PlacedAgent): CrashVerdict {
    const tracker = new RestartTracker(rec.policy, rec.ledger.restartHistory, rec.ledger.restarts);
    const verdict = tracker.recordCrash(this.clock());
    rec.ledger = { restartHistory: tracker.history(), restarts: tracker.restarts };
    return verdict;
  }

  // ---------- backstop ----------

  private onStuck(shard: Shard, item: StuckItem): void {
    const message = `agent ${item.agent} ran for ${Math.round(item.elapsedMs)} ms on one item, past its wall-clock limit of ${item.limitMs} ms; shard ${shard.id} was restarted`;
    this.emit({ type: 'shard-reset', shard: shard.id, reason: 'timeout', agent: item.agent, message });
    const rec = this.agents.get(item.agent);
    if (rec) {
      const verdict = this.chargeCrash(rec);
      rec.lastError = errorInfo(crashError('timeout', message, { agent: item.agent }));
      this.setState(rec, verdict === 'fail' ? 'failed' : 'idle', message);
      if (verdict === 'restart') this.delayRestart(rec);
    }
    this.recover(shard, true, message);
  }

  private onHandOffResync(shard: Shard, err: Error): void {
    this.handOffResyncCount++;
    const code = err instanceof SandboxError ? err.code : 'sandbox.shard.internal';
    this.emit({ type: 'hand-off-resync', shard: shard.id, code, message: err.message });
  }

  private onWorkerFailure(shard: Shard, err: Error): void {
    const message = `shard ${shard.id} worker failed: ${err.message.slice(0, 300)}`;
    this.emit({ type: 'shard-reset', shard: shard.id, reason: 'worker-failure', message });
    this.recover(shard, false, message);
  }

  /**
   * Resets a shard. The item its worker was running is the suspect: past its wall clock
   * (`timeout`, already charged by onStuck), or running when the worker died (`trap`, charged here
   * to its agent's restart policy, so an agent that kills its worker again and again ends failed).
   */
  private recover(shard: Shard, stuck: boolean, message: string): void {
    if (this.closed) return;
    const { report, batches } = shard.reset(stuck);
    const answer = new Map<Work, WorkResult>();
    const stuckWork = report.stuck ? report.stuck.batch[report.stuck.index]! : null;
    if (stuckWork && !stuck) {
      const rec = this.agents.get(stuckWork.agent);
      const blame = `the shard's worker died while running this agent's work (${message})`;
      if (rec) {
        const verdict = this.chargeCrash(rec);
        rec.lastError = errorInfo(crashError('trap', blame, { agent: stuckWork.agent }));
        this.setState(rec, verdict === 'fail' ? 'failed' : 'idle', blame);
        if (verdict === 'restart') this.delayRestart(rec);
      }
      answer.set(stuckWork, this.synthetic(stuckWork, 'trap', blame));
    } else if (stuckWork) answer.set(stuckWork, this.synthetic(stuckWork, 'timeout', message));
    for (const w of report.interrupted) answer.set(w, this.synthetic(w, 'unavailable', `not completed: ${message}`));
    for (const b of batches) b.resolve(b.batch.map((w) => answer.get(w)!));
    this.redeploy(shard);
  }

  /**
   * Re-deploys every agent of a fresh shard (fresh instances; failed agents stay down), one at a
   * time and each under the same deadline as a first deploy: an init that only misbehaves on a
   * restart cannot hang the shard for good. The one that misses its deadline is charged, marked
   * failed, and the shard is reset again (re-deploying the rest).
   */
  private redeploy(shard: Shard): void {
    const generation = shard.generation;
    shard.ready = (async () => {
      await this.pushDirectory(shard);
      for (const [name, spec] of [...shard.agents]) {
        if (shard.generation !== generation || this.closed) return; // reset again meanwhile
        const rec = this.agents.get(name);
        if (!rec || rec.shard !== shard || rec.state === 'failed') continue;
        const deadline = Math.max(10 * rec.limits.wallClockMs, this.opts.minInitDeadlineMs ?? MIN_INIT_DEADLINE_MS);
        let timedOut = false;
        try {
          await this.ensureArtifact(shard, spec.artifact.digest);
          // The state as committed so far, not as deployed.
          const current: PreparedAgentSpec =
            rec.committed === null && rec.stateLimits === undefined
              ? { ...spec, state: undefined }
              : { ...spec, state: { entries: rec.committed ? [...rec.committed] : [], limits: rec.stateLimits } };
          const report = await withDeadline(
            shard.request<StartReport>({ op: 'deploy', spec: current, carried: rec.ledger, replace: false }),
            deadline,
            () => {
              timedOut = true;
              return new SandboxError(
                'sandbox.agent.init-timeout',
                `agent ${name} did not finish restarting within ${deadline} ms after a reset of shard ${shard.id}`,
                {
                  context: { agent: name, kind: 'timeout' },
                  hint: 'init() blocked outside metered code, or fuelPerInit is far too high: fix the agent or its limits.',
                },
              );
            },
          );
          this.setState(rec, report.state, '');
        } catch (e) {
          if (shard.generation !== generation) return;
          const err = e as Error;
          rec.lastError =
            err instanceof SandboxError ? errorInfo(err) : { code: 'sandbox.shard.internal', message: err.message, context: {} };
          this.chargeCrash(rec);
          this.setState(rec, 'failed', `re-deploy after shard reset failed: ${err.message}`);
          if (timedOut) {
            this.emit({ type: 'shard-reset', shard: shard.id, reason: 'timeout', agent: name, message: err.message });
            this.recover(shard, false, err.message); // the worker is stuck in that init: replace it
            return;
          }
        }
      }
    })();
  }

  private async pushDirectory(shard: Shard): Promise<void> {
    if (this.directory !== EMPTY_DIRECTORY) await shard.request({ op: 'directory', snapshot: this.directory }).catch(() => undefined);
  }

  // ---------- observation ----------

  state(name: string): InstanceState | undefined {
    return this.agents.get(name)?.state;
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  /** Per-agent metrics: the pool's view merged with the shard's live numbers (memory, instances). */
  async metrics(name?: string): Promise<PoolAgentMetrics[]> {
    const recs = name ? [this.agents.get(name)].filter((r): r is PlacedAgent => !!r) : [...this.agents.values()];
    const byShard = new Map<Shard, PlacedAgent[]>();
    for (const r of recs) byShard.set(r.shard, [...(byShard.get(r.shard) ?? []), r]);
    const out: PoolAgentMetrics[] = [];
    await Promise.all(
      [...byShard].map(async ([shard, list]) => {
        const live = await shard
          .request<(AgentMetrics | null)[]>({ op: 'metrics', names: list.map((r) => r.spec.name) })
          .catch(() => list.map(() => null));
        list.forEach((rec, i) => {
          const m = live[i] ?? null;
          out.push({
            agent: rec.spec.name,
            digest: rec.spec.artifact.digest,
            path: rec.path,
            shard: shard.id,
            state: rec.state,
            restarts: rec.ledger.restarts,
            crashes: m?.crashes ?? 0,
            instantiations: m?.instantiations ?? 0,
            handled: m?.handled ?? 0,
            completed: rec.completed,
            fuelUsedTotal: rec.fuelUsedTotal,
            memoryPages: rec.state === 'failed' ? 0 : (m?.memoryPages ?? 0),
            lastError: rec.lastError ?? m?.lastError ?? null,
            restartHistory: [...rec.ledger.restartHistory],
            restartDelayMs: rec.backoff.remaining(this.clock()),
            consecutiveCrashes: rec.backoff.consecutiveCrashes,
            refusals: m?.refusals ?? zeroCounters(),
          });
        });
      }),
    );
    return out.sort((a, b) => a.agent.localeCompare(b.agent));
  }

  /** Events are rare here (resets, failures); still built only for a listener that wants them. */
  private emit(event: PoolEvent): void {
    if (this.events.wants(event.type)) this.events.emit(event);
  }

  private assertOpen(): void {
    if (this.closed) throw new SandboxError('sandbox.pool.closed', 'the shard pool is closed', { context: {} });
  }

  /** Terminates every shard. Pending work is abandoned. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.shards.map((s) => s.close()));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
