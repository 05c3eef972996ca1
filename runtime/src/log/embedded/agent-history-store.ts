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
 * progress the same way (one directory sync for both), and only then is the log segment deleted
 * (retention-runner.ts). A crash in between leaves the segment on disk: the copy is written again
 * whole, or skipped when the progress already says it was made. A failure here fails the retention
 * step and applies nothing of the segment (the tracker's finding is dropped), so the segment stays
 * until a later step copies it from the same state.
 */
import type { AgentReplayReach } from '@caxton/core';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { faultPoint } from '../../faults/fault-points.js';
import { AgentHistoryTracker, MAX_OPEN_IDS, frameFacts, type FrameFacts, type TrackedProgress } from './agent-history-tracker.js';
import { EmbeddedLogError } from './errors.js';
import { MAX_ID_BYTES } from './payload.js';
import { FILE_HEADER_BYTES, FileKind, FrameReader, FrameStatus, encodeFileHeader } from './record-format.js';
import { fsyncDir, listSegments, segmentFileName } from './segment-files.js';

export const AGENT_HISTORY_DIR = 'agent-history';
const PROGRESS_FILE = 'progress.json';
/** A kind instance's name: a deployment's (128) and a key (128), with room to spare. */
const MAX_NAME_UNITS = 512;
const TEMP_SUFFIX = '.tmp';
/** The scan gives the event loop a turn after this long (checked every FRAMES_PER_CHECK frames): a 64 MiB segment never blocks the bus for long. */
const MAX_TURN_MS = 5;
const FRAMES_PER_CHECK = 64;
/** What a damaged stretch says: nothing, and a state transaction across it cannot complete. */
const DAMAGE: FrameFacts = { kind: 'other' };

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
  private readonly tracked: ReadonlySet<string>;
  private readonly now: () => number;
  readonly stats = { copiedSegments: 0, bytesWritten: 0, filesDropped: 0 };

  constructor(private readonly o: AgentHistoryStoreOptions) {
    this.now = o.now ?? Date.now;
    this.tracks = [...o.agents].map(([name, bound]) => new AgentTrack(name, agentHistoryDir(o.logDir, name), bound));
    this.tracked = new Set(o.agents.keys());
  }

  /** Each agent's directory made, its progress and files read, its state view rebuilt. */
  async open(): Promise<void> {
    if (this.tracks.length === 0) return;
    const root = path.join(this.o.logDir, AGENT_HISTORY_DIR);
    await fs.mkdir(root, { recursive: true });
    if (this.o.durable) await fsyncDir(this.o.logDir);
    for (const track of this.tracks) await this.openTrack(track);
    if (this.o.durable) await fsyncDir(root);
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

  /**
   * Copy what each agent has in `segment` (about to be deleted) to its history, durably, then drop
   * what the agent's bounds no longer keep. Resolves once the copies and their progress are on
   * disk; throws (the segment must then stay) when one could not be written, each agent's tracker
   * left as it was before this segment.
   */
  async keep(segment: CopiedSegment): Promise<void> {
    const todo = this.tracks.filter((t) => t.through < segment.no);
    if (todo.length === 0) return;
    for (const t of todo) {
      if (t.through > 0 && segment.no > t.through + 1) {
        // Segments went while the agent was not named: its state here is not known.
        t.tracker.losePartialView();
        this.o.warn(gapWarning(t, t.through, segment.no));
      } else if (t.through === 0 && segment.no > 1 && !t.tracker.partial) {
        // Its first copy, of a log that deleted segments before: the state it had is known from its
        // next reset on (a log's first segment starts with every state empty).
        t.tracker.losePartialView();
      }
      t.tracker.startSegment();
    }
    const buf = (await fs.readFile(segment.path)).subarray(0, segment.size);
    const skipped = await this.scan(buf, todo);
    if (skipped > 0) this.o.warn(damagedWarning(segment, skipped));
    const closedAt = segment.closedAt ?? this.now();
    try {
      for (const track of todo) await this.copy(track, segment, buf, closedAt);
    } catch (err) {
      for (const track of todo) track.tracker.startSegment(); // nothing of this segment applied
      throw err;
    }
    this.stats.copiedSegments++;
  }

  /** Record each agent's frames of `buf`, yielding to the event loop every few milliseconds; the bytes skipped as damage. */
  private async scan(buf: Buffer, todo: readonly AgentTrack[]): Promise<number> {
    const reader = new FrameReader(buf, buf.length);
    let skipped = 0;
    let turn = performance.now();
    let at = FILE_HEADER_BYTES;
    for (let n = 1; at < buf.length; n++) {
      if (reader.read(at) !== FrameStatus.Ok) {
        // Damage recovery skipped past (onCorruption 'skip'): go on at the next valid frame.
        const resume = reader.findNextValidFrame(at);
        skipped += (resume < 0 ? buf.length : resume) - at;
        if (resume < 0) break;
        for (const t of todo) t.tracker.frame(reader, at, DAMAGE);
        at = resume;
        continue;
      }
      const facts = frameFacts(reader, this.tracked);
      for (const t of todo) t.tracker.frame(reader, at, facts);
      at = reader.next;
      if (n % FRAMES_PER_CHECK === 0 && performance.now() - turn > MAX_TURN_MS) {
        await yieldToLoop();
        turn = performance.now();
      }
    }
    return skipped;
  }

  /** Write the agent's copy of the segment (if it holds any of its frames) and its progress, then apply them. */
  private async copy(track: AgentTrack, segment: CopiedSegment, buf: Buffer, closedAt: number): Promise<void> {
    const ranges = track.tracker.keptRanges();
    let file: HistoryFile | undefined;
    if (ranges.length > 0) {
      // The head: the state before this segment's frames, built only for a copy that is written.
      const parts = [encodeFileHeader(FileKind.Segment, 0), ...track.tracker.headFrames(this.o.maxPayloadBytes)];
      for (let r = 0; r < ranges.length; r += 2) parts.push(buf.subarray(ranges[r]!, ranges[r + 1]!));
      file = { no: segment.no, closedAt, bytes: await this.writeFile(track, segment.no, parts, closedAt) };
      faultPoint('agent-history-copied');
    }
    const last = file?.no ?? track.last;
    await this.writeProgress(track, { v: 1, through: segment.no, last, ...track.tracker.progressAfter() });
    faultPoint('agent-history-recorded');
    // Durable: from here the segment may go.
    track.tracker.commit();
    track.through = segment.no;
    track.last = last;
    if (file !== undefined) {
      track.files.push(file);
      this.stats.bytesWritten += file.bytes;
    }
    if (track.tracker.forgotten > 0) {
      this.o.warn(forgottenWarning(track, track.tracker.forgotten));
      track.tracker.forgotten = 0;
    }
    await this.drop(track);
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
      // New, or its progress lost: copying starts at the next segment deleted, with the state of a
      // history that already has copies not known.
      track.tracker = new AgentHistoryTracker(track.deployment, { open: [], partial: track.files.length > 0 });
      return;
    }
    // Copies past the progress were cut short before it was written: their segments are still in
    // the log, copied again when deleted.
    for (const file of track.files.filter((f) => f.no > progress.through))
      await fs.rm(path.join(track.dir, segmentFileName(file.no)), { force: true });
    track.files = track.files.filter((f) => f.no <= progress.through);
    track.through = progress.through;
    track.last = progress.last;
    const lastKept = track.files.length > 0 && track.files[track.files.length - 1]!.no === progress.last;
    track.tracker = new AgentHistoryTracker(track.deployment, progress);
    // The view is rebuilt from the newest copy (its head, then its transactions); without it, it is not known.
    if (lastKept) await this.rebuildView(track);
    else if (progress.last > 0) track.tracker.losePartialView();
  }

  /** The view as the newest file leaves it: its head, then its state transactions. */
  private async rebuildView(track: AgentTrack): Promise<void> {
    const buf = await fs.readFile(path.join(track.dir, segmentFileName(track.last)));
    const reader = new FrameReader(buf, buf.length);
    track.tracker.startSegment();
    for (let at = FILE_HEADER_BYTES; reader.read(at) === FrameStatus.Ok; at = reader.next)
      track.tracker.frame(reader, at, frameFacts(reader, this.tracked));
    track.tracker.commitView();
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
    return bytes;
  }

  private async writeProgress(track: AgentTrack, progress: Progress): Promise<void> {
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
    // One directory sync for the copy's rename and the progress's: both durable before the segment goes.
    if (this.o.durable) await fsyncDir(track.dir);
  }

  /**
   * The agent's files past its time, then its oldest while over its bytes; the newest copy always
   * stays (it alone can hold more than the bound: a segment's worth of the agent's frames).
   */
  private async drop(track: AgentTrack): Promise<void> {
    const oldest = this.now() - track.bound.ms;
    let total = track.files.reduce((sum, f) => sum + f.bytes, 0);
    let dropped = 0;
    while (track.files.length > 1 && (track.files[0]!.closedAt < oldest || total > track.bound.bytes)) {
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
      p.last >= 0 &&
      p.last <= p.through &&
      Array.isArray(p.open) &&
      p.open.length <= MAX_OPEN_IDS &&
      p.open.every((id) => typeof id === 'string' && id.length <= MAX_ID_BYTES) &&
      typeof p.partial === 'boolean' &&
      (p.known === undefined || (Array.isArray(p.known) && p.known.every((a) => typeof a === 'string' && a.length <= MAX_NAME_UNITS)))
    )
      return p;
  } catch {
    // reported below
  }
  warn(
    new EmbeddedLogError('log.corrupt', `the replay history of ${track.deployment} has an unreadable ${PROGRESS_FILE}`, {
      context: { dir: track.dir },
      hint: "its copies stay readable; copying goes on from the next segment deleted, each instance's state known again from its next snapshot",
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

function gapWarning(track: AgentTrack, through: number, next: number): EmbeddedLogError {
  return new EmbeddedLogError(
    'log.history-incomplete',
    `the replay history of ${track.deployment} has a gap: segments ${through + 1}..${next - 1} went while it was not kept`,
    {
      context: { agent: track.deployment, from: through + 1, to: next - 1 },
      hint: "a replay across the gap misses those handlings; each instance's state is known again from its next snapshot",
    },
  );
}

function damagedWarning(segment: CopiedSegment, bytes: number): EmbeddedLogError {
  return new EmbeddedLogError(
    'log.history-incomplete',
    `${bytes} damaged bytes of ${segment.path} were not copied to agents' replay histories`,
    {
      context: { file: segment.path, bytes },
      hint: 'recovery skipped that damage when the log opened (onCorruption: skip); the frames after it were copied',
    },
  );
}
