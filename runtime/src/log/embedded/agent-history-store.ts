/**
 * One agent's replay history, kept after the log's segments go (decision 2182): before retention
 * deletes a segment, the frames of each named agent (agent-history-tracker.ts) are copied, verbatim,
 * to a file of its own; those files are dropped by the agent's own time and bytes.
 *
 * Layout, under the log's directory:
 *   agent-history/<deployment>/<segment file name>   the agent's frames of that log segment, after a
 *                                                    reset transaction per instance holding state
 *                                                    there (the state at the segment's start)
 *   agent-history/<deployment>/progress.json         the last segment copied, the agent's deliveries
 *                                                    still open there, the newest file written
 * A history file is an ordinary segment file (same header, same frames), so the replay reader reads
 * it as it reads the log's (replay/embedded-history.ts): a log segment first, its copy once the
 * segment is gone. Its modification time is the log segment's close time, by which it ages.
 *
 * Crash safety: each file is written to a temporary name, made durable and renamed, then the
 * progress, and only then is the log segment deleted (retention-runner.ts). A crash in between leaves
 * the segment on disk: the copy is written again whole, or skipped when the progress already says it
 * was made. A failure here fails the retention step, so the segment stays until a later one copies it.
 */
import type { AgentReplayReach } from '@caxton/core';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AgentHistoryTracker, type TrackedProgress } from './agent-history-tracker.js';
import { EmbeddedLogError } from './errors.js';
import { FILE_HEADER_BYTES, FileKind, FrameReader, FrameStatus, encodeFileHeader } from './record-format.js';
import { fsyncDir, listSegments, segmentFileName } from './segment-files.js';

export const AGENT_HISTORY_DIR = 'agent-history';
const PROGRESS_FILE = 'progress.json';
const TEMP_SUFFIX = '.tmp';
/** Frames scanned between two turns of the event loop: a 64 MiB segment never blocks the bus for long. */
const FRAMES_PER_TURN = 2048;

/** The directory of `deployment`'s history under the log directory `logDir`. */
export function agentHistoryDir(logDir: string, deployment: string): string {
  return path.join(logDir, AGENT_HISTORY_DIR, deployment);
}

