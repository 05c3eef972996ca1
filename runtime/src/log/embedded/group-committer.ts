/**
 * Group commit: everything that arrives while a write (+ fsync) is in flight is written together
 * and shares the next fsync. One write and at most one fsync per group, one promise per group
 * shared by all of its callers (no promise per record or per call).
 *
 * fsync policies:
 * - `always`   a group is acknowledged after its write AND fdatasync: survives power loss.
 * - `interval` acknowledged after the write; fdatasync every `intervalMs`. A process crash loses
 *              nothing acknowledged (the data is in the page cache); an OS crash or power loss can
 *              lose what was acknowledged since the last fsync (up to intervalMs + one fsync).
 * - `never`    acknowledged after the write; never fsyncs. Process-crash safe, power-loss unsafe.
 *              For tests and benchmarks.
 *
 * The committer knows nothing about files or records: a target writes, syncs and applies.
 */
import type { FrameBatch } from './frame-batch.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

/** What the committer needs from a group: its bytes and a way to settle its callers. */
export interface CommitGroupBase {
  readonly frames: FrameBatch;
  readonly done: Promise<void>;
  settle(): void;
  fail(error: unknown): void;
}

export interface CommitTarget<G extends CommitGroupBase> {
  /** Write the group's frames (possibly none) at the end of the current file. */
  write(group: G): Promise<void>;
  /** fdatasync what was written since the last sync. */
  sync(): Promise<void>;
  /** The group is acknowledged under the policy: apply its effects (before its callers resume). */
  applied(group: G): void;
  /**
   * Everything applied so far is as durable as the policy makes it (after an fsync; after each
   * write under `never`). Irreversible follow-ups such as deleting segments wait for this.
   */
  durable(): void;
  /** The committer stopped for good after a write or sync failed; returns the error to reject callers with. */
  failed(error: unknown): unknown;
}

export interface CommitterStats {
  groups: number;
  fsyncs: number;
}

/** One group made durable (as durable as the policy makes it): for metrics (decision 1301). */
export interface GroupCommitted {
  frames: number;
  bytes: number;
  /** From the start of the group's write to its acknowledgement (the fsync included under `always`). */
  seconds: number;
}

export class GroupCommitter<G extends CommitGroupBase> {
  private open: G | undefined;
  private running = false;
  private scheduled = false;
  private syncDue = false;
  /** Bytes written that no fsync covers yet. */
  private dirty = false;
  private failure: unknown;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  readonly stats: CommitterStats = { groups: 0, fsyncs: 0 };

  constructor(
    private readonly target: CommitTarget<G>,
    private readonly newGroup: () => G,
    readonly policy: FsyncPolicy,
    intervalMs: number,
    /** Called once per group written; asked per group, never per record. */
    private readonly committed?: (group: GroupCommitted) => void,
  ) {
    if (policy === 'interval') {
      this.timer = setInterval(() => {
        this.syncDue = true;
        this.kick();
      }, intervalMs);
      // The timer must not keep a process alive that has nothing else to do.
      this.timer.unref();
    }
  }

  /**
   * The group now accepting records. Callers add frames and return `group.done`; the flush starts
   * on the next microtask, so everything added in the same synchronous run joins one group.
   */
  current(): G {
    if (this.failure !== undefined) throw this.failure;
    if (this.open === undefined) {
      this.open = this.newGroup();
      this.kick();
    }
    return this.open;
  }

  /** Resolves once every group handed out so far is settled and, unless `never`, fsynced. */
  async drain(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.open !== undefined || this.running || this.scheduled) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.dirty && this.policy !== 'never') {
      this.syncDue = true;
      this.kick();
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (this.failure !== undefined) throw this.failure;
    }
  }

  /** Under `interval`: fsync soon rather than at the next tick (something is waiting for durability). */
  requestSync(): void {
    if (this.failure !== undefined) return;
    this.syncDue = true;
    this.kick();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.running || this.scheduled || this.failure !== undefined) return;
    this.scheduled = true;
    queueMicrotask(() => void this.run());
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    let group: G | undefined;
    try {
      while (this.open !== undefined || (this.syncDue && this.dirty)) {
        group = this.open;
        this.open = undefined;
        if (group !== undefined) {
          const wrote = group.frames.count > 0;
          const started = this.committed === undefined ? 0 : performance.now();
          if (wrote) {
            await this.target.write(group);
            this.dirty = true;
            this.stats.groups++;
          }
          if (wrote && this.policy === 'always') await this.syncNow();
          if (wrote && this.committed !== undefined) {
            this.committed({ frames: group.frames.count, bytes: group.frames.byteLength, seconds: (performance.now() - started) / 1000 });
          }
          this.target.applied(group);
          group.frames.release();
          group.settle();
          group = undefined;
          if (wrote && this.policy !== 'interval') this.target.durable();
        }
        if (this.syncDue && this.dirty) {
          await this.syncNow();
          this.target.durable();
        }
        this.syncDue = false;
      }
    } catch (error) {
      const failure = this.target.failed(error);
      this.failure = failure;
      this.stop();
      group?.fail(failure);
      this.open?.fail(failure);
      this.open = undefined;
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async syncNow(): Promise<void> {
    this.dirty = false;
    this.stats.fsyncs++;
    await this.target.sync();
  }
}
