/**
 * Carries out retention (retention-plan.ts decides): deletes dead segments oldest first and
 * compacts the oldest closed segment by copying its pending append frames into the active one and
 * snapshotting the state of the agents based in it (decision 1991).
 * At most one step runs at a time; each step triggers the next.
 *
 * `run()` must only be called when everything the log has applied is durable under its fsync
 * policy (CommitTarget.durable), so a segment is never deleted before the completions that made it
 * dead are on disk.
 */
import * as fs from 'node:fs/promises';
import type { CommitGroup } from './commit-group.js';
import { EmbeddedLogError } from './errors.js';
import type { FsyncPolicy } from './group-committer.js';
import { readKeyedId } from './payload.js';
import type { PendingEntry } from './pending-entry.js';
import { FILE_HEADER_BYTES, FrameReader, FrameStatus, RecordType } from './record-format.js';
import { planRetention, type SegmentUsage } from './retention-plan.js';
import { SHARED_COUNT_BYTES, readSharedEntries, sharedEntryBytes } from './shared-payload.js';
import { fsyncDir } from './segment-files.js';
import type { Segment } from './segment-writer.js';

/** What the runner needs from the log: its state, and a way to commit compaction copies. */
export interface RetentionHost {
  readonly dir: string;
  readonly fsync: FsyncPolicy;
  readonly compactionRatio: number;
  /** Closed segments kept for replay (decision 2179): how long after they close, and how many bytes at most. */
  readonly history: { ms: number; bytes: number };
  /** Segments oldest first, the active one last (the runner removes deleted ones from the front). */
  segments(): Segment[];
  pending(): Map<string, PendingEntry>;
  isOpen(): boolean;
  /** The commit group accepting records now. */
  currentGroup(): CommitGroup;
  /** Under `interval`: ask for an fsync soon, after which `run()` is called again. */
  requestSync(): void;
  /**
   * Agents' state built from frames in `deleting` is snapshotted into the current group first
   * (decision 1600): before a deletion, and when compacting (decision 1991). Returns the group's
   * promise if it queued any, else undefined.
   */
  carryState(deleting: ReadonlySet<Segment>): Promise<void> | undefined;
  /** Copy what agents keep a history of out of a segment about to be deleted (decision 2182); resolves once durable. */
  keepHistory?(segment: Segment): Promise<void>;
  warn(warning: EmbeddedLogError): void;
}

function noAppendFrame(file: string, offset: number, id: string): EmbeddedLogError {
  return new EmbeddedLogError('log.corrupt', `compaction found no append frame for ${id} in ${file} at byte ${offset}`, {
    context: { file, offset, deliveryId: id },
    hint: 'the segment changed on disk while the log was running; make sure only this process uses the directory',
  });
}

export class RetentionRunner {
  private running: Promise<void> | undefined;
  readonly stats = { segmentsDeleted: 0, compactions: 0 };

  constructor(private readonly host: RetentionHost) {}

  /** Resolves when no retention step is running (close() waits for this). */
  async idle(): Promise<void> {
    await this.running;
  }

  run(): void {
    const host = this.host;
    if (this.running !== undefined || !host.isOpen()) return;
    const plan = planRetention(host.segments().slice(0, -1).map(usage), host.compactionRatio, { ...host.history, now: Date.now() });
    let step: Promise<boolean>;
    if (plan.delete.length > 0) step = this.deleteOldest(plan.delete.length).then(() => true);
    else if (plan.compact !== undefined) step = this.compactOldest();
    else return;
    this.running = step
      .catch((error: unknown) => {
        host.warn(
          new EmbeddedLogError('log.retention-failed', `segment retention failed: ${(error as Error)?.message ?? String(error)}`, {
            context: { dir: host.dir },
            cause: error,
            hint: 'the segments stay on disk and retention is retried after later writes; check disk space and permissions',
          }),
        );
        return false;
      })
      .then((progressed) => {
        this.running = undefined;
        // A step that moved nothing (the oldest segment's only live entries are completions still
        // in flight) is not run again at once: run again straight away, it would find the same and
        // loop on promises alone, never yielding to the I/O that makes those completions durable (a
        // livelock of the whole process, seen in the state crash test). The durable group calls
        // run() again; a failed step waits for later writes, as its hint says.
        if (!progressed) return;
        if (host.fsync !== 'interval') this.run();
        // Under `interval` the state may be ahead of the last fsync: continue after the next one,
        // asked for now so retention keeps up with a fast writer instead of one step per tick.
        else if (host.isOpen()) host.requestSync();
      });
  }

