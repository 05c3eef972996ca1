/** What the node gives one agent's host bridge: who it is, its limits, and the node's views it reads (directory, clock, state, policies). */
import type { AclLimits, HttpPolicy, TopicPatterns } from '@caxton/core';
import type { AgentLimits } from '../limits/limits.js';
import type { DirectorySnapshot } from './directory.js';
import type { AgentSeed } from './handling-seed.js';
import type { StateView } from './state-view.js';
import type { UnknownReceivers } from './unknown-receivers.js';

export interface BridgeEnv {
  agent: string;
  limits: AgentLimits;
  directory: () => DirectorySnapshot;
  clock: () => number;
  newId: () => string;
  /**
   * The key a handling's ids and insecure randomness derive from (decision 2174): the same agent
   * and deployment give the same key, so a handling run again sees the same values.
   */
  seed?: AgentSeed;
  /** The ACL limits the bus applies (default: the bus's defaults). */
  acl?: AclLimits;
  /** The agent's state (outlives instances); default: empty, default limits. */
  state?: StateView;
  /** What the agent may call over HTTP; absent: nothing. */
  http?: HttpPolicy;
  /** The topics it may subscribe to (decision 2050); absent: every topic. */
  topics?: TopicPatterns;
  /** Receivers the bus refused as unknown to this agent's sends (decision 2123); absent: none are refused here. */
  unknownReceivers?: UnknownReceivers;
}
