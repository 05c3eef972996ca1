/**
 * The host side of the world for one agent: the `caxton:agent/host` functions, operating on world
 * values (wit-values.ts) so both binding paths share them. Effects (sends, timers, directory
 * changes, logs) are collected per call and handed back with the result — never applied here.
 * `now`, `new-id` and `search-services` answer synchronously; search reads the directory snapshot
 * the host pushed. Every call pays its function's price (cost-model.ts, decision 2133) and fuel for
 * the data it moves.
 *
 * Bounds, in the order they apply (docs/sandbox.md, decision 0460):
 * - lifting: the binding counts what it lifts against `liftCaps` (lift-budget.ts) before the host
 *   allocates, and pays its fuel up front (`payLift`);
 * - content: an outgoing message must pass the same ACL validation the bus applies, so a send
 *   the bus would drop fails here, in the agent, with the reason;
 * - quotas: per call (outbox, timers, directory changes, log lines and bytes) and per second
 *   (token buckets for sends, bytes sent and directory changes; they live as long as the agent's
 *   sandbox, across instances).
 * A refusal where the world has a `result` (send, register-service) is that result's error; where
 * it has none it is thrown, kept as the call's fault (re-thrown by the instance's afterCall, so a
 * guest that catches the exception still ends as crashed) and the call ends as a typed crash.
 * Every refusal is counted (`counters`).
 *
 * State (decision 1600) reads and writes the agent's StateView (state-view.ts): the view outlives
 * instances, the bridge only routes calls to it and charges for them; the sandbox commits or
 * discards the call's writes. `fetch` (decision 1601) checks the request (http-request.ts) and
 * buffers an HttpCall plus the reserved state write of its pending-call record, so the record
 * commits atomically with the handling that made the call.
 *
 * Topics (decision 1961): `subscribe`/`unsubscribe` check the name and the filter with core's
 * parser and queue a directory change, applied by the node only if the call completes (like a
 * service registration, under the same directory-change quotas).
 */
import {
  AclError,
  excerpt,
  DEFAULT_ACL_LIMITS,
  utf8ByteLength,
  requireReceivers,
  validateAclMessage,
  httpPendingStateKey,
  TOPIC_PREFIX,
} from '@caxton/core';
import type { AclMessage, AclLimits } from '@caxton/core';
import { hostBytesFuel, hostCallFuel } from '../fuel/cost-model.js';
import type { HostFunction } from '../fuel/cost-model.js';
import type { FuelMeter } from '../fuel/meter.js';
import { AbiViolation } from '../errors.js';
import type { SandboxError } from '../errors.js';
import type { LogLevel } from '@caxton/core';
import type { Effects } from '../results.js';
import { emptyEffects, NONE } from '../results.js';
import { messageFromWit, withoutGuestTraceContext, witMessageSize, witServiceSize } from './convert.js';
import { searchDirectory } from './directory.js';
import type { HostLiftCaps } from './lift-budget.js';
import { hostLiftCaps } from './lift-budget.js';
import type { RefusalCounters } from './quotas.js';
import { RateQuotas, zeroCounters } from './quotas.js';
import { HostArgumentRefused, LiftLimitExceeded, QuotaExceeded } from './refusals.js';
import { StateView } from './state-view.js';
import type { HostCalls } from './host-calls.js';
import type { BridgeEnv } from './bridge-env.js';
import { StateHost } from './state-host.js';
import { HttpHost } from './http-host.js';
import { A2aHost } from './a2a-host.js';
import { TopicsHost } from './topics-host.js';
import { MessageInfoHost } from './message-info-host.js';
import { AgentSeed, type HandlingSeed } from './handling-seed.js';
import type { WitAclMessage, WitAgentId, WitLogLevel, WitResult, WitServiceDescription } from './wit-values.js';

export type { RefusalCounters } from './quotas.js';
export { MAX_SERVICE_ENTRIES, MAX_TIMER_TOKEN } from './lift-budget.js';

