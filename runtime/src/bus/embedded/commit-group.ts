/**
 * One commit group of the segment log: its encoded frames, what each frame means for the in-memory
 * state once it is durable (kept in parallel arrays, in frame order, to avoid an object per
 * record), the new deliveries to hand to the consumer, and the single promise all callers share.
 */
import type { Delivery } from '../message-log.js';
import { ChunkPool, FrameBatch } from './frame-batch.js';
import type { CommitGroupBase } from './group-committer.js';
import type { PendingEntry, SegmentRef } from './pending-entry.js';
import { RecordType } from './record-format.js';

export enum Op {
  /** A new delivery's append frame. */
  Append = 0,
  /** A compaction copy of a pending delivery's append frame. */
  Move = 1,
  /** Completed or dead-lettered. */
  Finish = 2,
}

export class CommitGroup implements CommitGroupBase {
  readonly frames: FrameBatch;
  readonly ops: Op[] = [];
  readonly ids: string[] = [];
  readonly entries: (PendingEntry | undefined)[] = [];
  readonly offsets: number[] = [];
  /** New deliveries, in append order, for the consumer once durable. */
  readonly handOut: Delivery[] = [];
  /** Set by the writer: the segment and file offset the group's first byte landed at. */
  segment: SegmentRef | undefined;
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

  append(delivery: Delivery, json: string, entry: PendingEntry): void {
    this.push(Op.Append, delivery.id, entry, this.frames.addKeyed(RecordType.Appended, entry.seq, delivery.id, json));
    this.handOut.push(delivery);
  }

  move(id: string, entry: PendingEntry, frame: Uint8Array): void {
    this.push(Op.Move, id, entry, this.frames.addRaw(frame));
  }

  finish(type: RecordType.Completed | RecordType.DeadLettered, id: string, entry: PendingEntry | undefined): void {
    this.push(Op.Finish, id, entry, this.frames.addId(type, id));
  }

  settle(): void {
    this.resolve();
  }

  fail(error: unknown): void {
    this.reject(error);
  }

  private push(op: Op, id: string, entry: PendingEntry | undefined, offset: number): void {
    this.ops.push(op);
    this.ids.push(id);
    this.entries.push(entry);
    this.offsets.push(offset);
  }
}
