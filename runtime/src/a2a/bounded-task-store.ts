/**
 * The A2A tasks a node keeps (decision 1950): in memory, per owner (agent and token), and at most
 * `maxTasks` of them — past that the oldest *ended* task is forgotten, so a client that sends
 * without end cannot grow the node's memory without end. Tasks still waiting for their agents
 * (at most the endpoint's in-flight bound) are never forgotten. Listing uses the SDK's own
 * in-memory store over the owner's tasks, so its filters and pages are the SDK's.
 */
import { TaskState, type ListTasksRequest, type ListTasksResponse, type Task } from '@a2a-js/sdk';
import { InMemoryTaskStore, type OwnerResolver, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';

const ENDED = new Set<TaskState>([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);

export class BoundedTaskStore implements TaskStore {
  /** owner NUL task id → task, least recently saved first. */
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly owner: OwnerResolver, readonly maxTasks: number) {}

  get size(): number {
    return this.tasks.size;
  }

  private key(taskId: string, context: ServerCallContext): string {
    return `${context.tenant ?? ''}\u0000${this.owner(context)}\u0000${taskId}`;
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const task = this.tasks.get(this.key(taskId, context));
    return task ? structuredClone(task) : undefined;
  }

  async save(task: Task, context: ServerCallContext): Promise<void> {
    const key = this.key(task.id, context);
    const known = this.tasks.delete(key);
    if (!known && this.tasks.size >= this.maxTasks) this.forgetOldestEnded();
    this.tasks.set(key, structuredClone(task));
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const prefix = this.key('', context);
    const mine = new InMemoryTaskStore(() => 'owner');
    for (const [key, task] of this.tasks) if (key.startsWith(prefix)) await mine.save(task, context);
    return mine.list(params, context);
  }

  /** The oldest ended task goes; none ended (every one still waiting) and the store grows by one. */
  private forgetOldestEnded(): void {
    for (const [key, task] of this.tasks) {
      if (task.status && ENDED.has(task.status.state)) {
        this.tasks.delete(key);
        return;
      }
    }
  }
}