export type { BridgeEnv } from './bridge-env.js';

/** The reserved state key of a pending HTTP call's record (decision 1601; core's, shared with the gateway). */
export const httpPendingKey = httpPendingStateKey;

/** The monotonic clock's origin: the process's start of it (never zero once read: Go's runtime refuses a zero). */
const MONOTONIC_START = process.hrtime.bigint() - 1_000_000_000n;

export class HostBridge implements HostCalls {
  /** The other interfaces of the world, one host each (as wasmtime generates a host trait per interface). */
  readonly hosts: { state: StateHost; http: HttpHost; a2a: A2aHost; topics: TopicsHost; messageInfo: MessageInfoHost };
  /** The current instance's meter (replaced when the agent is re-instantiated). */
  meter: FuelMeter | null = null;
  readonly counters: RefusalCounters = zeroCounters();
  /** Lift caps of the host functions' arguments (the bindings count against them). */
  readonly liftCaps: HostLiftCaps;
  /** What the call running now did (read by the interfaces' hosts: replaced at each call). */
  effects: Effects = emptyEffects();
  private logBytes = 0;
  /**
   * Set when a host call threw (a refusal, out-of-fuel, an ABI violation): re-thrown by `checkFault`
   * even if the guest caught it, so the call ends as crashed whatever the guest does.
   */
  private fault: { error: unknown } | null = null;
  /** Fuel for this call's lifted bytes was already charged by the binding (`payLift`); its price was not. */
  private paid = false;
  /**
   * A refusal the binding decided before lifting (arguments over their caps): the next call of a
   * function with a `result` returns it as its error (get and keys answer none / nothing).
   */
  private pendingRefusal: { val: unknown } | null = null;
  /** `init` is running: state is read-only and fetch is refused (nothing of init is committed). */
  inInit = false;
  /** The conversation of the message being handled (recorded with each HTTP call it starts). */
  conversationId: string | undefined = undefined;
  /** The message being handled, for `caxton:agent/message-info` (decision 2001); null outside `handle`. */
  message: AclMessage | null = null;
  /**
   * Set by a binding whose lifting happens outside our code (jco): every host function with lifted
   * arguments must then have been reached through the lift guard (`guardPassed`), or the call ends.
   */
  requireGuard = false;
  private guardPassed = false;
  readonly acl: AclLimits;
  private readonly seed: AgentSeed;
  /**
   * The work the call running now handles (its id and time); undefined in init and between calls.
   * Its seed is made on the first id or insecure byte it asks for: most handlings ask for none,
   * and this is set for every message handled.
   */
  private workId: string | undefined = undefined;
  private workAt = 0;
  private handling: HandlingSeed | null = null;
  /** Secure random bytes the current call read (real randomness: a replay of it may differ). */
  secureRandomBytes = 0;
  /** Times the current call read a clock (the host's time: a replay of it may differ, decision 2174). */
  clockReads = 0;
  /**
   * What the current call's first wall-clock read returned (ms since epoch), undefined until it
   * reads it: recorded with the handling's commit, so a replay's first read returns it (decision 2178).
   */
  firstClockMs: number | undefined = undefined;
  /** A replay's recorded first read, and the host's time at the replay's first read (later ones move on from it). */
  private recordedClock: number | undefined = undefined;
  private recordedFrom: number | undefined = undefined;
  /** `acl` with room left for the sender the bus stamps (validated without it: copying the message costs µs). */
  private readonly sendAcl: AclLimits;
  /**
   * Bytes the bus adds to each bare receiver or reply-to name it qualifies (`@<platform>`, read
   * from this agent's identity). The bus trusts this check for the whole message and re-checks
   * only the addresses (decision 1201), so the room is left here.
   */
  private readonly qualifyBytes: number;
  private readonly rates: RateQuotas;
  /** The agent's state view (owned by its sandbox, shared by its instances). */
  readonly state: StateView;

