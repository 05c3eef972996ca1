/**
 * The A2A tasks a node keeps (decisions 1950, 2040): per owner (agent and token), bounded in count,
 * age and bytes (`A2A_TASK_LIMITS`) — past a bound the oldest *ended* task is forgotten, so a
 * client that sends without end cannot grow the node's memory (or its task file) without end.
 * Tasks still waiting for their agents (at most the endpoint's in-flight bound) are never
 * forgotten. Listing uses the SDK's own in-memory store over the owner's tasks, so its filters and
 * pages are the SDK's.
 *
 * Each owner has a share of the bounds (`maxTasksPerOwner`, `maxBytesPerOwner`): past it the
 * saver's own oldest ended task goes first, so one token cannot evict every other token's tasks.
 * What a client names (its tenant) is checked here, at the store's boundary, with the same check
 * the file's reader applies (`checkEntry`): the store never holds what it could not read back.
 *
 * Pure: the store can say what it holds (`lines`, `takeChanged`: the file's lines) and be rebuilt
 * from them (`readTaskFile`); the file itself is task-file.ts's. A task restored while it still waited —
 * the node stopped before the agent answered — ends `failed` with words saying so: nothing on this
 * node follows its conversation any more, and a task must not stay `working` for ever.
 */
import { Task, TaskState, type ListTasksRequest, type ListTasksResponse } from '@a2a-js/sdk';
import { InMemoryTaskStore, type OwnerResolver, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { A2A_TASK_LIMITS, CaxtonError } from '@caxton/core';
import { agentMessage } from './fipa-task-executor.js';

const ENDED = new Set<TaskState>([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

export interface TaskStoreBounds {
  /** Tasks kept. Default A2A_TASK_LIMITS.maxTasks. */
  maxTasks?: number;
  /** An ended task is forgotten this long after its last save. Default A2A_TASK_LIMITS.ttlMs. */
  ttlMs?: number;
  /** The kept tasks' JSON, summed, in UTF-8 bytes (what the file holds). Default A2A_TASK_LIMITS.maxBytes. */
  maxBytes?: number;
  /** One owner's tasks. Default A2A_TASK_LIMITS.maxTasksPerOwner (at most maxTasks). */
  maxTasksPerOwner?: number;
  /** One owner's bytes. Default A2A_TASK_LIMITS.maxBytesPerOwner (at most maxBytes). */
  maxBytesPerOwner?: number;
  now?: () => number;
  /** Called after every change (a save, a task forgotten): the file's cue to write. */
  onChange?: () => void;
}

/** One kept task: the task as the SDK hands it out, and its line in the file (whose UTF-8 length is what it costs). */
interface Entry {
  task: Task;
  tenant: string;
  owner: string;
  savedAt: number;
  ended: boolean;
  line: string;
  bytes: number;
}

/** The file's format version: a file of another version is set aside, not guessed at. */
export const TASK_FILE_VERSION = 2;
const MAX_ID = 256;
const MAX_OWNER = 512;

/** A task the store refuses to keep: a value the client chose (its tenant) that the file could not hold. */
export class A2aTaskRefusedError extends CaxtonError {
  constructor(message: string) {
    super('a2a.bad-task', message, { kind: 'invalid-argument', hint: "leave tenant empty: this node's cards advertise none" });
  }
}

/**
 * Why an entry cannot be kept (or read back), or undefined if it can: the one check the store's
 * writer and the file's reader share, so whatever is kept is read back.
 */
export function checkEntry(tenant: unknown, owner: unknown, savedAt: unknown, taskId: unknown): string | undefined {
  const short = (v: unknown, max: number): boolean => typeof v === 'string' && v.length <= max && !v.includes('\u0000');
  if (!short(tenant, MAX_ID)) return `tenant is not a string of at most ${MAX_ID} characters without NUL`;
  if (!short(owner, MAX_OWNER)) return `owner is not a string of at most ${MAX_OWNER} characters without NUL`;
  if (typeof savedAt !== 'number' || !Number.isSafeInteger(savedAt) || savedAt < 0) return 'savedAt is not a time';
  if (!short(taskId, MAX_ID) || taskId === '') return 'task.id is not a task id';
  return undefined;
}

export class BoundedTaskStore implements TaskStore {
  /** tenant NUL owner NUL task id → entry, least recently saved first. */
  private readonly tasks = new Map<string, Entry>();
  /** Per owner (tenant NUL owner NUL): how many tasks and bytes it holds. */
  private readonly shares = new Map<string, { count: number; bytes: number }>();
  /** Keys saved since the file last took them, in save order. */
  private readonly changed = new Set<string>();
  private bytes = 0;
  readonly maxTasks: number;
  readonly ttlMs: number;
  readonly maxBytes: number;
  readonly maxTasksPerOwner: number;
  readonly maxBytesPerOwner: number;
  private readonly now: () => number;
  /** Set by the file once it is ready to write (the store is filled from the file first). */
  onChange: (() => void) | undefined;

  constructor(
    private readonly owner: OwnerResolver,
    maxTasks: number = A2A_TASK_LIMITS.maxTasks,
    bounds: TaskStoreBounds = {},
  ) {
    this.maxTasks = maxTasks;
    this.ttlMs = bounds.ttlMs ?? A2A_TASK_LIMITS.ttlMs;
    this.maxBytes = bounds.maxBytes ?? A2A_TASK_LIMITS.maxBytes;
    this.maxTasksPerOwner = Math.min(bounds.maxTasksPerOwner ?? A2A_TASK_LIMITS.maxTasksPerOwner, this.maxTasks);
    this.maxBytesPerOwner = Math.min(bounds.maxBytesPerOwner ?? A2A_TASK_LIMITS.maxBytesPerOwner, this.maxBytes);
    this.now = bounds.now ?? Date.now;
    this.onChange = bounds.onChange;
  }

  get size(): number {
    return this.tasks.size;
  }

  /** The kept tasks' lines, in UTF-8 bytes (newlines not counted). */
  get sizeBytes(): number {
    return this.bytes;
  }

  private static ownerKey(tenant: string, owner: string): string {
    return `${tenant}\u0000${owner}\u0000`;
  }

  private keyOf(taskId: string, context: ServerCallContext): string {
    return `${BoundedTaskStore.ownerKey(typeof context.tenant === 'string' ? context.tenant : '', this.owner(context))}${taskId}`;
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    this.expire();
    const entry = this.tasks.get(this.keyOf(taskId, context));
    return entry ? structuredClone(entry.task) : undefined;
  }

  async save(task: Task, context: ServerCallContext): Promise<void> {
    // The SDK copies a JSON-RPC params.tenant into the context unchecked (any truthy value): checked here, before it is kept.
    const tenant: unknown = context.tenant ?? '';
    const owner = this.owner(context);
    const problem = checkEntry(tenant, owner, 0, task.id);
    if (problem !== undefined) throw new A2aTaskRefusedError(`the task cannot be kept: its ${problem}`);
    this.put(tenant as string, owner, task, this.now());
    this.onChange?.();
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    this.expire();
    const prefix = this.keyOf('', context);
    const mine = new InMemoryTaskStore(() => 'owner');
    // Bounded by the owner's share (maxTasksPerOwner, maxBytesPerOwner), not by the whole store.
    for (const [key, entry] of this.tasks) if (key.startsWith(prefix)) await mine.save(entry.task, context);
    return mine.list(params, context);
  }

  /** Every kept task's line, oldest save first (a compaction of the file). Clears what `takeChanged` would give. */
  lines(): string[] {
    this.expire();
    this.changed.clear();
    return [...this.tasks.values()].map((e) => e.line);
  }

  /** The lines of the tasks saved since the last call (or `lines`), in save order: what the file appends. */
  takeChanged(): string[] {
    this.expire();
    const out: string[] = [];
    for (const key of this.changed) {
      const entry = this.tasks.get(key);
      if (entry) out.push(entry.line);
    }
    this.changed.clear();
    return out;
  }

  /**
   * Fills the store from a file's entries (a fresh store; `readTaskFile` checks them), in file
   * order: a later line for a task replaces an earlier one. A task that still waited ends failed;
   * expired ones are dropped; the bounds apply as to any save.
   */
  restore(saved: readonly SavedTask[]): void {
    const latest = new Map<string, SavedTask>();
    for (const s of saved) {
      const key = `${BoundedTaskStore.ownerKey(s.tenant, s.owner)}${s.task.id}`;
      latest.delete(key);
      latest.set(key, s);
    }
    for (const s of latest.values()) {
      let task = s.task;
      if (!task.status || !ENDED.has(task.status.state)) {
        const words = `the node stopped before the agent answered this task; nothing follows its conversation a2a-${task.id} any more: send the message again`;
        task = {
          ...task,
          status: {
            state: TaskState.TASK_STATE_FAILED,
            message: agentMessage(task.id, task.contextId, words),
            timestamp: new Date(this.now()).toISOString(),
          },
        };
      }
      this.put(s.tenant, s.owner, task, s.savedAt);
    }
    this.expire();
  }

  private put(tenant: string, owner: string, task: Task, savedAt: number): void {
    const ownerKey = BoundedTaskStore.ownerKey(tenant, owner);
    const key = `${ownerKey}${task.id}`;
    const known = this.tasks.get(key);
    if (known) this.drop(key, known);
    const line = JSON.stringify({ tenant, owner, savedAt, task: Task.toJSON(task) });
    const entry: Entry = {
      task: structuredClone(task),
      tenant,
      owner,
      savedAt,
      ended: task.status !== undefined && ENDED.has(task.status.state),
      line,
      bytes: Buffer.byteLength(line, 'utf8'),
    };
    this.tasks.set(key, entry);
    this.changed.add(key);
    this.bytes += entry.bytes;
    const share = this.shares.get(ownerKey) ?? { count: 0, bytes: 0 };
    share.count += 1;
    share.bytes += entry.bytes;
    this.shares.set(ownerKey, share);
    this.expire();
    // The saver's own share first (its oldest ended task goes), then the node's bound (the oldest ended task of anyone).
    while ((share.count > this.maxTasksPerOwner || share.bytes > this.maxBytesPerOwner) && this.forgetOldestEnded(key, ownerKey)) {
      /* until within its share or none left to forget */
    }
    while ((this.tasks.size > this.maxTasks || this.bytes > this.maxBytes) && this.forgetOldestEnded(key, '')) {
      /* until within bounds or none left to forget */
    }
  }

  /** Ended tasks past their time go; the map is in save order, so they are at its front. */
  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, entry] of this.tasks) {
      if (entry.savedAt > cutoff) break;
      if (entry.ended) this.drop(key, entry);
    }
  }

  /** The oldest ended task under `prefix` other than `keep` goes; none ended (every one still waiting) and the store is over its bound until they end. */
  private forgetOldestEnded(keep: string, prefix: string): boolean {
    for (const [key, entry] of this.tasks) {
      if (entry.ended && key !== keep && key.startsWith(prefix)) {
        this.drop(key, entry);
        return true;
      }
    }
    return false;
  }

  private drop(key: string, entry: Entry): void {
    this.tasks.delete(key);
    this.changed.delete(key);
    this.bytes -= entry.bytes;
    const ownerKey = BoundedTaskStore.ownerKey(entry.tenant, entry.owner);
    const share = this.shares.get(ownerKey);
    if (share) {
      share.count -= 1;
      share.bytes -= entry.bytes;
      if (share.count === 0) this.shares.delete(ownerKey);
    }
  }
}

