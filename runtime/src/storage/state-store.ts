/**
 * Which AgentStateStore a topology hands the node (decision 1600): the message log itself when it
 * keeps state (the embedded and memory logs do: state commits with completions), otherwise a store
 * that refuses every call with a typed error — a log that cannot keep state must say so, never
 * pretend to have stored anything.
 */
import { CaxtonError, type StateWrite } from '@caxton/core';
import type { AgentStateStore } from './ports.js';

export const STATE_UNSUPPORTED = 'state.unsupported';

export class StateUnsupportedError extends CaxtonError {
  constructor(operation: string, agent: string) {
    super(STATE_UNSUPPORTED, `agent state is not supported by this node's message log (${operation} of ${agent})`, {
      kind: 'failed-precondition',
      context: { operation, agent },
      hint: 'run the node on the embedded log (or a cluster whose log keeps state); agents here start with empty state and their writes are not committed',
    });
  }
}

export function isAgentStateStore(value: unknown): value is AgentStateStore {
  const candidate = value as Partial<AgentStateStore> | null;
  return (
    typeof candidate?.readState === 'function' && typeof candidate.commitState === 'function' && typeof candidate.clearState === 'function'
  );
}

/**
 * The log when it keeps state, else a store whose every call fails with `state.unsupported`. Takes
 * any object (the topology passes its `MessageLog`), so storage/ need not import the bus.
 */
export function stateStoreOf(log: object): AgentStateStore {
  return isAgentStateStore(log) ? log : new UnsupportedStateStore();
}

export class UnsupportedStateStore implements AgentStateStore {
  async readState(agent: string): Promise<ReadonlyMap<string, string>> {
    throw new StateUnsupportedError('read', agent);
  }

  async commitState(agent: string, _writes: readonly StateWrite[]): Promise<void> {
    throw new StateUnsupportedError('commit', agent);
  }

  commitRefusal(agent: string): Error {
    return new StateUnsupportedError('commit', agent);
  }

  async clearState(agent: string): Promise<void> {
    throw new StateUnsupportedError('clear', agent);
  }
}
