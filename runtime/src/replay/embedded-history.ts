/**
 * One agent's recorded history, read out of an embedded message log's directory (replay, issue 57):
 * every segment oldest first, each forwards, the agent's events yielded in the order the log made
 * them durable (recorded.ts). The frames are interpreted by agent-history.ts; this file walks the
 * files (segment-frames.ts reads each in bounded chunks).
 *
 * READ-ONLY: nothing in the directory is written, truncated, locked or created, so it may run beside
 * the node that owns the log, or on a copy. Reading beside a running node sees each segment as it is
 * when opened; segments created after the listing are not read, and a segment retention deletes
 * before it is opened is skipped (the history then has a gap there, counted in the summary).
 *
 * The history starts where the log starts: retention deletes the oldest segments, so what is read
 * is the handlings committed from the oldest segment still on disk on — or, for an agent the node
 * keeps a history of (decision 2182), from its oldest copy: a segment the log no longer holds is
 * read from `agent-history/<deployment>/`, which holds that agent's frames of it, after its state
 * there. `onStart` says where that is; `onEnd` (and the generator's return value) says what was
 * dropped or could not be matched.
 */
import type { HistoryReader, RecordedEvent } from './recorded.js';
import { listSegments, segmentFileName } from '../log/embedded/segment-files.js';
import { FILE_HEADER_BYTES } from '../log/embedded/record-format.js';
import { formatCursor } from '../log/embedded/history-reader.js';
import { agentHistoryDir, listAgentHistory } from '../log/embedded/agent-history-store.js';
import { deploymentOf } from '../log/embedded/agent-history-tracker.js';
import { AGENT_NAME } from '@caxton/core';
import * as path from 'node:path';
import { AgentHistory, type AgentHistoryCounts, type AgentHistoryLimits } from './agent-history.js';
import { ReplayError } from './errors.js';
import { scanSegmentFrames, type SegmentScan } from './segment-frames.js';

export interface EmbeddedHistoryOptions extends AgentHistoryLimits {
  /** Ends the read (its reason thrown) between two chunks of a segment. */
  signal?: AbortSignal;
  /** Called once, before the first event: which segments there are and where the history starts. */
  onStart?: (start: EmbeddedHistoryStart) => void;
  /** Called once the last segment was read (not when the caller stops early): the summary. */
  onEnd?: (summary: EmbeddedHistorySummary) => void;
}

export interface EmbeddedHistoryStart {
  /** The agent's name as the log records its deliveries and state (its local name). */
  agent: string;
  /** Segment numbers listed, oldest first. */
  segments: readonly number[];
  /** The first segment actually read, and the position its first frame has; undefined when none could be. */
  segment: number | undefined;
  position: string | undefined;
}

export interface EmbeddedHistorySummary extends AgentHistoryCounts {
  segmentsRead: number;
  /** Segments deleted (by the node's retention) between the listing and their reading. */
  segmentsVanished: number;
  /** Segments whose scan stopped before their end: a torn tail, a write under way, damage. */
  segmentsCut: { segment: number; offset: number; reason: string }[];
  /** Events yielded. */
  events: number;
}

/**
 * The events of `agent` (its local name, or `name@platform`) recorded in the embedded log at
 * `logDir` (a node's `<data dir>/log`), oldest first. Throws `replay.no-log` when the directory
 * holds no log, `replay.bad-segment` for a segment whose header this build cannot read,
 * `replay.invalid-argument` for a malformed agent name or bound. Returns the summary.
 */
