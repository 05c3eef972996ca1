/**
 * One agent in the sandbox: its artifact, identity, config and limits, its current instance (if
 * any), its restart history. Runs work synchronously and always answers with a WorkResult.
 *
 * Lifecycle: `start()` instantiates and runs init() (an init error fails the deployment). A crash
 * discards the instance — its memory, and so any state the agent kept there, is lost — and the next
 * piece of work gets a fresh instance (init runs again; its effects are merged into that work's
 * result). Crashes beyond the restart policy make the agent `failed`: no instance, no more work.
 *
 * The agent's durable state (decision 1600) lives here, not in the instance: a StateView made from
 * the entries the node passed, kept current with the writes of every completed call (`ok` or
 * `rejected`) and untouched by a crash, whose writes are discarded with its other effects.
 */
import type { Artifact } from './artifact/artifact.js';
import { instantiateDirect } from './direct/direct-instance.js';
import { SandboxError } from './errors.js';
import { FuelMeter } from './fuel/meter.js';
import { HostBridge } from './host/bridge.js';
import type { RefusalCounters } from './host/quotas.js';
import { StateView } from './host/state-view.js';
import type { StateEntries } from './host/state-view.js';
import { isNarrowed, messageToWit, narrowedReceiver } from './host/convert.js';
import type { DirectorySnapshot } from './host/directory.js';
import type { WitAgentId, WitInitContext } from './host/wit-values.js';
import type { GuestInstance, GuestReturn } from './instance.js';
import { instantiateWithJco } from './jco/jco-instance.js';
import type { AgentLimits } from './limits/limits.js';
import { resolveLimits } from './limits/limits.js';
import { DEFAULT_RESTART_POLICY, RestartTracker } from './restart-policy.js';
import { DEFAULT_HTTP_POLICY, type CrashKind, type Delivery, type StateLimits } from '@caxton/core';
import type { AgentSpec, RestartCarryOver } from './agent-spec.js';
import type { Effects, ErrorInfo, InstanceState, Work, WorkResult } from './results.js';
import { emptyEffects, messageIdOf, workIdOf, workTimeOf } from './results.js';
import { AgentSeed } from './host/handling-seed.js';
import type { Crash } from './traps.js';
import { classifyCrash, crashError, errorInfo } from './traps.js';
import { UnknownReceivers, type RoutingEpoch } from './host/unknown-receivers.js';

/** Passed for a message that is not narrowed: `messageToWit` converts it whole and ignores it. */
const NOT_NARROWED: readonly WitAgentId[] = Object.freeze([]);

export interface AgentEnv {
  directory: () => DirectorySnapshot;
  clock: () => number;
  newId: () => string;
  /** The node's routing epoch, when the bus tells this sandbox which receivers it refused as unknown (decision 2123). */
  routing?: RoutingEpoch;
}

export interface AgentMetrics {
  agent: string;
  digest: string;
  path: 'direct' | 'jco';
  state: InstanceState;
  restarts: number;
  crashes: number;
  instantiations: number;
  handled: number;
  fuelUsedTotal: number;
  memoryPages: number;
  lastError: ErrorInfo | null;
  restartHistory: number[];
  /** What the host refused or dropped since the agent was deployed here (state and http included). */
  refusals: RefusalCounters;
}

export interface StartReport extends Effects {
  agent: string;
  fuelUsed: number;
  durationUs: number;
  state: InstanceState;
}

/** The time (`performance.now()`) where the next item of a batch starts: the end of the last one. */
export interface ItemClock {
  at: number;
}

/** Microseconds since `t0`, read now; the reading is left in `clock` as the next item's start. */
function elapsedUs(t0: number, clock: ItemClock | undefined): number {
  const now = performance.now();
  if (clock !== undefined) clock.at = now;
  return Math.round((now - t0) * 1000);
}

type CallOutcome = { kind: 'returned'; value: GuestReturn } | { kind: 'crashed'; crash: Crash };

