/**
 * The A2A tasks a node keeps (decisions 1950, 2040): per owner (agent and token), bounded in count,
 * age and bytes (`A2A_TASK_LIMITS`) — past a bound the oldest *ended* task is forgotten, so a
 * client that sends without end cannot grow the node's memory (or its task file) without end.
 * Tasks still waiting for their agents (at most the endpoint's in-flight bound) are never
 * forgotten. Listing uses the SDK's own in-memory store over the owner's tasks, so its filters and
 * pages are the SDK's.
 *
 * Pure: the store can say what it holds (`snapshotText`, the file's content) and be rebuilt from
 * it (`restoreTasks`); the file itself is task-file.ts's. A task restored while it still waited —
 * the node stopped before the agent answered — ends `failed` with words saying so: nothing on this
 * node follows its conversation any more, and a task must not stay `working` for ever.
 */
import { Task, TaskState, type ListTasksRequest, type ListTasksResponse } from '@a2a-js/sdk';
import { InMemoryTaskStore, type OwnerResolver, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { A2A_TASK_LIMITS } from '@caxton/core';
import { agentMessage } from './fipa-task-executor.js';

const ENDED = new Set<TaskState>([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);

export interface TaskStoreBounds {
  /** Tasks kept. Default A2A_TASK_LIMITS.maxTasks. */
  maxTasks?: number;
  /** An ended task is forgotten this long after its last save. Default A2A_TASK_LIMITS.ttlMs. */
  ttlMs?: number;
  /** The kept tasks' JSON, summed. Default A2A_TASK_LIMITS.maxBytes. */
  maxBytes?: number;
  now?: () => number;
  /** Called after every change (a save, a task forgotten): the file's cue to write. */
  onChange?: () => void;
}

/** One kept task: the task as the SDK hands it out, and its line in the file (whose length is what it costs). */
interface Entry {
  task: Task;
  tenant: string;
  owner: string;
  savedAt: number;
  ended: boolean;
  line: string;
}

/** The file's format version: a file of another version is set aside, not guessed at. */
export const TASK_FILE_VERSION = 1;
const MAX_ID = 256;
const MAX_OWNER = 512;

export class BoundedTaskStore implements TaskStore {
  /** tenant NUL owner NUL task id → entry, least recently saved first. */
  private readonly tasks = new Map<string, Entry>();
  private bytes = 0;
  readonly maxTasks: number;
  readonly ttlMs: number;
  readonly maxBytes: number;
  private readonly now: () => number;
  /** Set by the file once it is ready to write (the store is filled from the file first). */
  onChange: (() => void) | undefined;

  constructor(private readonly owner: OwnerResolver, maxTasks: number = A2A_TASK_LIMITS.maxTasks, bounds: TaskStoreBounds = {}) {
    this.maxTasks = maxTasks;
    this.ttlMs = bounds.ttlMs ?? A2A_TASK_LIMITS.ttlMs;
    this.maxBytes = bounds.maxBytes ?? A2A_TASK_LIMITS.maxBytes;
    this.now = bounds.now ?? Date.now;
    this.onChange = bounds.onChange;
  }

  get size(): number {
    return this.tasks.size;
  }

  /** The kept tasks' JSON, in bytes of the file's lines (UTF-16 code units: a bound, not an accounting). */
  get sizeBytes(): number {
    return this.bytes;
  }

  private static key(tenant: string, owner: string, taskId: string): string {
    return `${tenant}\u0000${owner}\u0000${taskId}`;
  }

  private keyOf(taskId: string, context: ServerCallContext): string {
    return BoundedTaskStore.key(context.tenant ?? '', this.owner(context), taskId);
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    this.expire();
    const entry = this.tasks.get(this.keyOf(taskId, context));
    return entry ? structuredClone(entry.task) : undefined;
  }

  async save(task: Task, context: ServerCallContext): Promise<void> {
    this.put(context.tenant ?? '', this.owner(context), task, this.now());
    this.onChange?.();
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    this.expire();
    const prefix = this.keyOf('', context);
    const mine = new InMemoryTaskStore(() => 'owner');
    for (const [key, entry] of this.tasks) if (key.startsWith(prefix)) await mine.save(entry.task, context);
    return mine.list(params, context);
  }

  /** The file's content: every kept task, oldest save first. */
  snapshotText(): string {
    this.expire();
    return `{"version":${TASK_FILE_VERSION},"tasks":[${[...this.tasks.values()].map((e) => e.line).join(',')}]}`;
  }

  /**
   * Fills the store from a file's content (a fresh store; `restoreTasks` checks the shape). A task
   * that still waited ends failed; expired ones are dropped; the bounds apply as to any save.
   */
  restore(saved: readonly SavedTask[]): void {
    for (const s of saved) {
      let task = s.task;
      if (!task.status || !ENDED.has(task.status.state)) {
        const words = `the node stopped before the agent answered this task; nothing follows its conversation a2a-${task.id} any more: send the message again`;
        task = { ...task, status: { state: TaskState.TASK_STATE_FAILED, message: agentMessage(task.id, task.contextId, words), timestamp: new Date(this.now()).toISOString() } };
      }
      this.put(s.tenant, s.owner, task, s.savedAt);
    }
    this.expire();
  }

  private put(tenant: string, owner: string, task: Task, savedAt: number): void {
    const key = BoundedTaskStore.key(tenant, owner, task.id);
    const known = this.tasks.get(key);
    if (known) {
      this.tasks.delete(key);
      this.bytes -= known.line.length;
    }
    const line = JSON.stringify({ tenant, owner, savedAt, task: Task.toJSON(task) });
    const entry: Entry = { task: structuredClone(task), tenant, owner, savedAt, ended: task.status !== undefined && ENDED.has(task.status.state), line };
    this.tasks.set(key, entry);
    this.bytes += line.length;
    this.expire();
    while ((this.tasks.size > this.maxTasks || this.bytes > this.maxBytes) && this.forgetOldestEnded(key)) { /* until within bounds or none left to forget */ }
  }

  /** Ended tasks past their time go; the map is in save order, so they are at its front. */
  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, entry] of this.tasks) {
      if (entry.savedAt > cutoff) break;
      if (entry.ended) this.drop(key, entry);
    }
  }

  /** The oldest ended task other than `keep` goes; none ended (every one still waiting) and the store is over its bound until they end. */
  private forgetOldestEnded(keep: string): boolean {
    for (const [key, entry] of this.tasks) {
      if (entry.ended && key !== keep) {
        this.drop(key, entry);
        return true;
      }
    }
    return false;
  }

  private drop(key: string, entry: Entry): void {
    this.tasks.delete(key);
    this.bytes -= entry.line.length;
  }
}

