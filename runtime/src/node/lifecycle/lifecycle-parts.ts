/** The collaborators every part of the agents' lifecycle shares (deploys, upgrades, scaling, state changes, absence). */
import { RolloutInProgressError, type AgentStatus, type Instrumentation } from '@caxton/core';
import type { AgentResidency } from '../agent-residency.js';
import type { AgentKinds } from '../kinds/index.js';
import type { AgentLifecycleEvent, LocalAgents } from '../local-agents.js';
import type { AgentReplicas, ClusterReplicaCounts } from '../replicas/index.js';
import type { Rollouts } from '../rollouts/index.js';
import type { AgentLifecycleOptions } from './agent-lifecycle-options.js';

export interface LifecycleParts {
  readonly o: AgentLifecycleOptions;
  /** Lines for agents' logs (`agent-log`). */
  readonly events: Instrumentation<AgentLifecycleEvent>;
  readonly local: LocalAgents;
  readonly residency: AgentResidency;
  readonly kinds: AgentKinds;
  readonly replicas: AgentReplicas;
  readonly rollouts: Rollouts;
  readonly clusterReplicas: ClusterReplicaCounts;
  /** An agent's status as `caxton status` shows it (after a change, with its replicas and rollout). */
  status(name: string): Promise<AgentStatus | undefined>;
}

/** Another upgrade or a second rollout while one runs would swap the version the rollout compares with. */
export function refuseDuringRollout(rollouts: Rollouts, name: string): void {
  const busy = rollouts.busy(name); // starting included: its new instance is compiling or in init
  if (busy !== undefined) throw new RolloutInProgressError(name, busy);
}
