/** What the node gives its agents' lifecycle (every topology), and the names no deployment may take. */
import type { AgentLimitsSpec, ConversationReplay, RecordedDeployment, ReplayGateSpec, TopicPatterns } from '@caxton/core';
import { InvalidArgumentError } from '@caxton/core';
import type { Bus } from '../../bus/bus.js';
import type { BusEvents } from '../../bus/events.js';
import type { ExecutionResult } from '../../bus/executor.js';
import type { MessageLog } from '../../log/message-log.js';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import type { TrustPolicy } from '../../signing/trust.js';
import type { AgentStateStore, AgentStore } from '../../storage/ports.js';
import type { AgentRecord } from '../../storage/records.js';
import type { AgentHost } from '../agent-host.js';
import type { AgentMessaging } from '../agent-messaging.js';
import type { ResidencyFactory } from '../agent-residency.js';
import type { AgentKindsOptions } from '../kinds/index.js';

/**
 * Names the platform answers as: `http@<platform>` sends the answers of outbound HTTP calls
 * (decision 1601); an agent deployed under that name would receive them, or pose as them.
 */
export const RESERVED_AGENT_NAMES: ReadonlySet<string> = new Set(['http']);

export class ReservedAgentNameError extends InvalidArgumentError {
  constructor(name: string) {
    super(
      'header.name',
      `"${name}" is reserved: the platform sends as ${name}@<platform>`,
      'choose another name, e.g. http-client or my-http',
    );
  }
}

export interface AgentLifecycleOptions {
  nodeId: string;
  artifacts: ArtifactStore;
  host: AgentHost;
  messaging: AgentMessaging;
  bus: Bus;
  log: MessageLog;
  defaults: Required<AgentLimitsSpec>;
  maxLimits: AgentLimitsSpec;
  /** Apply what init() did (services registered, timers set, messages sent). */
  onStarted: (init: ExecutionResult) => Promise<void>;
  /** See ResidencyContext.onStopped. */
  onStopped?: (agent: string, undeployed: boolean, keepsQueue?: boolean) => Promise<void>;
  /**
   * A deploy or upgrade gave the agent a topic allow-list (decision 2050): its subscriptions
   * outside it go (ones kept from before a narrower list, or from a deployment stopped with its
   * queue kept). Absent: nothing is removed.
   */
  pruneTopics?: (agent: string, patterns: TopicPatterns) => Promise<number>;
  /** Where agents run: given by the topology. */
  residency: ResidencyFactory;
  /** Agents' durable state: a fresh deploy clears what an earlier deployment of the name left. */
  state?: AgentStateStore;
  /** The kill switch (decision 1403); absent: nothing is ever held. */
  killSwitch?: {
    isHeld(agent: string): boolean;
    isSuspended?(agent: string): boolean;
    suspendedSince?(agent: string): number | undefined;
    untilRunnable(agent: string): Promise<void>;
    onChange?(listener: () => void): () => void;
  };
  /** Which signed artifacts this node accepts (decision 1400); absent: signatures are not looked at. */
  trust?: TrustPolicy;
  /** Where agent kinds are stored (decision 1980); absent: kinds are refused (a cluster, for now). */
  kindStore?: AgentStore;
  /** Replica instances beyond the agents' own (decision 2010); absent: `REPLICA_LIMITS.maxReplicaInstances` (above it: refused). */
  maxReplicaInstances?: number;
  /** The bus's events: each local agent's `messagesHandled` counts its `handled` and `timer-handled` events (decision 2101). */
  busEvents: BusEvents;
  /** Bounds of kinds' instances (decision 1980); absent: KIND_LIMITS. */
  kindLimits?: { maxActivePerShard?: number; defaultIdleMs?: number; maxTimerWakes?: number };
  /** Timers of passivated instances (decision 1980): what wakes them when due. */
  kindTimers?: AgentKindsOptions['timers'];
  /** An instance came into memory on this node or left it (decision 2060: tests observe where keys are active). */
  onKindResidency?: AgentKindsOptions['onResidency'];
  /**
   * `upgrade --replay` (issue 57): runs a new version on the agent's recorded traffic and throws
   * UpgradeReplayRefusedError when it may not replace the running one. Absent: this node keeps no
   * log to replay from, and such an upgrade is refused.
   */
  replayGate?: {
    check(agent: string, version: number, deployment: RecordedDeployment, component: Uint8Array, spec: ReplayGateSpec): Promise<unknown>;
    /** A conversation's handlings of the agent as steps (the console's step view), its recorded version run again. */
    trace(agent: string, record: AgentRecord, component: Uint8Array, conversationId: string): Promise<ConversationReplay>;
  };
}