export class AgentSandbox {
  readonly name: string;
  readonly artifact: Artifact;
  readonly limits: AgentLimits;
  private readonly ctx: WitInitContext;
  /** The platform of this agent's identity (`name@platform`): receiver entries name mailboxes with it. */
  private readonly platform: string | undefined;
  /** What a narrowed delivery no receiver entry names (a topic's) reads as `receivers`: the agent's bus id. */
  private busSelf: { receiver: string; ids: readonly WitAgentId[] } | undefined;
  private readonly bridge: HostBridge;
  private readonly stateView: StateView;
  private readonly tracker: RestartTracker;
  private instance: GuestInstance | null = null;
  private meter: FuelMeter | null = null;
  private state: InstanceState = 'idle';
  private crashes = 0;
  private instantiations = 0;
  /** Receivers the bus refused as unknown to this agent (decision 2123), kept across its instances. */
  readonly unknownReceivers: UnknownReceivers | undefined;
  private handled = 0;
  private fuelUsedTotal = 0;
  private lastError: ErrorInfo | null = null;

  /**
   * `artifact` is the prepared artifact `spec.artifact` refers to; `carried` the crash record of an
   * earlier instance of this agent (after a shard reset), so the restart policy keeps counting.
   */
  constructor(
    spec: AgentSpec,
    artifact: Artifact,
    private readonly env: AgentEnv,
    carried?: RestartCarryOver,
  ) {
    this.name = spec.name;
    this.artifact = artifact;
    this.limits = resolveLimits(spec.limits);
    if (this.artifact.minMemoryPages > this.limits.memoryPages) {
      throw new SandboxError(
        'sandbox.limits.memory-below-initial',
        `the agent's memory cap of ${this.limits.memoryPages} pages is below the ${this.artifact.minMemoryPages} pages its artifact starts with`,
        { context: { agent: spec.name, digest: artifact.digest }, hint: `Set memoryPages to at least ${this.artifact.minMemoryPages}.` },
      );
    }
    this.ctx = {
      self: { name: spec.name, addresses: spec.addresses ?? [] },
      config: Object.entries(spec.config ?? {}),
    };
    const at = this.ctx.self.name.lastIndexOf('@');
    this.platform = at < 0 ? undefined : this.ctx.self.name.slice(at + 1);
    this.tracker = new RestartTracker(
      { ...DEFAULT_RESTART_POLICY, ...spec.restartPolicy },
      carried?.restartHistory ?? [],
      carried?.restarts,
    );
    this.stateView = new StateView(spec.state?.entries ?? [], spec.state?.limits);
    this.unknownReceivers = env.routing === undefined ? undefined : new UnknownReceivers(env.routing);
    this.bridge = new HostBridge({
      agent: spec.name,
      limits: this.limits,
      directory: env.directory,
      clock: env.clock,
      newId: env.newId,
      seed: new AgentSeed(spec.seed?.name ?? spec.name, spec.seed === undefined ? '' : String(spec.seed.createdAt)),
      state: this.stateView,
      ...(spec.http === undefined ? {} : { http: { ...DEFAULT_HTTP_POLICY, ...spec.http } }),
      ...(spec.topics === undefined ? {} : { topics: spec.topics }),
      ...(this.unknownReceivers === undefined ? {} : { unknownReceivers: this.unknownReceivers }),
    });
  }

  /**
   * The `receivers` a delivery is narrowed to (decision 2001): the message's own entry for this
   * delivery's receiver, never the instance's identity (a replica's `name#r2@p`, a node's addresses).
   */
  private receiversSeen(d: Delivery): readonly WitAgentId[] {
    if (!isNarrowed(d.message)) return NOT_NARROWED;
    const entry = narrowedReceiver(d.message, d.receiver, this.platform);
    if (entry !== undefined) return entry;
    if (this.busSelf?.receiver !== d.receiver) {
      const name = this.platform === undefined ? d.receiver : `${d.receiver}@${this.platform}`;
      this.busSelf = { receiver: d.receiver, ids: Object.freeze([{ name, addresses: [] }]) };
    }
    return this.busSelf.ids;
  }

  /**
   * A message not narrowed is lowered straight from the runtime's value where the binding can
   * (the direct path): no world value, agent ids and lists built per delivery (decision 2108).
   */
  private handle(instance: GuestInstance, d: Delivery): GuestReturn {
    if (instance.handleAcl !== undefined && !isNarrowed(d.message)) return instance.handleAcl(d.message);
    return instance.handle(messageToWit(d.message, this.receiversSeen(d)));
  }

  /** Replaces the committed state view (the node knows this one is stale). */
  resetState(entries: StateEntries): void {
    this.stateView.reset(entries);
  }

  /** The host's refusal counters of this agent (a copy). */
  refusals(): RefusalCounters {
    return { ...this.bridge.counters };
  }

  /** The state limits this agent runs under. */
  get stateLimits(): StateLimits {
    return this.stateView.limits;
  }