  constructor(readonly env: BridgeEnv) {
    this.state = env.state ?? new StateView();
    const acl = (this.acl = env.acl ?? DEFAULT_ACL_LIMITS);
    this.sendAcl = Object.freeze({ ...acl, maxMessageBytes: Math.max(0, acl.maxMessageBytes - utf8ByteLength(env.agent)) });
    const at = env.agent.lastIndexOf('@');
    this.qualifyBytes = at < 0 ? 0 : utf8ByteLength(env.agent.slice(at));
    this.rates = new RateQuotas(env.limits);
    this.seed = env.seed ?? new AgentSeed(env.agent, '');
    this.liftCaps = hostLiftCaps(env.limits, acl, this.state.limits, env.http);
    const http = new HttpHost(this);
    this.hosts = {
      state: new StateHost(this),
      http,
      a2a: new A2aHost(this, http),
      topics: new TopicsHost(this),
      messageInfo: new MessageInfoHost(this),
    };
  }

  /** Starts collecting effects for a new call. */
  begin(): void {
    const e = this.effects;
    if (
      e.outbox.length > 0 ||
      e.timers.length > 0 ||
      e.directory.length > 0 ||
      e.http.length > 0 ||
      e.logs.length > 0 ||
      e.droppedLogLines > 0
    ) {
      this.effects = emptyEffects();
    }
    this.inInit = false;
    this.conversationId = undefined;
    this.message = null;
    this.env.unknownReceivers?.begin();
    this.state.begin(false);
    this.logBytes = 0;
    this.fault = null;
    this.workId = undefined;
    this.handling = null;
    this.secureRandomBytes = 0;
    this.clockReads = 0;
    this.firstClockMs = undefined;
    this.recordedClock = undefined;
    this.paid = false;
    this.pendingRefusal = null;
    this.guardPassed = false;
  }

  /**
   * The call about to run handles work `workId` of time `at` (a delivery's acceptedAt, a timer's
   * due time): from here to the next `begin`, ids and insecure randomness derive from them. Its
   * clock reads start here (an instance created for it ran init before: those are not its), and a
   * replay's `recordedClock` is what the first one returns (decision 2178).
   */
  beginWork(workId: string, at: number, recordedClock?: number): void {
    this.workId = workId;
    this.workAt = at;
    this.clockReads = 0;
    this.firstClockMs = undefined;
    this.recordedClock = recordedClock;
    this.recordedFrom = undefined;
  }

  /** The time of the work being handled (ms: its message's acceptance, its timer's due time): the same on every handling of it. */
  get workTime(): number {
    return this.workAt;
  }

  /**
   * The time the guest sees, ms since epoch: the host's (`env.clock`), whole milliseconds. Not
   * derived from the work (decision 2174): a handling waits on it and computes deadlines from it, so
   * it must be the time it runs at; reads are counted so a replay can say a handling depended on it.
   */
  wallClockMs(): number {
    this.clockReads++;
    const real = this.env.clock();
    let ms: number;
    if (this.recordedClock === undefined) ms = Math.floor(real);
    else {
      this.recordedFrom ??= real;
      ms = this.recordedClock + Math.floor(real - this.recordedFrom);
    }
    this.firstClockMs ??= ms;
    return ms;
  }

  /** The guest's monotonic clock, ns (the host's; counted like the wall clock). */
  monotonicNs(): bigint {
    this.clockReads++;
    return process.hrtime.bigint() - MONOTONIC_START;
  }

  /** Insecure random bytes: the handling's derived stream, real randomness outside one. */
  insecureRandom(n: number): Uint8Array | undefined {
    return this.handlingSeed()?.insecureBytes(n);
  }

  /** An id: derived from the handling, random outside one (init runs anew at each start). */
  nextId(): string {
    return this.handlingSeed()?.nextId() ?? this.env.newId();
  }