/** One task as the file holds it, checked. */
export interface SavedTask {
  tenant: string;
  owner: string;
  savedAt: number;
  task: Task;
}

/**
 * The file's content → the tasks it holds, strictly: a version, a list, each entry's fields typed
 * and bounded; the task read with the SDK's own JSON codec. Throws on anything else (the caller
 * sets the file aside). At most `maxTasks` entries are read, the newest.
 */
export function restoreTasks(text: string, maxTasks: number): SavedTask[] {
  const raw: unknown = JSON.parse(text);
  const o = raw as { version?: unknown; tasks?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.version !== TASK_FILE_VERSION) throw new Error(`not a version ${TASK_FILE_VERSION} task file`);
  if (!Array.isArray(o.tasks)) throw new Error('it lists no tasks');
  const out: SavedTask[] = [];
  for (const [i, e] of o.tasks.slice(-maxTasks).entries()) {
    const r = e as Record<string, unknown> | null;
    const at = `tasks[${i}]`;
    if (typeof r !== 'object' || r === null) throw new Error(`${at} is not an object`);
    if (typeof r.tenant !== 'string' || r.tenant.length > MAX_ID) throw new Error(`${at}.tenant is not a short string`);
    if (typeof r.owner !== 'string' || r.owner.length > MAX_OWNER) throw new Error(`${at}.owner is not a short string`);
    if (typeof r.savedAt !== 'number' || !Number.isSafeInteger(r.savedAt) || r.savedAt < 0) throw new Error(`${at}.savedAt is not a time`);
    if (typeof r.task !== 'object' || r.task === null) throw new Error(`${at}.task is not an object`);
    const task = Task.fromJSON(r.task);
    if (typeof task.id !== 'string' || task.id === '' || task.id.length > MAX_ID) throw new Error(`${at}.task.id is not a task id`);
    out.push({ tenant: r.tenant, owner: r.owner, savedAt: r.savedAt, task });
  }
  return out;
}