export async function* readEmbeddedHistory(
  logDir: string,
  agent: string,
  opts: EmbeddedHistoryOptions = {},
): AsyncGenerator<RecordedEvent, EmbeddedHistorySummary> {
  const out: RecordedEvent[] = [];
  const history = new AgentHistory(agent, out, opts);
  const logSegments = await segmentsOf(logDir);
  // The agent's own history (decision 2182): copies of segments retention deleted, read where the log's are gone.
  const deployment = deploymentOf(history.local);
  const copyDir = AGENT_NAME.test(deployment) ? agentHistoryDir(logDir, deployment) : undefined;
  const copies = new Set(copyDir === undefined ? [] : await listAgentHistory(copyDir));
  const inLog = new Set(logSegments);
  const segments = [...new Set([...copies, ...logSegments])].sort((a, b) => a - b);
  const summary: Omit<EmbeddedHistorySummary, keyof AgentHistoryCounts> = {
    segmentsRead: 0,
    segmentsVanished: 0,
    segmentsCut: [],
    events: 0,
  };
  let started = false;
  const start = (segment: number | undefined): void => {
    started = true;
    opts.onStart?.({
      agent: history.local,
      segments,
      segment,
      position: segment === undefined ? undefined : formatCursor(segment, FILE_HEADER_BYTES),
    });
  };
  for (const no of segments) {
    let offset = 0;
    const scan = (dir: string) =>
      scanSegmentFrames(path.join(dir, segmentFileName(no)), (reader, at) => {
        offset = at;
        history.frame(reader, () => formatCursor(no, offset));
      });
    let frames = scan(inLog.has(no) || copyDir === undefined ? logDir : copyDir);
    let step = await frames.next();
    // Deleted since the listing: its copy was made before (the store copies, then retention deletes).
    if (step.done && step.value.ending.kind === 'vanished' && inLog.has(no) && copyDir !== undefined) {
      frames = scan(copyDir);
      step = await frames.next();
    }
    if (step.done && step.value.ending.kind === 'vanished') {
      summary.segmentsVanished++;
      continue;
    }
    if (!started) start(no);
    summary.segmentsRead++;
    let ended: SegmentScan | undefined;
    try {
      for (;;) {
        opts.signal?.throwIfAborted();
        summary.events += out.length;
        // Handed on per chunk: `out` never holds more than one chunk's events.
        for (const event of out.splice(0)) yield event;
        if (step.done) {
          ended = step.value;
          break;
        }
        step = await frames.next();
      }
    } finally {
      // The caller stopped early: close the file.
      if (ended === undefined) await frames.return({ size: 0, ending: { kind: 'end' } });
    }
    history.segmentEnd();
    if (ended.ending.kind === 'cut') summary.segmentsCut.push({ segment: no, offset: ended.ending.offset, reason: ended.ending.reason });
  }
  if (!started) start(undefined);
  const result: EmbeddedHistorySummary = { ...summary, ...history.counted() };
  opts.onEnd?.(result);
  return result;
}

/** The embedded log at `logDir` as a node's HistoryReader: what it could not read whole, in words. */
export function embeddedHistoryReader(logDir: string): HistoryReader {
  return async function* (agent, opts = {}) {
    return incompleteRead(yield* readEmbeddedHistory(logDir, agent, opts.signal === undefined ? {} : { signal: opts.signal }));
  };
}

/** What of the log the reader could not read whole, in words; undefined when it read it all. */
function incompleteRead(s: EmbeddedHistorySummary): string | undefined {
  const parts: string[] = [];
  if (s.segmentsVanished > 0) parts.push(`${s.segmentsVanished} segments deleted by retention while read`);
  if (s.droppedDeliveries + s.droppedSends + s.droppedTimerIntents > 0) parts.push("records past the reader's bounds");
  if (s.segmentsCut.length > 0) parts.push(`${s.segmentsCut.length} segments cut short`);
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** The segment numbers in `dir`, oldest first; `replay.no-log` when it holds no log. */
async function segmentsOf(dir: string): Promise<number[]> {
  let segments: number[];
  try {
    segments = await listSegments(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    throw noLog(dir, code === 'ENOENT' ? 'no such directory' : 'not a directory', err);
  }
  if (segments.length === 0) throw noLog(dir, 'no segment files in it', undefined);
  return segments;
}

function noLog(dir: string, reason: string, cause: unknown): ReplayError {
  return new ReplayError('replay.no-log', `no embedded message log at ${dir}: ${reason}`, {
    context: { dir, reason },
    cause,
    hint: "pass the message log directory of a node that keeps its log on disk: its data directory's log/ folder (a node run with persistence 'memory', or on Kafka, has no segment files to read)",
  });
}