/** The log segment numbers `dir` holds a copy of, oldest first; none when it does not exist. */
export async function listAgentHistory(dir: string): Promise<number[]> {
  try {
    return await listSegments(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** One agent's history: how long and how much of it is kept. */
export interface AgentHistoryBound {
  ms: number;
  bytes: number;
}

/** The log segment a history copies from (retention's Segment). */
export interface CopiedSegment {
  readonly no: number;
  readonly path: string;
  readonly size: number;
  readonly closedAt?: number;
}

export interface AgentHistoryStoreOptions {
  logDir: string;
  agents: ReadonlyMap<string, AgentHistoryBound>;
  durable: boolean;
  /** The log's record bound: the head's state transactions are split to it. */
  maxPayloadBytes: number;
  warn: (warning: EmbeddedLogError) => void;
  now?: () => number;
}

interface HistoryFile {
  no: number;
  bytes: number;
  closedAt: number;
}

interface Progress extends TrackedProgress {
  v: 1;
  /** The last log segment copied (its file may be absent: nothing of the agent was in it). */
  through: number;
  /** The newest file written: the view is rebuilt from it at open. */
  last: number;
}

class AgentTrack {
  files: HistoryFile[] = [];
  through = 0;
  last = 0;
  tracker: AgentHistoryTracker;

  constructor(
    readonly deployment: string,
    readonly dir: string,
    readonly bound: AgentHistoryBound,
  ) {
    this.tracker = new AgentHistoryTracker(deployment);
  }
}

export class AgentHistoryStore {
  private readonly tracks: AgentTrack[];
  private readonly now: () => number;
  readonly stats = { copiedSegments: 0, bytesWritten: 0, filesDropped: 0 };

  constructor(private readonly o: AgentHistoryStoreOptions) {
    this.now = o.now ?? Date.now;
    this.tracks = [...o.agents].map(([name, bound]) => new AgentTrack(name, agentHistoryDir(o.logDir, name), bound));
  }

  /** Each agent's directory made, its progress and files read, its state view rebuilt. */
  async open(): Promise<void> {
    for (const track of this.tracks) await this.openTrack(track);
  }

  /**
   * Copy what each agent has in `segment` (about to be deleted) to its history, durably, then drop
   * what the agent's bounds no longer keep. Resolves once the copies are on disk.
   */
  async keep(segment: CopiedSegment): Promise<void> {
    const todo = this.tracks.filter((t) => t.through < segment.no);
    if (todo.length === 0) return;
    const buf = (await fs.readFile(segment.path)).subarray(0, segment.size);
    // The state each history file starts from: the view before this segment's frames.
    const heads = todo.map((t) => t.tracker.headFrames(this.o.maxPayloadBytes));
    for (const t of todo) t.tracker.startSegment();
    const reader = new FrameReader(buf, buf.length);
    let at = FILE_HEADER_BYTES;
    for (let n = 1; reader.read(at) === FrameStatus.Ok; n++) {
      for (const t of todo) t.tracker.frame(reader, at);
      at = reader.next;
      if (n % FRAMES_PER_TURN === 0) await yieldToLoop();
    }
    const closedAt = segment.closedAt ?? this.now();
    for (let i = 0; i < todo.length; i++) {
      const track = todo[i]!;
      const ranges = track.tracker.keptRanges();
      if (ranges.length > 0) {
        const parts = [encodeFileHeader(FileKind.Segment, 0), ...heads[i]!];
        for (let r = 0; r < ranges.length; r += 2) parts.push(buf.subarray(ranges[r]!, ranges[r + 1]!));
        const bytes = await this.writeFile(track, segment.no, parts, closedAt);
        track.files.push({ no: segment.no, bytes, closedAt });
        track.last = segment.no;
        track.through = segment.no;
        await this.writeProgress(track);
        this.stats.bytesWritten += bytes;
      } else track.through = segment.no; // nothing of the agent's: the next file's head carries its state
      if (track.tracker.forgotten > 0) {
        this.o.warn(forgottenWarning(track, track.tracker.forgotten));
        track.tracker.forgotten = 0;
      }
      await this.drop(track);
    }
    this.stats.copiedSegments++;
  }

  /** Each agent's history as `caxton status` shows it. */
  reach(): AgentReplayReach[] {
    return this.tracks.map((t) => {
      const oldest = t.files[0];
      return {
        agent: t.deployment,
        ...(oldest === undefined ? {} : { oldestCopyClosedAt: Math.floor(oldest.closedAt) }),
        files: t.files.length,
        heldBytes: t.files.reduce((sum, f) => sum + f.bytes, 0),
        historySeconds: Math.floor(t.bound.ms / 1000),
        historyBytes: t.bound.bytes,
      };
    });
  }

  private async openTrack(track: AgentTrack): Promise<void> {
    await fs.mkdir(track.dir, { recursive: true });
    for (const name of await fs.readdir(track.dir))
      if (name.endsWith(TEMP_SUFFIX)) await fs.rm(path.join(track.dir, name), { force: true }); // a copy cut short
    for (const no of await listAgentHistory(track.dir)) {
      const stat = await fs.stat(path.join(track.dir, segmentFileName(no)));
      track.files.push({ no, bytes: stat.size, closedAt: stat.mtimeMs });
    }
    const progress = await readProgress(track, this.o.warn);
    if (progress === undefined) {
      // New, or its progress lost: copy from the next segment deleted on; the state is unknown until
      // a snapshot passes unless nothing was ever kept.
      track.tracker = new AgentHistoryTracker(track.deployment, { open: [], partial: track.files.length > 0 });
      return;
    }
    // Files past the progress are copies cut short before it was written: their segments are still
    // in the log, copied again when deleted.
    for (const file of track.files.filter((f) => f.no > progress.through))
      await fs.rm(path.join(track.dir, segmentFileName(file.no)), { force: true });
    track.files = track.files.filter((f) => f.no <= progress.through);
    track.through = progress.through;
    track.last = progress.last;
    const lastKept = track.files.length > 0 && track.files[track.files.length - 1]!.no === progress.last;
    track.tracker = new AgentHistoryTracker(track.deployment, {
      open: progress.open,
      partial: progress.partial || (progress.last > 0 && !lastKept),
    });
    if (!track.tracker.partial && lastKept) await this.rebuildView(track);
  }

  /** The view as the newest file leaves it: its head, then its state transactions. */
  private async rebuildView(track: AgentTrack): Promise<void> {
    const buf = await fs.readFile(path.join(track.dir, segmentFileName(track.last)));
    const reader = new FrameReader(buf, buf.length);
    track.tracker.startSegment();
    for (let at = FILE_HEADER_BYTES; reader.read(at) === FrameStatus.Ok; at = reader.next) track.tracker.frame(reader, at, true);
    track.tracker.startSegment();
  }

  private async writeFile(track: AgentTrack, no: number, parts: Buffer[], closedAt: number): Promise<number> {
    const file = path.join(track.dir, segmentFileName(no));
    const temp = file + TEMP_SUFFIX;
    const handle = await fs.open(temp, 'w');
    let bytes = 0;
    try {
      for (const part of parts) bytes += part.length;
      await handle.writev(parts);
      if (this.o.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.utimes(temp, closedAt / 1000, closedAt / 1000);
    await fs.rename(temp, file);
    if (this.o.durable) await fsyncDir(track.dir);
    return bytes;
  }

  private async writeProgress(track: AgentTrack): Promise<void> {
    const progress: Progress = { v: 1, through: track.through, last: track.last, ...track.tracker.progress() };
    const file = path.join(track.dir, PROGRESS_FILE);
    const temp = file + TEMP_SUFFIX;
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(progress));
      if (this.o.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  }

  /** The agent's files past its time, then its oldest while over its bytes. */
  private async drop(track: AgentTrack): Promise<void> {
    const oldest = this.now() - track.bound.ms;
    let total = track.files.reduce((sum, f) => sum + f.bytes, 0);
    let dropped = 0;
    while (track.files.length > 0 && (track.files[0]!.closedAt < oldest || total > track.bound.bytes)) {
      const file = track.files.shift()!;
      await fs.rm(path.join(track.dir, segmentFileName(file.no)), { force: true });
      total -= file.bytes;
      dropped++;
    }
    if (dropped > 0 && this.o.durable) await fsyncDir(track.dir);
    this.stats.filesDropped += dropped;
  }
}

async function readProgress(track: AgentTrack, warn: (w: EmbeddedLogError) => void): Promise<Progress | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(track.dir, PROGRESS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const p = JSON.parse(text) as Progress;
    if (
      p?.v === 1 &&
      Number.isSafeInteger(p.through) &&
      Number.isSafeInteger(p.last) &&
      Array.isArray(p.open) &&
      p.open.every((id) => typeof id === 'string') &&
      typeof p.partial === 'boolean'
    )
      return p;
  } catch {
    // reported below
  }
  warn(
    new EmbeddedLogError('log.corrupt', `the replay history of ${track.deployment} has an unreadable ${PROGRESS_FILE}`, {
      context: { dir: track.dir },
      hint: 'its files stay readable; copying goes on from the next segment deleted, with the state unknown until a snapshot of it passes',
    }),
  );
  return undefined;
}

function forgottenWarning(track: AgentTrack, count: number): EmbeddedLogError {
  return new EmbeddedLogError(
    'log.history-incomplete',
    `the replay history of ${track.deployment} forgot ${count} open deliveries (more than it tracks at once)`,
    {
      context: { agent: track.deployment, forgotten: count },
      hint: 'their completions are not kept: a replay leaves those handlings out; an agent with that many deliveries in flight is a backlog worth draining',
    },
  );
}
