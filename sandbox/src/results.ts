/**
 * What running a piece of work in an agent produced. Plain data (it crosses worker boundaries):
 * the outcome, the fuel used and the agent's effects — collected, never applied here. The bus
 * applies outbox, timers and directory changes only for `ok` and `rejected` (a transactional
 * outbox); for `crashed` they are already empty: a crash discards them with the instance.
 */
import type { AclMessage } from '@caxton/core';

export type CrashKind =
  | 'out-of-fuel'
  | 'out-of-memory'
  | 'trap'
  | 'stack-overflow'
  | 'malformed-result'
  | 'timeout'
  /** Not the agent's fault: its shard was reset because another agent timed out; retry it. */
  | 'unavailable';

/** `idle`: deployed, no live instance (made on demand); `failed`: crash loop, nothing runs. */
export type AgentState = 'idle' | 'running' | 'failed' | 'stopped';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

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

export interface ServiceDescription {
  name: string;
  type: string;
  protocols: string[];
  ontologies: string[];
  languages: string[];
  properties: Record<string, string>;
}

export type DirectoryOp =
  | { kind: 'register-service'; service: ServiceDescription }
  | { kind: 'deregister-service'; serviceName: string };

export interface Effects {
  outbox: AclMessage[];
  timers: TimerRequest[];
  directory: DirectoryOp[];
  logs: LogLine[];
  /** Log lines beyond the per-call limit, dropped. */
  droppedLogLines: number;
}

/** A piece of work for an agent: a message delivery or a timer firing. */
export type Work =
  | { kind: 'message'; id: string; agent: string; messageId: string; message: AclMessage }
  | { kind: 'timer'; id: string; agent: string; token: string };

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
  /** The instance crashed and was discarded; effects are empty. */
  | { status: 'crashed'; kind: CrashKind; message: string; error: ErrorInfo }
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
    /** Wall time of the call, microseconds (instantiation included when it happened). */
    durationUs: number;
    /** Agent state after this work. */
    state: AgentState;
    restarts: number;
  };

export function emptyEffects(): Effects {
  return { outbox: [], timers: [], directory: [], logs: [], droppedLogLines: 0 };
}

/** `work` was not run because `stopper`, an earlier item of the same agent, did not complete. */
export function skippedResult(work: Work, stopper: WorkResult): WorkResult {
  return {
    agent: work.agent,
    workId: work.id,
    messageId: work.kind === 'message' ? work.messageId : null,
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
