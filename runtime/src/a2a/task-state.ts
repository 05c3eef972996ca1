/**
 * The A2A task state a FIPA reply in the task's conversation moves it to (pure, decision 1950):
 * `agree` → working; `inform` (-if, -ref) → completed; `failure` → failed; `refuse` and
 * `not-understood` → rejected (the agent will not do it). Anything else leaves the state alone.
 */
import { TaskState } from '@a2a-js/sdk';

const STATES: Readonly<Record<string, TaskState>> = {
  agree: TaskState.TASK_STATE_WORKING,
  inform: TaskState.TASK_STATE_COMPLETED,
  'inform-if': TaskState.TASK_STATE_COMPLETED,
  'inform-ref': TaskState.TASK_STATE_COMPLETED,
  failure: TaskState.TASK_STATE_FAILED,
  refuse: TaskState.TASK_STATE_REJECTED,
  'not-understood': TaskState.TASK_STATE_REJECTED,
};

export function taskStateFor(performative: string): TaskState | undefined {
  return STATES[performative];
}