  /** The committed state view, reserved entries included (to carry it to a new version). */
  stateEntries(): [string, string][] {
    return this.stateView.entries();
  }

  get currentState(): InstanceState {
    return this.state;
  }

  /**
   * Instantiates the agent and runs init(). Throws SandboxError `sandbox.agent.init-failed` when
   * init returns an error or the instance crashes while starting (the deployment fails).
   */
  start(): StartReport {
    const t0 = performance.now();
    this.bridge.begin();
    const crash = this.instantiate();
    const effects = this.bridge.take();
    const fuelUsed = this.meter?.used() ?? 0;
    if (crash) {
      this.state = 'failed';
      this.release();
      throw new SandboxError('sandbox.agent.init-failed', `agent ${this.name} failed to start: ${crash.message}`, {
        context: { agent: this.name, digest: this.artifact.digest, kind: crash.kind, fuelUsed },
        hint:
          crash.kind === 'trap' && crash.message.startsWith('init returned')
            ? "Fix the agent's config or its init()."
            : (crash.error.hint ?? undefined),
        cause: crash.error,
      });
    }
    return { agent: this.name, ...effects, fuelUsed, durationUs: Math.round((performance.now() - t0) * 1000), state: this.state };
  }

  /** Makes a fresh instance and runs init(); returns the crash if that failed. */
  private instantiate(): Crash | null {
    const meter = new FuelMeter();
    this.meter = meter;
    this.bridge.meter = meter;
    meter.begin(this.limits.fuelPerInit);
    const context = { agent: this.name, phase: 'init' };
    // From here to the end of init() (a reactor's `_initialize` included) state is read-only.
    this.bridge.setInit(true);
    let instance: GuestInstance;
    try {
      const env = { agent: this.name, bridge: this.bridge, meter, memoryCapPages: this.limits.memoryPages };
      instance = this.artifact.manifest.path === 'direct' ? instantiateDirect(this.artifact, env) : instantiateWithJco(this.artifact, env);
      this.instantiations++;
    } catch (err) {
      this.bridge.setInit(false);
      return classifyCrash(err, meter, this.limits.memoryPages, context);
    }
    const out = this.call(instance, meter, () => instance.init(this.ctx), context);
    this.bridge.setInit(false);
    this.fuelUsedTotal += meter.used();
    if (out.kind === 'crashed') {
      instance.release();
      return out.crash;
    }
    if (!out.value.ok) {
      instance.release();
      const message = `init returned an error: ${out.value.error}`;
      return { kind: 'trap', message, error: crashError('trap', message, context) };
    }
    this.instance = instance;
    this.state = 'running';
    return null;
  }

  private call(instance: GuestInstance, meter: FuelMeter, fn: () => GuestReturn, context: Record<string, unknown>): CallOutcome {
    try {
      const value = fn();
      instance.afterCall();
      meter.assertNotExhausted();
      return { kind: 'returned', value };
    } catch (err) {
      try {
        instance.afterCall();
      } catch {
        /* the instance is being discarded anyway */
      }
      return { kind: 'crashed', crash: classifyCrash(err, meter, this.limits.memoryPages, { ...context, fuelUsed: meter.used() }) };
    }
  }

