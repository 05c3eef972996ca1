/**
 * What a node needs from the sandbox layer beyond executing work: preparing artifacts and starting,
 * stopping and inspecting agents. The sandbox's shard pool is adapted to this in sandbox-host.ts;
 * the node and the bus never touch wasm directly.
 */
import type { AgentExecutor, ExecutionResult } from '../bus/executor.js';
import type { AgentRecord } from '../storage/records.js';
import type { AgentId } from '@caxton/core';

/** The stored deployment, and the identity this instance runs under (cluster: names its node). */
export interface AgentStartSpec {
  deployment: AgentRecord;
  identity: AgentId;
  /** The shard to start it on (an agent kind's instance, decision 1980); absent: the host chooses. */
  shard?: number;
  /**
   * Whose committed state the instance starts on; absent: its own name's. A stateful blue-green
   * rollout's new instance (`X#<version>`) starts on `X`'s, which it takes over (decision 2170).
   */
  stateOf?: string;
}

export interface AgentRunStats {
  state: 'running' | 'restarting' | 'failed' | 'stopped';
  restarts: number;
  fuelUsed: number;
  memoryPages: number;
  messagesHandled: number;
  lastError?: { message: string; code?: string; at: number };
}

/** One agent as the sandbox reports it for metrics: memory, restarts, refusals per quota. */
export interface AgentRunSample {
  agent: string;
  /** Replica n ≥ 2 of `agent` (decision 2010): its memory, restarts and refusals carry `replica=n` under the agent's label; absent: the agent's own instance. */
  replica?: number;
  /** A rollout's new instance of `agent` (decision 2101): its samples carry `candidate="true"` under the agent's label (one value, not the version: bounded). */
  candidate?: true;
  memoryPages: number;
  /** Restarts since the agent was deployed on this node (a counter: it only grows until redeploy). */
  restarts: number;
  /** Host calls refused per quota since the agent was deployed here (the sandbox's counters). */
  refusals: Readonly<Record<string, number>>;
}

/** The routing epoch as the node sees it: read, and bumped when a name may route that did not. */
export interface RoutingEpochCell {
  readonly current: number;
  changed(): void;
}

export interface AgentHost extends AgentExecutor {
  /** How many shards instances are spread over (AgentStartSpec.shard is taken modulo it); absent: one. */
  readonly shardCount?: number;
  /** Validate and prepare a component (cached by digest); throws a typed error naming what is wrong. */
  prepare(bytes: Uint8Array): Promise<{ digest: string; writesState?: boolean }>;
  /**
   * Instantiate and initialise; throws if the component is unknown or its init fails. Resolves with
   * what init() did (services registered, timers, messages sent), for the node to apply.
   */
  start(spec: AgentStartSpec): Promise<ExecutionResult>;
  /** Release the agent's instance; `force` also abandons work in flight. */
  stop(name: string, force: boolean): Promise<void>;
  stats(name: string): Promise<AgentRunStats | undefined>;
  /** Every agent at once (metrics collection). Optional: a host without it reports no per-agent gauges. */
  runSamples?(): Promise<AgentRunSample[]>;
  /**
   * Replace a running agent's committed state view with `entries` (an operator's import, decision
   * 1600) without restarting it. Optional: without it the node restarts the instance instead.
   * True once the sandbox holds `entries` as the view of the instance running now; false if the
   * agent is not deployed (or was stopped or replaced meanwhile, or its sandbox did not know it).
   */
  resetState?(name: string, entries: ReadonlyMap<string, string>): Promise<boolean>;
  /**
   * A copy of a running agent's state view as its sandbox holds it now (its last reset or deployed
   * state plus the writes of every handling that came back since, committed or not); undefined if it
   * is not deployed. Synchronous: no store is read. Optional: without it a replica's dropped write
   * cannot be undone in place (decision 2010) and the agent is failed instead.
   */
  stateView?(name: string): ReadonlyMap<string, string> | undefined;
  /**
   * Milliseconds until a crashed agent may restart (restart backoff, decision 1720); 0: it may run
   * now. Synchronous: the dispatcher asks it for every agent it considers. Optional: no backoff.
   */
  restartDelay?(name: string): number;
  /** Tells `listener` when an agent's restart is delayed (to wake it when the delay is over). */
  onRestartDelayed?(listener: (name: string, delayMs: number) => void): () => void;
  /** The directory snapshot `search-services` answers from: service type → agent ids. */
  setDirectory(byServiceType: ReadonlyMap<string, AgentId[]>): void;
  /**
   * The node's routing epoch (decision 2123): bumped, synchronously, by every change that can make
   * a name route that did not; the host refuses on the shard only what the bus refused as unknown
   * in the current epoch. Optional: a host without it refuses nothing there.
   */
  readonly routing?: RoutingEpochCell;
  /** The bus refused `receiver` (as `agent` wrote it) as unknown, having read `epoch` before routing it. */
  noteUnknownReceiver?(agent: string, receiver: string, epoch: number): void;
  close(): Promise<void>;
}
