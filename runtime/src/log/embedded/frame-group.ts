/**
 * What every commit group has: the frames to write, each frame's offset within them, where the
 * group landed in its file, and the one promise all of the group's callers share (settled by the
 * GroupCommitter once the group is durable under the fsync policy).
 */
import { type ChunkPool, FrameBatch } from './frame-batch.js';
import type { CommitGroupBase } from './group-committer.js';
import { callEachInOrder, type InOrderCallback } from '../in-order-callbacks.js';

export class FrameGroup implements CommitGroupBase {
  readonly frames: FrameBatch;
  readonly offsets: number[] = [];
  /** Set by the writer: the file offset the group's first byte landed at. */
  base = 0;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  /** Called synchronously when the group settles or fails, in the order they were added (decision 2111). */
  private callbacks: InOrderCallback[] | undefined;

  constructor(pool: ChunkPool) {
    this.frames = new FrameBatch(pool);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Internal groups (compaction) may fail with nobody awaiting them: never an unhandled rejection.
    this.done.catch(() => {});
  }

  /**
   * Call `then` when the group is durable (with undefined) or has failed (with the error),
   * synchronously from the committer, before any reaction to `done` runs: a caller that has work to
   * carry on with does it while its data is hot instead of being resumed later, breadth-first,
   * behind every other waiter of the group (decision 2111). Callbacks run in the order they were
   * added, i.e. in the order their records were queued.
   */
  whenSettled(then: InOrderCallback): void {
    (this.callbacks ??= []).push(then);
  }

  settle(): void {
    this.resolve();
    this.call(undefined);
  }

  fail(error: unknown): void {
    this.reject(error);
    this.call(error);
  }

  private call(error: unknown): void {
    const callbacks = this.callbacks;
    if (callbacks === undefined) return;
    this.callbacks = undefined;
    callEachInOrder(callbacks, error);
  }
}