  /**
   * Runs one piece of work. Never throws for guest behaviour. With `clock`, the call starts at
   * `clock.at` and leaves its own end there, so a batch reads the time once per item, the end of
   * one item being the start of the next (decision 2112); without it, it reads the time itself.
   */
  run(work: Work, clock?: ItemClock): WorkResult {
    const t0 = clock === undefined ? performance.now() : clock.at;
    const messageId = messageIdOf(work);
    if (this.state === 'failed' || this.state === 'stopped') {
      return {
        agent: this.name,
        workId: workIdOf(work),
        messageId,
        status: 'not-running',
        reason: `agent ${this.name} is ${this.state}`,
        ...emptyEffects(),
        fuelUsed: 0,
        initFuelUsed: 0,
        durationUs: 0,
        state: this.state,
        restarts: this.tracker.restarts,
      };
    }
    this.bridge.begin();
    let initFuelUsed = 0;
    if (!this.instance) {
      const crash = this.instantiate();
      initFuelUsed = this.meter?.used() ?? 0;
      if (crash) return this.crashed(work, crash, t0, 0, initFuelUsed, clock);
    }
    const instance = this.instance!;
    const meter = this.meter!;
    meter.begin(this.limits.fuelPerMessage);
    this.bridge.beginWork(workIdOf(work), workTimeOf(work, this.env.clock), work.clockAt);
    this.bridge.setMessage(work.kind === 'message' ? work.delivery.message : null);
    let value: GuestReturn;
    try {
      value = work.kind === 'message' ? this.handle(instance, work.delivery) : instance.onTimer(work.token);
      instance.afterCall();
      meter.assertNotExhausted();
    } catch (err) {
      try {
        instance.afterCall();
      } catch {
        /* the instance is being discarded anyway */
      }
      const fuel = meter.used();
      this.fuelUsedTotal += fuel;
      this.handled++;
      const context = {
        agent: this.name,
        messageId: messageId ?? undefined,
        timer: work.kind === 'timer' ? work.token : undefined,
        fuelUsed: fuel,
      };
      return this.crashed(work, classifyCrash(err, meter, this.limits.memoryPages, context), t0, fuel, initFuelUsed, clock);
    }
    const fuelUsed = meter.used();
    this.fuelUsedTotal += fuelUsed;
    this.handled++;
    const { secureRandomBytes, clockReads, firstClockMs } = this.bridge;
    const e = this.bridge.take();
    // Completed (ok or rejected): its state writes join the view and go back to be committed.
    const stateWrites = this.stateView.commit();
    const durationUs = elapsedUs(t0, clock);
    // Built once, status first (no spread of a finished object into a second one: this runs per
    // message, and the result's shape is the same for ok and rejected but for `reason`).
    const completed = {
      status: value.ok ? 'ok' : 'rejected',
      agent: this.name,
      workId: workIdOf(work),
      messageId,
      outbox: e.outbox,
      timers: e.timers,
      directory: e.directory,
      stateWrites,
      http: e.http,
      logs: e.logs,
      droppedLogLines: e.droppedLogLines,
      fuelUsed,
      initFuelUsed,
      durationUs,
      state: this.state,
      restarts: this.tracker.restarts,
    } as WorkResult;
    // A guest error (result err) completes the work like ok does: only the status differs.
    if (!value.ok) (completed as Extract<WorkResult, { status: 'rejected' }>).reason = value.error;
    if (secureRandomBytes > 0) completed.secureRandomBytes = secureRandomBytes;
    if (clockReads > 0) completed.clockReads = clockReads;
    if (firstClockMs !== undefined) completed.clockAt = firstClockMs;
    return completed;
  }

  private crashed(work: Work, crash: Crash, t0: number, fuelUsed: number, initFuelUsed: number, clock: ItemClock | undefined): WorkResult {
    const { logs, droppedLogLines } = this.bridge.take();
    this.stateView.discard();
    this.noteCrash(crash.kind);
    this.lastError = errorInfo(crash.error);
    return {
      agent: this.name,
      workId: workIdOf(work),
      messageId: messageIdOf(work),
      status: 'crashed',
      kind: crash.kind,
      message: crash.message,
      error: this.lastError,
      restartHistory: this.tracker.history(),
      outbox: [],
      timers: [],
      directory: [],
      stateWrites: [],
      http: [],
      logs,
      droppedLogLines,
      fuelUsed,
      initFuelUsed,
      durationUs: elapsedUs(t0, clock),
      state: this.state,
      restarts: this.tracker.restarts,
    };
  }

  /** Discards the instance and applies the restart policy. */
  private noteCrash(kind: CrashKind, at?: number): void {
    this.crashes++;
    this.release();
    if (kind === 'unavailable') {
      if (this.state !== 'failed') this.state = 'idle';
      return;
    }
    this.state = this.tracker.recordCrash(at ?? this.env.clock()) === 'fail' ? 'failed' : 'idle';
  }

  private release(): void {
    // Its memories go back to the pool for the next instance (decision 2194); it never runs again.
    this.instance?.release();
    this.instance = null;
    this.meter = null;
    this.bridge.meter = null;
  }

  stop(): void {
    this.release();
    this.state = 'stopped';
  }

  metrics(): AgentMetrics {
    return {
      agent: this.name,
      digest: this.artifact.digest,
      path: this.artifact.manifest.path,
      state: this.state,
      restarts: this.tracker.restarts,
      crashes: this.crashes,
      instantiations: this.instantiations,
      handled: this.handled,
      fuelUsedTotal: this.fuelUsedTotal,
      memoryPages: this.instance?.memoryPages() ?? 0,
      lastError: this.lastError,
      restartHistory: this.tracker.history(),
      refusals: this.refusals(),
    };
  }
}
