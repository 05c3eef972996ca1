/** The model of a rollout on this node (decision 1871): its record in memory, the options the node gives, and helpers every part shares. */
import type { ConversationSplit, Instrumentation, RolloutController, RolloutStrategy } from '@caxton/core';
import { ConflictError, formatStrategy } from '@caxton/core';
import type { AgentStateStore } from '../../storage/ports.js';
import type { AgentRecord } from '../../storage/records.js';
import type { AgentHost } from '../agent-host.js';
import type { AgentMessaging } from '../agent-messaging.js';
import type { AgentLifecycleEvent } from '../local-agents.js';

/** The records a rollout's end writes: each rollout has exactly one of them (decision 1871). */
export type RolloutAuditMethod = 'PromoteRollout' | 'RollBackRollout' | 'AbortRollout';

/** Runs an automatic step of a rollout as an audited change (decision 1701); absent: unaudited. */
export type RolloutAudit = <T>(
  method: RolloutAuditMethod,
  agent: string,
  fields: Record<string, string>,
  effect: () => Promise<T>,
) => Promise<T>;

export interface RolloutsOptions {
  host: AgentHost;
  /**
   * Runs `fn` while `name` takes no new work and nothing of it is in flight or settling (a
   * stateful rollout's handover, decision 2170), then lets it run again.
   */
  pause: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  messaging: AgentMessaging;
  events: Instrumentation<AgentLifecycleEvent>;
  state?: AgentStateStore | undefined;
  /**
   * Makes the new version the agent's version: drain, swap, record (the lifecycle's upgrade path).
   * Refused unless the running version is still `beside` (the one the rollout started beside);
   * `cancel` ends a promotion still waiting for a held agent (an operator's abort).
   */
  promote: (candidate: AgentRecord, artifactSize: number, beside: RolloutBeside, cancel: AbortSignal) => Promise<void>;
  /** The record of the version running here, if it is running (what a rollout starts beside). */
  current: (name: string) => AgentRecord | undefined;
  /** Held by the kill switch (decision 1403): the bake does not end in a promotion meanwhile. */
  held: (name: string) => boolean;
  /**
   * A rollout started from the record written at `recordedAt` ended here without a promotion
   * (rolled back, aborted): a cluster removes it from the agent's record (decision 2171).
   */
  ended?: (name: string, recordedAt: number) => Promise<void>;
  /** The agent could not take its state back (decision 2170): it must not run on a stale view. */
  failAgent: (name: string, err: unknown) => void;
  /**
   * Throws when the agent may not hand its state over to a new version now (a handover runs every
   * piece of work on one instance: not beside replicas, decision 2177). Absent: always allowed.
   */
  refuseHandover?: (name: string) => void;
  now?: () => number;
}

/** The running version a rollout started beside: promotion replaces that one and no other. */
export interface RolloutBeside {
  version: number;
  digest: string;
  /** A cluster's rollout: the record it runs (decision 2171), which a promotion must still find. */
  recordedAt?: number;
}

/** While the agent is held at the bake's end, how often the node looks again (ms). */
export const HELD_RECHECK_MS = 500;
/** Delivery ids a rollout remembers as counted (a redelivered message counts once). */
export const MAX_COUNTED_DELIVERIES = 10_000;

export interface Rollout {
  name: string;
  /** Handover: the new instance runs every piece of the agent's work (until the state is handed back). */
  holding: boolean;
  beside: RolloutBeside;
  /** The sandbox key of the new instance. */
  key: string;
  strategy: RolloutStrategy;
  candidate: AgentRecord;
  artifactSize: number;
  /** Which version each conversation goes to; dropped once the rollout ended. */
  split: ConversationSplit | undefined;
  controller: RolloutController;
  timer?: NodeJS.Timeout | undefined;
  /** The verdict (or the operator's abort) being carried out. */
  ending?: Promise<void> | undefined;
  /** Ends a promotion still waiting for a held agent. */
  cancel: AbortController;
  /** The new instance is gone (or never started): nothing is routed to it. */
  removed: boolean;
  /** The end was carried out (the new instance removed): no longer in progress. */
  finished: boolean;
  /** Deliveries already counted against the new version (a poison message counts once). */
  counted: Set<string>;
  /** Ended here because the agent moved (decision 2171): still recorded, nothing to unrecord. */
  left?: boolean;
  /** Started from a cluster's record written at this time (decision 2171): which record it runs. */
  recordedAt?: number;
}

/** The sandbox key of a rollout's new instance: `#` is not allowed in agent names (AGENT_NAME). */
export function candidateKey(name: string, version: number): string {
  return `${name}#${version}`;
}

/**
 * The agent and version of a rollout's new instance from its sandbox key (`svc#4` → svc, 4);
 * undefined for any other key (a replica's `svc#r2`, an instance of a kind `k/…`, an agent). Its
 * metrics are the agent's, with `candidate` (decision 2101): a version per rollout must not take an
 * agent-label slot each.
 */
export function parseCandidateKey(key: string): { agent: string; version: number } | undefined {
  const m = /^([^#/]+)#([1-9]\d{0,14})$/.exec(key);
  if (m === null) return undefined;
  const version = Number(m[2]);
  return Number.isSafeInteger(version) ? { agent: m[1]!, version } : undefined;
}

/** The agent is not (or no longer) the running version a rollout of `version` starts beside. */
export function notBeside(name: string, version: number): ConflictError {
  return new ConflictError(`agent ${name} is no longer running version ${version - 1}: the rollout of version ${version} did not start`, {
    context: { agent: name, candidateVersion: version },
    hint: `the agent was stopped, changed or failed meanwhile; check \`caxton status ${name}\` and upgrade again`,
  });
}

/** Microseconds as milliseconds (the controller's unit). */
export function ms(durationUs: number | undefined): number | undefined {
  return durationUs === undefined ? undefined : durationUs / 1000;
}

/**
 * A rollout's audit record fields (a named agent's and a kind's alike, decision 2175): the new
 * version, the strategy, `extra` (a reason, an outcome) and the counts so far when a controller ran.
 */
export function rolloutFields(
  version: number,
  strategy: RolloutStrategy,
  controller: RolloutController | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    version: String(version),
    strategy: formatStrategy(strategy),
    ...extra,
    ...(controller !== undefined ? countsFields(controller) : {}),
  };
}

/** A rollout's counts as its audit records' fields. */
function countsFields(controller: RolloutController): Record<string, string> {
  const c = controller.counts();
  return {
    handled: String(c.handled),
    crashes: String(c.crashes),
    failures: String(c.failures),
    ...(c.p99Ms !== undefined ? { p99Ms: String(c.p99Ms) } : {}),
  };
}

/** A rollout's counts as its log lines say them. */
export function countsText(controller: RolloutController): string {
  const c = controller.counts();
  return `${c.handled} handled, ${c.crashes} crashed, ${c.failures} failed${c.p99Ms !== undefined ? `, p99 ${c.p99Ms} ms` : ''}`;
}
