/**
 * What every commit group has: the frames to write, each frame's offset within them, where the
 * group landed in its file, and the one promise all of the group's callers share (settled by the
 * GroupCommitter once the group is durable under the fsync policy).
 */
import { ChunkPool, FrameBatch } from './frame-batch.js';
import type { CommitGroupBase } from './group-committer.js';

export class FrameGroup implements CommitGroupBase {
  readonly frames: FrameBatch;
  readonly offsets: number[] = [];
  /** Set by the writer: the file offset the group's first byte landed at. */
  base = 0;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor(pool: ChunkPool) {
    this.frames = new FrameBatch(pool);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Internal groups (compaction) may fail with nobody awaiting them: never an unhandled rejection.
    this.done.catch(() => {});
  }

  settle(): void {
    this.resolve();
  }

  fail(error: unknown): void {
    this.reject(error);
  }
}
