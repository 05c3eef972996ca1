/**
 * Group commit for completions: complete() marks offsets done in the partition trackers and waits
 * here; one OffsetCommit request (offset + pending-set metadata per partition, see
 * offset-metadata.ts) then covers every completion made before it was built. Retries with backoff
 * until the waiter's deadline (a broker restart, a rebalance in progress).
 *
 * A partition that is no longer assigned to this node is never committed: in a consumer group
 * another node owns it now, and a stale commit from here would overwrite its progress.
 */
import { encodeCommit, type EncodedCommit } from './offset-metadata.js';
import type { PartitionTracker } from './partition-tracker.js';
import { KafkaCommitError, KafkaNotOwnerError } from './errors.js';
import { backoff, isPermanent, rootMessage, sleep, yieldTurn } from './client.js';

export interface CommitEntry {
  partition: number;
  offset: number;
  metadata: string;
}

interface Waiter {
  /** ids completed, per partition */
  ids: Map<number, string[]>;
  deadline: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface CommitQueueOptions {
  commit: (entries: CommitEntry[]) => Promise<void>;
  /** The tracker of an assigned partition, undefined if this node does not own it. */
  tracker: (partition: number) => PartitionTracker | undefined;
  metadataMaxBytes: number;
  timeoutMs: number;
  /** How long an idle queue waits before its first commit, so that more completions share it (see AppendBatcher). */
  lingerMs?: number;
  onRetry: (attempt: number, error: string) => void;
}

export class CommitQueue {
  private dirty = new Set<number>();
  private waiters: Waiter[] = [];
  private running = false;
  private idle: (() => void)[] = [];

  constructor(private readonly o: CommitQueueOptions) {}

  /** Commit `partition` soon, nobody waiting (e.g. a duplicate record was skipped as done). */
  schedule(partition: number): void {
    this.dirty.add(partition);
    void this.run();
  }

  /** Resolves once a commit covering these completions succeeded. */
  wait(ids: Map<number, string[]>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ ids, deadline: Date.now() + this.o.timeoutMs, resolve, reject });
      for (const p of ids.keys()) this.dirty.add(p);
      void this.run();
    });
  }

  drain(): Promise<void> {
    if (!this.running && this.dirty.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private snapshot(partitions: number[]): { entries: (CommitEntry & { enc: EncodedCommit; t: PartitionTracker })[]; lost: Set<number> } {
    const entries: (CommitEntry & { enc: EncodedCommit; t: PartitionTracker })[] = [];
    const lost = new Set<number>();
    for (const partition of partitions) {
      const t = this.o.tracker(partition);
      if (t === undefined) {
        lost.add(partition);
        continue;
      }
      const progress = t.progress();
      if (progress === undefined) continue;
      const enc = encodeCommit(progress, this.o.metadataMaxBytes);
      if (t.committed?.offset === enc.offset && t.committed.metadata === enc.metadata) continue;
      entries.push({ partition, offset: enc.offset, metadata: enc.metadata, enc, t });
    }
    return { entries, lost };
  }

  private settle(round: Waiter[], lost: Set<number>): void {
    for (const w of round) {
      const notOwned = [...w.ids].filter(([p]) => lost.has(p)).flatMap(([, ids]) => ids);
      if (notOwned.length > 0) w.reject(new KafkaNotOwnerError(notOwned, { reason: 'partition revoked before the commit' }));
      else w.resolve();
    }
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let attempt = 0;
    try {
      // Completions made in this turn of the event loop share the first commit too (see AppendBatcher).
      await yieldTurn();
      if ((this.o.lingerMs ?? 0) > 0) await sleep(this.o.lingerMs!);
      while (this.dirty.size > 0) {
        const partitions = [...this.dirty];
        this.dirty.clear();
        // Every waiter registered so far had its completions applied to the trackers already, so
        // the snapshot taken now covers all of them.
        const round = this.waiters.splice(0);
        const { entries, lost } = this.snapshot(partitions);
        try {
          if (entries.length > 0) await this.o.commit(entries.map(({ partition, offset, metadata }) => ({ partition, offset, metadata })));
          for (const e of entries) e.t.markCommitted(e.enc);
          attempt = 0;
          this.settle(round, lost);
        } catch (e) {
          const detail = rootMessage(e);
          const now = Date.now();
          const retry = round.filter((w) => {
            if (!isPermanent(e) && now < w.deadline) return true;
            w.reject(new KafkaCommitError([...w.ids.values()].flat(), detail, { cause: e }));
            return false;
          });
          this.waiters.unshift(...retry);
          for (const p of partitions) this.dirty.add(p);
          if (retry.length === 0 && isPermanent(e)) this.dirty.clear();
          this.o.onRetry(++attempt, detail);
          await sleep(backoff(attempt, 100, 3000));
          if (retry.length === 0 && attempt > 20) this.dirty.clear(); // nobody waits: give up, redelivery covers it
        }
      }
    } finally {
      this.running = false;
      for (const r of this.idle.splice(0)) r();
    }
  }
}