/** One task as the file holds it, checked. */
export interface SavedTask {
  tenant: string;
  owner: string;
  savedAt: number;
  task: Task;
}

/** What a task file held: its checked entries, in file order, and how many lines were skipped (with the first reason). */
export interface TaskFileContent {
  tasks: SavedTask[];
  skipped: number;
  firstProblem: string | undefined;
}

/** The file's first line: its version. */
export function taskFileHeader(): string {
  return JSON.stringify({ version: TASK_FILE_VERSION });
}

/**
 * The file's content → the tasks it holds. The file is a journal: a header line (`{"version":2}`),
 * then one line per saved task, a later line for a task replacing an earlier one. Throws only when
 * the header is not this version's (the caller sets the file aside); a bad line — not JSON, a
 * field of the wrong type or length (`checkEntry`), a task the SDK's codec refuses, a line torn by
 * a crash — is skipped and counted, the other owners' tasks kept.
 */
export function readTaskFile(text: string): TaskFileContent {
  const lines = text.split('\n');
  let header: unknown;
  try {
    header = JSON.parse(lines[0] ?? '');
  } catch {
    throw new Error(`not a version ${TASK_FILE_VERSION} task file (its first line is not JSON)`);
  }
  if (typeof header !== 'object' || header === null || (header as { version?: unknown }).version !== TASK_FILE_VERSION) {
    throw new Error(`not a version ${TASK_FILE_VERSION} task file`);
  }
  const out: TaskFileContent = { tasks: [], skipped: 0, firstProblem: undefined };
  for (const [i, text] of lines.slice(1).entries()) {
    if (text === '') continue;
    const problem = readEntry(text, out.tasks);
    if (problem !== undefined) {
      out.skipped += 1;
      out.firstProblem ??= `line ${i + 2}: ${problem}`;
    }
  }
  return out;
}

function readEntry(text: string, into: SavedTask[]): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  const r = raw as Record<string, unknown>;
  if (typeof r.task !== 'object' || r.task === null) return 'task is not an object';
  let task: Task;
  try {
    task = Task.fromJSON(r.task);
  } catch (err) {
    return `task: ${(err as Error).message}`;
  }
  const problem = checkEntry(r.tenant, r.owner, r.savedAt, task.id);
  if (problem !== undefined) return problem;
  into.push({ tenant: r.tenant as string, owner: r.owner as string, savedAt: r.savedAt as number, task });
  return undefined;
}
