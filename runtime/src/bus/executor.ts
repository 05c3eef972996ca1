/**
 * What the bus needs from whatever runs agents: hand it deliveries, get back what happened.
 * The sandbox's shard pool implements this (node/ adapts it); the bus knows nothing of wasm.
 */
import type { AclMessage, CrashKind, Delivery, HttpCall, LogLevel, ServiceDescription, StateWrite, TopicFilter } from '@caxton/core';

export type ExecutionOutcome =
  | { status: 'ok' }
  /** The agent's handler returned an error: handling is complete, the sender gets `failure`. */
  | { status: 'rejected'; reason: string }
  /** The instance crashed: effects are discarded, the delivery may be retried. */
  | { status: 'crashed'; kind: CrashKind; message: string }
  /** The agent is `failed` (crash loop) or not running here: the delivery stays pending. */
  | { status: 'not-running'; reason: string }
  /** Not run (an earlier item of the agent in the batch did not complete); not an attempt. */
  | { status: 'skipped'; reason: string };

export interface AgentLogLine {
  level: LogLevel;
  message: string;
  at: number;
}

/** A directory change an agent asked for, applied on its behalf once handling completed. */
export type DirectoryEffect =
  | { kind: 'register'; service: ServiceDescription }
  | { kind: 'deregister-service'; serviceName: string }
  /** Topic subscriptions (decision 1961): applied through the node's NodeTopics, like the embedder's. */
  | { kind: 'subscribe-topic'; topic: string; filter?: TopicFilter }
  | { kind: 'unsubscribe-topic'; topic: string };

/** A change of the agent's directory entry (its services). */
export type ServiceEffect = Extract<DirectoryEffect, { kind: 'register' | 'deregister-service' }>;
/** A change of the agent's topic subscriptions. */
export type TopicEffect = Extract<DirectoryEffect, { kind: 'subscribe-topic' | 'unsubscribe-topic' }>;

export interface ExecutionResult {
  agent: string;
  /** Delivery id, or `timer:<timer id>` for timer firings (`timer:<token>` for one fired by hand): `workIdOf`. */
  workId: string;
  outcome: ExecutionOutcome;
  fuelUsed: number;
  /** Wall time of the handling in the sandbox, microseconds (absent when the executor does not measure it). */
  durationUs?: number | undefined;
  /**
   * What the handling's first read of the wall clock returned (ms since epoch); absent when it read
   * none. Its commit records it, so a replay's first read returns it too (decision 2178).
   */
  clockAt?: number;
  /** Messages the agent sent; applied only when the outcome is ok/rejected. */
  outbox: AclMessage[];
  /**
   * Timers the handling set. `id`, when given, is the timer's id, derived from the work (the plan
   * sets it): a re-handling of the same work sets the same timer, which is then already there.
   */
  timers: { delayMs: number; token: string; id?: string }[];
  directory: DirectoryEffect[];
  /**
   * State changes of this handling (last write per key), committed with its completion (decision
   * 1600). Empty for crashes.
   */
  stateWrites: StateWrite[];
  /** HTTP requests this handling started; they leave only once it completed (decision 1601). */
  http: HttpCall[];
  logs: AgentLogLine[];
}

export type WorkItem =
  | { kind: 'delivery'; agent: string; delivery: Delivery; attempt: number }
  /**
   * `timerId`: the host's id of a durable timer (absent for timers fired by hand, e.g. in tests);
   * `dueAt`: when it was due, ms since epoch — the time its handling sees (decision 2174).
   */
  | { kind: 'timer'; agent: string; token: string; timerId?: string; dueAt?: number };

/** The id of an item's work: its delivery's id, or its timer's (the token of one fired by hand). */
export function workIdOf(item: WorkItem): string {
  return item.kind === 'delivery' ? item.delivery.id : `timer:${item.timerId ?? item.token}`;
}

/**
 * The result of an item that did not run: `crashed` of no fault of the agent's (`unavailable`: not
 * an attempt), or `skipped` behind an earlier item of its agent that did not complete. Nothing done.
 */
export function unrunResult(item: WorkItem, outcome: Extract<ExecutionOutcome, { status: 'crashed' | 'skipped' }>): ExecutionResult {
  return {
    agent: item.agent,
    workId: workIdOf(item),
    outcome,
    fuelUsed: 0,
    outbox: [],
    timers: [],
    directory: [],
    stateWrites: [],
    http: [],
    logs: [],
  };
}

/** `unrunResult` of an item the executor could not run: the error's message, `unavailable`. */
export const unavailableResult = (item: WorkItem, err: unknown): ExecutionResult =>
  unrunResult(item, { status: 'crashed', kind: 'unavailable', message: String((err as Error | undefined)?.message ?? err) });

/**
 * Put the results of a run of some of `batch`'s items (those at `indexes`, in order) at their places
 * in `results`; a run that failed leaves each of its items `unavailable`. Never rejects.
 */
export function placeResults(
  run: Promise<readonly ExecutionResult[]>,
  indexes: readonly number[],
  batch: readonly WorkItem[],
  results: ExecutionResult[],
): Promise<void> {
  return run.then(
    (rs) =>
      rs.forEach((r, k) => {
        results[indexes[k]!] = r;
      }),
    (err: unknown) =>
      indexes.forEach((i) => {
        results[i] = unavailableResult(batch[i]!, err);
      }),
  );
}

/**
 * A batch split by agent (rollouts, replicas): the items of agents `grouped` says are special are
 * run per agent by `runGroup` (which places its results by index and must not reject), all the
 * others as one batch by `runPlain` (a failed one answers its items `unavailable`), at once; every
 * run has ended before the batch is answered. A batch with no special agent is `runPlain`'s alone.
 */
export async function runSplit(
  batch: readonly WorkItem[],
  grouped: (agent: string) => boolean,
  runPlain: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>,
  runGroup: (agent: string, indexes: number[], results: ExecutionResult[]) => Promise<void>,
): Promise<ExecutionResult[]> {
  if (!batch.some((item) => grouped(item.agent))) return runPlain(batch);
  const results: ExecutionResult[] = new Array<ExecutionResult>(batch.length);
  const plain: number[] = [];
  const groups = new Map<string, number[]>();
  batch.forEach((item, i) => {
    if (!grouped(item.agent)) plain.push(i);
    else groups.set(item.agent, [...(groups.get(item.agent) ?? []), i]);
  });
  const runs: Promise<void>[] = [];
  if (plain.length > 0) runs.push(placeResults(runPlain(plain.map((i) => batch[i]!)), plain, batch, results));
  for (const [agent, indexes] of groups) runs.push(runGroup(agent, indexes, results));
  await Promise.allSettled(runs);
  return results;
}

export interface AgentExecutor {
  /**
   * Run a batch; resolves with one result per item, same order. Items of one agent run in batch
   * order, and once one of them does not complete (crashed, not running) the agent's later items
   * must not run: they come back `skipped` (the bus's dispatch loop hands them out again after the retry).
   */
  execute(batch: readonly WorkItem[]): Promise<ExecutionResult[]>;
}
