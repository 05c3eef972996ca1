/**
 * What running a piece of work in an agent produced. Plain data (it crosses worker boundaries):
 * the outcome, the fuel used and the agent's effects — collected, never applied here. The bus
 * applies outbox, timers and directory changes only for `ok` and `rejected` (a transactional
 * outbox); for `crashed` they are already empty: a crash discards them with the instance.
 */
import type { AclMessage, CrashKind, Delivery, HttpCall, LogLevel, ServiceDescription, StateWrite, TopicFilter } from '@caxton/core';

/**
 * An agent instance's state in the sandbox (not the operator's AgentState of @caxton/core, which
 * also has starting/upgrading/stopping…): `idle`: deployed, no live instance (made on demand);
 * `running`: live instance; `failed`: crash loop, nothing runs; `stopped`: undeployed.
 */
export type InstanceState = 'idle' | 'running' | 'failed' | 'stopped';

export interface LogLine {
  level: LogLevel;
  message: string;
  /** `agent`: the log host call; `stdout`/`stderr`: WASI output of the guest. */
  source: 'agent' | 'stdout' | 'stderr';
  at: number;
}

export interface TimerRequest {
  delayMs: number;
  token: string;
}

/**
 * A registry change the agent asked for: its directory entry, or its topic subscriptions (decision
 * 1961; the filter already parsed by core's parser). Applied in order once the call completes.
 */
export type DirectoryOp =
  | { kind: 'register-service'; service: ServiceDescription }
  | { kind: 'deregister-service'; serviceName: string }
  | { kind: 'subscribe-topic'; topic: string; filter?: TopicFilter }
  | { kind: 'unsubscribe-topic'; topic: string };

export interface Effects {
  outbox: AclMessage[];
  timers: TimerRequest[];
  directory: DirectoryOp[];
  /** State changes of this call, last write per key (decision 1600); committed with its completion. */
  stateWrites: StateWrite[];
  /** HTTP requests started in this call (decision 1601); they leave only if it completes. */
  http: HttpCall[];
  logs: LogLine[];
  /** Log lines beyond the per-call limit, dropped. */
  droppedLogLines: number;
}

/**
 * A piece of work for an agent: a message delivery or a timer firing. `agent` is the identity the
 * sandbox knows the agent by (`local@platform`); a delivery is the bus's own record, passed as is.
 */
export type Work = (
  | { kind: 'message'; agent: string; delivery: Delivery }
  /** `dueAt`: when the timer was due (ms since epoch), the time its handling sees (decision 2174); absent: the host's clock. */
  | { kind: 'timer'; id: string; agent: string; token: string; dueAt?: number }
) & {
  /**
   * A replay of a handling whose first clock read the log recorded (decision 2178): that read
   * returns it, later ones move on from it. In-thread runs only (the shard hand-off does not carry it).
   */
  clockAt?: number;
};

/** The time a handling of `work` sees (decision 2174): a delivery's acceptance, a timer's due time. */
export function workTimeOf(work: Work, clock: () => number): number {
  return work.kind === 'message' ? work.delivery.acceptedAt : (work.dueAt ?? clock());
}

/** The id a result answers to: the delivery id, or the caller's id for a timer firing. */
export function workIdOf(work: Work): string {
  return work.kind === 'message' ? work.delivery.id : work.id;
}

/** The message id of a delivery, null for a timer firing. */
export function messageIdOf(work: Work): string | null {
  return work.kind === 'message' ? work.delivery.messageId : null;
}

/** Serializable error details (the typed error is a SandboxError with the same code). */
export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  context: Record<string, unknown>;
}

export type Outcome =
  | { status: 'ok' }
  /** The guest returned an error: handling is complete. */
  | { status: 'rejected'; reason: string }
  /**
   * The instance crashed and was discarded; effects are empty. `restartHistory` is the crash record
   * of whoever counted this crash (the agent's sandbox, or the pool for crashes only it sees), so
   * the pool can carry it to a new shard without counting the crash a second time.
   */
  | { status: 'crashed'; kind: CrashKind; message: string; error: ErrorInfo; restartHistory: number[] }
  /** The agent is failed/stopped/unknown here: nothing ran. */
  | { status: 'not-running'; reason: string }
  /**
   * Not run, and not an attempt: an earlier item of the same agent in this batch did not complete
   * (it crashed, or the agent is not running), so running this one would let a later message be
   * handled before the earlier one's retry. The caller hands it out again after that retry.
   */
  | { status: 'skipped'; reason: string };

export type WorkResult = Outcome &
  Effects & {
    agent: string;
    /** The work id (delivery id, or the caller's id for a timer). */
    workId: string;
    /** Message id, or null for timer firings. */
    messageId: string | null;
    /** Fuel of this call (host calls included). */
    fuelUsed: number;
    /** Fuel of instantiating a fresh instance and its init() before this call (0 when the instance was live). */
    initFuelUsed: number;
    /**
     * Wall time of the call, microseconds (instantiation included when it happened); in a batch,
     * from the end of the item before (decision 2112), so the hand-over between items counts too.
     */
    durationUs: number;
    /** Agent state after this work. */
    state: InstanceState;
    restarts: number;
    /**
     * Secure random bytes (`wasi:random/random`) the call read: real randomness, so a run of the
     * same work again may differ where it used them (decision 2174). Absent: none. Set by an
     * in-thread run (what a replay uses); a shard worker's results do not carry it.
     */
    secureRandomBytes?: number;
    /** Times the call read a clock (the host's time: a run of it again sees another). In-thread runs only. */
    clockReads?: number;
    /**
     * What the call's first wall-clock read returned (ms since epoch); absent when it read none.
     * Carried back from shards too: the log records it with the commit (decision 2178).
     */
    clockAt?: number;
  };

/**
 * The list a result carries for an effect its call did not have: one shared, frozen empty array
 * (decision 2112). A call allocates only the lists it filled; a result's lists are read, encoded
 * and mapped, never added to (one that tried would throw, not corrupt another result).
 */
export const NONE: never[] = Object.freeze([]) as unknown as never[];

export function emptyEffects(): Effects {
  return { outbox: [], timers: [], directory: [], stateWrites: [], http: [], logs: [], droppedLogLines: 0 };
}

/** `work` was not run because `stopper`, an earlier item of the same agent, did not complete. */
export function skippedResult(work: Work, stopper: WorkResult): WorkResult {
  return {
    agent: work.agent,
    workId: workIdOf(work),
    messageId: messageIdOf(work),
    status: 'skipped',
    reason: `not run: ${stopper.workId} of the same agent did not complete (${stopper.status})`,
    ...emptyEffects(),
    fuelUsed: 0,
    initFuelUsed: 0,
    durationUs: 0,
    state: stopper.state,
    restarts: stopper.restarts,
  };
}