  /** The running handling's seed (made on first use), or undefined outside a handling. */
  private handlingSeed(): HandlingSeed | undefined {
    if (this.workId === undefined) return undefined;
    return (this.handling ??= this.seed.forWork(this.workId, this.workAt));
  }

  /** `init` starts (state read-only, no fetch) or ends. */
  setInit(inInit: boolean): void {
    this.inInit = inInit;
    this.state.begin(inInit);
  }

  /**
   * The message being handled, or null for a timer: its conversation is recorded with the HTTP
   * calls it starts, and its receivers are paged by `message-info`.
   */
  setMessage(message: AclMessage | null): void {
    this.message = message;
    this.conversationId = message?.conversationId;
  }

  /**
   * The effects collected since `begin`. Only the lists the call filled are handed over (and
   * replaced here); a list it left empty goes out as the shared frozen `NONE` and stays with the
   * bridge: most calls send one message and nothing else, so this allocates one list, not five
   * and their record per call (decision 2112). No list handed over is ever added to again.
   */
  take(): Effects {
    const e = this.effects;
    const taken: Effects = {
      outbox: e.outbox.length === 0 ? NONE : e.outbox,
      timers: e.timers.length === 0 ? NONE : e.timers,
      directory: e.directory.length === 0 ? NONE : e.directory,
      stateWrites: e.stateWrites.length === 0 ? NONE : e.stateWrites,
      http: e.http.length === 0 ? NONE : e.http,
      logs: e.logs.length === 0 ? NONE : e.logs,
      droppedLogLines: e.droppedLogLines,
    };
    if (taken.outbox !== NONE) e.outbox = [];
    if (taken.timers !== NONE) e.timers = [];
    if (taken.directory !== NONE) e.directory = [];
    if (taken.stateWrites !== NONE) e.stateWrites = [];
    if (taken.http !== NONE) e.http = [];
    if (taken.logs !== NONE) e.logs = [];
    e.droppedLogLines = 0;
    this.logBytes = 0;
    return taken;
  }

  /** Throws the refusal that ended this call, if any (a guest may have caught it: it still counts). */
  checkFault(): void {
    if (this.fault) throw this.fault.error;
  }

  /** Records that a host call threw `error` (the bindings call this for every host function). */
  noteFault(error: unknown): void {
    this.fault ??= { error };
  }

  private fail(error: SandboxError): never {
    this.noteFault(error);
    throw error;
  }

  /** A call of `fn` (the flat HOST_CALL_COST without one: refusals, unpriced calls) moving `bytes`. */
  charge(bytes: number, fn?: HostFunction): void {
    this.meter?.charge(hostCallFuel(bytes, fn));
  }

  /** More data of a call whose price was already charged (a result handed back). */
  chargeBytes(bytes: number): void {
    this.meter?.charge(hostBytesFuel(bytes));
  }

  /** Charges lifting an export's `result` error string of `units` code units. */
  chargeResult(units: number): void {
    this.charge(units);
  }

  /**
   * Charges the `bytes` the binding counted, before the values are built (so a lift the budget
   * cannot pay for is never made); the call's price is charged when it runs (`chargeCall`).
   */
  payLift(bytes: number): void {
    this.paid = true;
    this.chargeBytes(bytes);
  }

  /** The price of `fn` and its arguments' `bytes`, less the bytes the binding paid for. */
  chargeCall(bytes: number, fn?: HostFunction): void {
    if (this.paid) {
      this.paid = false;
      this.charge(0, fn);
    } else this.charge(bytes, fn);
  }

  /**
   * A lift over its cap. For send/register-service the binding makes the call return this error
   * (`refuseNext`); for the other functions it calls `failLift`, which ends the call.
   */
  liftRefusal(e: LiftLimitExceeded, bytes: number): string {
    this.counters.liftLimit++;
    // Charged for what was looked at, up to the cap: a length the guest claims (1 GiB) is never read.
    this.charge(Math.min(bytes, e.measure === 'units' ? e.limit : 8 * e.limit));
    return e.message;
  }