  private async deleteOldest(count: number): Promise<void> {
    const segments = this.host.segments();
    // State written in these segments must be on disk elsewhere before they go. The snapshot's
    // group settles once written; the deletion is the next step, run only after it is durable.
    const carrying = this.host.carryState(new Set(segments.slice(0, count)));
    if (carrying !== undefined) return carrying;
    for (let i = 0; i < count; i++) {
      // An agent's own history is copied out first: a failure here fails the step and keeps the segment.
      await this.host.keepHistory?.(segments[0]!);
      if (!this.host.isOpen()) return;
      await fs.rm(segments[0]!.path, { force: true });
      // One directory fsync per deletion keeps deletions in order on disk too: an older segment
      // must never reappear after power loss while a newer one (with its completions) is gone.
      if (this.host.fsync !== 'never') await fsyncDir(this.host.dir);
      segments.shift();
      this.stats.segmentsDeleted++;
    }
  }

  /**
   * Copy the oldest closed segment's live data into the active segment: its pending append frames
   * verbatim, and snapshots of the agents whose state is based in it. Once durable, the segment
   * holds nothing live and the next step deletes it.
   */
  private async compactOldest(): Promise<boolean> {
    const segment = this.host.segments()[0]!;
    const copied = await this.copyStragglers(segment);
    const carrying = this.host.isOpen() ? this.host.carryState(new Set([segment])) : undefined;
    if (!copied && carrying === undefined) return false;
    this.stats.compactions++;
    await carrying;
    return true;
  }

  /** Copy the segment's pending append frames and wait until durable; false if there were none. */
  private async copyStragglers(segment: Segment): Promise<boolean> {
    if (segment.live === 0) return false;
    const pending = this.host.pending();
    const stragglers: [string, PendingEntry][] = [];
    let seen = 0;
    // The oldest segment's entries are among the oldest in append order: this loop ends early.
    for (const [id, entry] of pending) {
      if (entry.segment !== segment) continue;
      if (!entry.completing) stragglers.push([id, entry]);
      if (++seen === segment.live) break;
    }
    if (stragglers.length === 0) return false; // only completions in flight: deletion follows once durable
    const buf = await fs.readFile(segment.path);
    if (!this.host.isOpen()) return false;
    const reader = new FrameReader(buf, segment.size);
    // Decided synchronously against the current state: a completion queued from here on is
    // written AFTER the copy, so recovery can never see a copy following its completion.
    const group = this.host.currentGroup();
    /** Stragglers of AppendedShared frames, by frame offset: each frame is copied once, narrowed. */
    const sharedFrames = new Map<number, [string, PendingEntry][]>();
    for (const [id, entry] of stragglers) {
      if (entry.segment !== segment || entry.completing || pending.get(id) !== entry) continue;
      const status = reader.read(entry.offset);
      if (status === FrameStatus.Ok && reader.type === RecordType.AppendedShared) {
        const list = sharedFrames.get(entry.offset);
        if (list === undefined) sharedFrames.set(entry.offset, [[id, entry]]);
        else list.push([id, entry]);
        continue;
      }
      if (status !== FrameStatus.Ok || reader.type !== RecordType.Appended || readKeyedId(buf, reader.payloadStart) !== id)
        throw noAppendFrame(segment.path, entry.offset, id);
      group.move(id, entry, buf.subarray(entry.offset, reader.next));
    }
    for (const [offset, frameStragglers] of sharedFrames) {
      reader.read(offset);
      const shared = readSharedEntries(buf, reader.payloadStart, reader.payloadEnd);
      if (shared === undefined) throw noAppendFrame(segment.path, offset, frameStragglers[0]![0]);
      // Only the deliveries still pending go forward: a copy listing completed ones would bring
      // them back once the segment holding their completions is deleted.
      const still = new Map(frameStragglers);
      const entries = shared.entries.filter((e) => still.has(e.id));
      if (entries.length !== still.size)
        throw noAppendFrame(segment.path, offset, frameStragglers.find(([id]) => !entries.some((e) => e.id === id))![0]);
      const body = buf.subarray(shared.bodyStart, reader.payloadEnd);
      let payloadBytes = SHARED_COUNT_BYTES + body.length;
      for (const e of entries) payloadBytes += sharedEntryBytes(e.id, e.receiver);
      group.moveShared(
        entries,
        entries.map((e) => still.get(e.id)!),
        body,
        payloadBytes,
      );
    }
    await group.done;
    return true;
  }
}

function usage(segment: Segment): SegmentUsage {
  const { no, live, appended, stateBytes, basedBytes, closedAt } = segment;
  const u: SegmentUsage = { no, live, appended, stateBytes, basedBytes, bytes: segment.size - FILE_HEADER_BYTES };
  if (closedAt !== undefined) u.closedAt = closedAt;
  return u;
}
