/**
 * What a handling (or an agent's init) asked of the node besides sending: timers to set and
 * directory changes. Applied once the handling completed, by the bus (through the node's port) and
 * by the agent manager after init, so both go through this one object.
 */
import type { AgentId } from '@caxton/core';
import type { ExecutionResult } from '../bus/executor.js';
import type { AgentTimers } from './timers.js';
import type { DirectorySync } from './directory-sync.js';

export class AgentEffects {
  constructor(
    private readonly timers: AgentTimers,
    private readonly directory: DirectorySync,
    /** The agent's full id (`echo@<platform>`), under which its services are registered. */
    private readonly agentId: (localName: string) => AgentId,
  ) {}

  async apply(result: Pick<ExecutionResult, 'agent' | 'timers' | 'directory'>): Promise<void> {
    for (const t of result.timers) await this.timers.set(result.agent, t.delayMs, t.token, t.id);
    if (result.directory.length > 0) await this.directory.apply(this.agentId(result.agent), result.directory);
  }
}