  /** The lift guard checked the arguments of the host call now being made. */
  passGuard(): void {
    this.guardPassed = true;
  }

  /**
   * A host function with lifted arguments reached without the guard (a component wiring a host
   * function to a core import the guard does not know) ends the call: its lift was not bounded.
   */
  checkGuard(fn: string): void {
    if (!this.requireGuard) return;
    if (this.guardPassed) {
      this.guardPassed = false;
      return;
    }
    this.counters.liftLimit++;
    this.fail(new AbiViolation(`${fn}: reached through a core import the sandbox does not guard, so its arguments were lifted unbounded`));
  }

  /** Makes the next call with a `result` return `val` as its error without looking at its argument. */
  refuseNext(val: unknown): void {
    this.pendingRefusal = { val };
  }

  /** Ends the call: an argument of a function without `result` was over its lift cap or refused. */
  failLift(e: LiftLimitExceeded | HostArgumentRefused): never {
    if (e instanceof LiftLimitExceeded) this.counters.liftLimit++;
    else this.counters.badArgument++;
    return this.fail(e);
  }

  takeRefusal<V>(): { tag: 'err'; val: V } | null {
    const r = this.pendingRefusal;
    if (r === null) return null;
    this.pendingRefusal = null;
    this.paid = false;
    return { tag: 'err', val: r.val as V };
  }

  private note(level: LogLevel, message: string, source: 'agent' | 'stdout' | 'stderr'): void {
    const e = this.effects;
    const max = this.env.limits.maxLogLineLength;
    const line = message.length > max ? `${message.slice(0, max)}…` : message;
    if (e.logs.length >= this.env.limits.maxLogLines || this.logBytes + line.length > this.env.limits.maxLogBytes) {
      e.droppedLogLines++;
      this.counters.logLinesDropped++;
      return;
    }
    this.logBytes += line.length;
    e.logs.push({ level, message: line, source, at: this.env.clock() });
  }

  send(message: WitAclMessage): WitResult {
    return this.sendEither(message, null, 0);
  }

  /**
   * `send` of a message the binding lifted straight to the runtime's shape (`GuestMemory.messageAcl`:
   * what `messageFromWit` makes of the world value, `units` its `witMessageSize`), decision 2108.
   */
  sendLifted(message: AclMessage, units: number): WitResult {
    return this.sendEither(null, message, units);
  }

  /** One of `wit` (measured and converted here) or `lifted` (measured as `units` by the binding). */
  private sendEither(wit: WitAclMessage | null, lifted: AclMessage | null, units: number): WitResult {
    this.checkGuard('send');
    const refused = this.takeRefusal<string>();
    if (refused) return refused;
    const size = wit !== null ? witMessageSize(wit) : units;
    this.chargeCall(size, 'send');
    const { limits } = this.env;
    const { outbox } = this.effects;
    if (outbox.length >= limits.maxOutbox) {
      this.counters.outboxFull++;
      return { tag: 'err', val: `outbox full: at most ${limits.maxOutbox} messages per call` };
    }
    if (size > limits.maxMessageBytes) {
      this.counters.invalidMessage++;
      return { tag: 'err', val: `the message is too large (${size} > ${limits.maxMessageBytes})` };
    }
    // Trace context is the runtime's to give (decision 2202): a guest's own is dropped before the checks.
    const msg = withoutGuestTraceContext(wit !== null ? messageFromWit(wit) : lifted!);
    const invalid = this.validate(msg);
    if (invalid !== null) {
      this.counters.invalidMessage++;
      return { tag: 'err', val: invalid };
    }
    // Every receiver one the bus refused as unknown, and nothing routable since (decision 2123):
    // refused here, as the bus would, without the send crossing to the bus thread.
    const unknown = this.env.unknownReceivers?.refusing(msg.receivers);
    if (unknown !== undefined) {
      this.counters.invalidMessage++;
      return { tag: 'err', val: excerpt(`no agent named ${unknown.map((r) => r.name).join(', ')}`, 512) };
    }
    const quota = this.rates.takeSend(size, this.env.clock(), this.passesOn(msg, outbox.length));
    if (quota !== null) {
      this.counters[quota]++;
      return {
        tag: 'err',
        val: `quota exceeded: at most ${limits[quota]} ${quota === 'sendsPerSecond' ? 'sends' : 'bytes sent'} per second`,
      };
    }
    outbox.push(msg);
    return undefined;
  }

