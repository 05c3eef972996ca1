/**
 * The sandbox's one shape of a deploy spec: what it needs to run one agent. The in-thread Sandbox,
 * the ShardPool and the shard protocol all take this (before, four near-copies: sandbox DeploySpec,
 * PoolDeploySpec, AgentDeployment and AgentSpec; see docs/walks.md). The runtime builds it from the
 * core DeploySpec the operator sent (runtime/src/node/sandbox-host.ts).
 */
import type { HttpPolicy, StateLimits, TopicPatterns } from '@caxton/core';
import type { AgentLimits } from './limits/limits.js';
import type { RestartPolicy } from './restart-policy.js';

/** The component bytes, or the digest of an artifact already prepared in the engine's cache. */
export type ArtifactRef = Uint8Array | { digest: string };

export interface AgentSpec<A extends ArtifactRef = ArtifactRef> {
  /** The agent's name (`local@platform`): its identity, stamped by the bus on what it sends. */
  name: string;
  /** Transport addresses the agent sees as `self.addresses` in its init context. */
  addresses?: string[];
  artifact: A;
  limits?: Partial<AgentLimits>;
  config?: Record<string, string>;
  restartPolicy?: Partial<RestartPolicy>;
  /**
   * The agent's committed state when it starts here (decision 1600), loaded by the node from its
   * state store; the sandbox keeps this view current with the writes of completed calls.
   */
  state?: { entries: readonly (readonly [string, string])[]; limits?: Partial<StateLimits> };
  /** What the agent may call over HTTP (decision 1601). Absent: nothing (fetch is `denied`). */
  http?: HttpPolicy;
  /**
   * The topics it may subscribe to (decision 2050): checked patterns. Absent: every topic. A
   * `subscribe` outside them is refused at the call (the node checks again when it applies it).
   */
  topics?: TopicPatterns;
  /**
   * The shard to place it on (taken modulo the shard count), instead of the least loaded one: the
   * instances of an agent kind go where their key hashes to (decision 1980). Absent: least loaded.
   */
  shard?: number;
  /**
   * What its handlings' ids and insecure randomness derive from (decision 2174): its deployment's
   * name — the owner's for a replica or a rollout's candidate, so every instance of the agent
   * derives the same — and creation time (an upgrade keeps it, a new deployment of the name gets
   * another). Absent: the spec's own name alone.
   */
  seed?: { name: string; createdAt: number };
}

/** A spec whose artifact the engine has prepared: what crosses to a shard worker (no bytes). */
export type PreparedAgentSpec = AgentSpec<{ digest: string }>;

/**
 * The crash record an agent keeps when its instance is rebuilt elsewhere (a shard reset): the
 * restart policy goes on counting from here instead of from zero.
 */
export interface RestartCarryOver {
  /** Crash times inside the policy window, ms since epoch. */
  restartHistory: number[];
  /** Restarts granted so far. */
  restarts: number;
}