  /**
   * Whether this send passes on the delivery being handled (decision 2173): the handling's first
   * accepted send, to exactly one named receiver. A message to several receivers, or to a topic
   * (as many deliveries as subscribers), multiplies what the agent was handed and pays its token.
   */
  private passesOn(msg: AclMessage, sent: number): boolean {
    if (this.message === null || sent > 0 || msg.receivers.length !== 1) return false;
    return !msg.receivers[0]!.name.startsWith(TOPIC_PREFIX);
  }

  /** The bus's validation of a message being sent (leaving room for the sender it will stamp), as an error text. */
  private validate(msg: ReturnType<typeof messageFromWit>): string | null {
    try {
      requireReceivers(msg);
      const growth = this.qualifyBytes * (bareNames(msg.receivers) + (msg.replyTo === undefined ? 0 : bareNames(msg.replyTo)));
      validateAclMessage(
        msg,
        growth === 0 ? this.sendAcl : { ...this.sendAcl, maxMessageBytes: Math.max(0, this.sendAcl.maxMessageBytes - growth) },
      );
      return null;
    } catch (err) {
      if (err instanceof AclError) return excerpt(err.message, 512);
      throw err;
    }
  }

  log(level: WitLogLevel, message: string): void {
    this.checkGuard('log');
    this.chargeCall(message.length, 'log');
    this.note(level, message, 'agent');
  }

  /** Bytes one call may write to stdout and stderr together (`maxOutputBytes`). */
  get outputLimit(): number {
    return this.env.limits.maxOutputBytes;
  }

  /**
   * A call wrote `bytes` more to stdout/stderr than `maxOutputBytes` allows: they were dropped
   * unread (decision 2114). Counted, and told in the agent's log (within the call's log budget).
   */
  outputDropped(bytes: number): void {
    this.counters.outputDropped++;
    this.note(
      'warn',
      `[caxton] ${bytes} bytes written to stdout/stderr past the per-call limit of ${this.env.limits.maxOutputBytes} were dropped unread`,
      'stderr',
    );
  }

  /** A stdout/stderr line from WASI (charged by the WASI shim). */
  output(stream: 'stdout' | 'stderr', line: string): void {
    this.note(stream === 'stdout' ? 'info' : 'warn', line, stream);
  }

  now(): bigint {
    this.charge(0, 'now');
    return BigInt(this.wallClockMs());
  }

  newId(): string {
    const id = this.nextId();
    this.charge(id.length, 'new-id');
    return id;
  }

  setTimer(delayMs: number, token: string): void {
    this.checkGuard('set-timer');
    this.chargeCall(token.length, 'set-timer');
    const { limits } = this.env;
    if (token.length > this.liftCaps.timerToken) {
      this.counters.badArgument++;
      this.fail(new HostArgumentRefused('set-timer', `the token is longer than ${this.liftCaps.timerToken} code units`));
    }
    const { timers } = this.effects;
    if (timers.length >= limits.maxTimers) {
      this.counters.timers++;
      this.fail(new QuotaExceeded('maxTimers', `set-timer: at most ${limits.maxTimers} timers per call`));
    }
    timers.push({ delayMs: Math.max(delayMs >>> 0, limits.minTimerDelayMs), token });
  }

  /**
   * Why a directory change of `units` code units is refused now (per call, per second, text per
   * second), or null (and the change is counted).
   */
  directoryQuota(units: number): string | null {
    const { limits } = this.env;
    if (this.effects.directory.length >= limits.maxDirectoryOps) return `at most ${limits.maxDirectoryOps} directory changes per call`;
    const refused = this.rates.takeDirectoryChange(units, this.env.clock());
    if (refused === 'directoryChangesPerSecond') return `at most ${limits.directoryChangesPerSecond} directory changes per second`;
    if (refused === 'directoryBytesPerSecond')
      return `at most ${limits.directoryBytesPerSecond} code units of directory changes per second (this one is ${units})`;
    return null;
  }

  registerService(service: WitServiceDescription): WitResult {
    this.checkGuard('register-service');
    const refused = this.takeRefusal<string>();
    if (refused) return refused;
    const size = witServiceSize(service);
    this.chargeCall(size, 'register-service');
    if (service.name.length === 0) return { tag: 'err', val: 'the service has no name' };
    if (service.type.length === 0) return { tag: 'err', val: 'the service has no type' };
    const field = this.liftCaps.serviceField;
    if (service.name.length > field || service.type.length > field) {
      this.counters.badArgument++;
      return { tag: 'err', val: `the service's name and type are limited to ${field} code units` };
    }
    if (size > this.env.limits.maxServiceBytes) {
      this.counters.badArgument++;
      return { tag: 'err', val: `the service description is too large (${size} > ${this.env.limits.maxServiceBytes})` };
    }
    const quota = this.directoryQuota(size);
    if (quota !== null) {
      this.counters.directoryChanges++;
      return { tag: 'err', val: `quota exceeded: ${quota}` };
    }
    this.effects.directory.push({
      kind: 'register-service',
      service: {
        name: service.name,
        type: service.type,
        protocols: [...service.protocols],
        ontologies: [...service.ontologies],
        languages: [...service.languages],
        properties: Object.fromEntries(service.properties),
      },
    });
    return undefined;
  }

  deregisterService(name: string): void {
    this.checkGuard('deregister-service');
    this.chargeCall(name.length, 'deregister-service');
    if (name.length > this.liftCaps.serviceField) {
      this.counters.badArgument++;
      this.fail(new HostArgumentRefused('deregister-service', `service names are limited to ${this.liftCaps.serviceField} code units`));
    }
    const quota = this.directoryQuota(name.length);
    if (quota !== null) {
      this.counters.directoryChanges++;
      this.fail(new QuotaExceeded('directory changes', `deregister-service: ${quota}`));
    }
    this.effects.directory.push({ kind: 'deregister-service', serviceName: name });
  }

  searchServices(type: string): WitAgentId[] {
    this.checkGuard('search-services');
    if (type.length > this.liftCaps.serviceField) {
      this.counters.badArgument++;
      this.fail(new HostArgumentRefused('search-services', `service types are limited to ${this.liftCaps.serviceField} code units`));
    }
    const hits = searchDirectory(this.env.directory(), type);
    let size = this.paid ? 0 : type.length;
    this.paid = false;
    for (const h of hits) {
      size += h.name.length;
      for (const a of h.addresses) size += a.length;
    }
    this.charge(size, 'search-services');
    return hits;
  }

  /** The functions as jco's glue imports them (`imports['caxton:agent/host']`). */
  jcoImports(): Record<string, unknown> {
    return {
      send: (m: WitAclMessage) => this.send(m),
      log: (level: WitLogLevel, message: string) => this.log(level, message),
      now: () => this.now(),
      newId: () => this.newId(),
      setTimer: (delay: number, token: string) => this.setTimer(delay, token),
      registerService: (s: WitServiceDescription) => this.registerService(s),
      deregisterService: (name: string) => this.deregisterService(name),
      searchServices: (type: string) => this.searchServices(type),
    };
  }
}

/** Names the bus will qualify with `@<platform>` (those without an `@`). */
function bareNames(ids: readonly { name: string }[]): number {
  let n = 0;
  for (const id of ids) if (!id.name.includes('@')) n++;
  return n;
}
