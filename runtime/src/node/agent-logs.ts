/**
 * Agent log lines: a bounded ring per agent (memory stays flat however chatty an agent is: at most
 * `linesPerAgent` lines and `unitsPerAgent` UTF-16 code units, each line kept to `lineUnits`) with
 * followers for `caxton logs -f`. Lines are also appended to `<dataDir>/logs/<agent>.log` when a
 * directory is given, so operators keep them across restarts, by AgentLogFiles: off the bus
 * thread, bounded, the file rotated at a size cap.
 */
import { mkdirSync } from 'node:fs';
import type { LogEntry, LogQuery, Sink, Unsubscribe } from '@caxton/core';
import { AgentLogFiles } from './agent-log-files.js';

export interface AgentLogsOptions {
  nodeId: string;
  linesPerAgent: number;
  /**
   * Text one agent's ring keeps, in UTF-16 code units (default 1 Mi): a call may log 256 Ki units by
   * default, so a line count alone would let one agent hold a quarter of a GiB.
   */
  unitsPerAgent?: number;
  /** A line longer than this (default 16 Ki code units) is kept cut, saying how much was left out; its file gets it whole. */
  lineUnits?: number;
  /** Where to append log files; undefined = memory only. */
  directory?: string;
  maxFileBytes?: number;
  /**
   * Called with every line appended and the trace of the handling that wrote it, if any: the OTLP
   * log export (decision 1850). Must not block or throw (it runs on the bus thread).
   */
  onAppend?: (entry: LogEntry, trace: { traceId: string; spanId: string } | undefined) => void;
}

/** The newest lines of one agent, within a line count and a text budget. */
class Ring {
  /** Lines before `head` are gone (undefined, so they can be collected at once); those from it are kept. */
  private lines: (LogEntry | undefined)[] = [];
  private head = 0;
  private units = 0;
  constructor(
    private readonly capacity: number,
    private readonly maxUnits: number,
  ) {}

  push(entry: LogEntry): void {
    this.lines.push(entry);
    this.units += entry.message.length;
    while (this.lines.length - this.head > 1 && (this.lines.length - this.head > this.capacity || this.units > this.maxUnits)) {
      this.units -= this.lines[this.head]!.message.length;
      this.lines[this.head] = undefined;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  toArray(): LogEntry[] {
    return this.lines.slice(this.head) as LogEntry[];
  }
}

const DEFAULT_UNITS_PER_AGENT = 1024 * 1024;
const DEFAULT_LINE_UNITS = 16 * 1024;

/** `message` within `max` code units, cut between characters, saying how much was left out. */
function keptLine(message: string, max: number): string {
  if (message.length <= max) return message;
  let end = max;
  const last = message.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // never half a surrogate pair
  return `${message.slice(0, end)} … [${message.length - end} more characters not kept here]`;
}

export class AgentLogs {
  private readonly rings = new Map<string, Ring>();
  private readonly followers = new Map<string, Set<Sink<LogEntry>>>();
  private readonly pendingWrites = new Map<string, string[]>();
  private flushScheduled = false;
  private readonly files: AgentLogFiles | undefined;

  constructor(private readonly opts: AgentLogsOptions) {
    if (opts.directory) {
      mkdirSync(opts.directory, { recursive: true });
      this.files = new AgentLogFiles({
        directory: opts.directory,
        ...(opts.maxFileBytes !== undefined ? { maxFileBytes: opts.maxFileBytes } : {}),
      });
    }
  }

  append(name: string, line: { level: LogEntry['level']; message: string; at: number }, trace?: { traceId: string; spanId: string }): void {
    // An instance of a kind (`counter/alice`, decision 1980) writes to its kind's log, its lines
    // marked with its key: a million keys must not mean a million rings and files.
    const slash = name.indexOf('/');
    const agent = slash > 0 ? name.slice(0, slash) : name;
    const message = slash > 0 ? `${instanceMark(name.slice(slash + 1))}${line.message}` : line.message;
    const entry: LogEntry = { agent, at: line.at, level: line.level, message, nodeId: this.opts.nodeId };
    this.opts.onAppend?.(entry, trace);
    let ring = this.rings.get(agent);
    if (!ring) {
      ring = new Ring(this.opts.linesPerAgent, this.opts.unitsPerAgent ?? DEFAULT_UNITS_PER_AGENT);
      this.rings.set(agent, ring);
    }
    const lineUnits = this.opts.lineUnits ?? DEFAULT_LINE_UNITS;
    ring.push(message.length > lineUnits ? { ...entry, message: keptLine(message, lineUnits) } : entry);
    for (const sink of this.followers.get(agent) ?? []) sink.next(entry);
    if (this.opts.directory) this.queueWrite(agent, entry);
  }

  query(given: LogQuery, sink: Sink<LogEntry>): Unsubscribe {
    const slash = given.agent.indexOf('/');
    if (slash > 0) {
      // One instance: its kind's lines marked with its key. The limit counts this instance's lines,
      // not the kind's: its stored lines (handed over synchronously by the kind's query, from a
      // bounded ring) are gathered and the last `limit` of them passed on, then live ones as they come.
      const mark = instanceMark(given.agent.slice(slash + 1));
      const { limit, ...rest } = given;
      let stored: LogEntry[] | undefined = limit === undefined ? undefined : [];
      const flush = (): void => {
        if (stored === undefined) return;
        const last = stored.slice(-limit!);
        stored = undefined;
        for (const e of last) sink.next(e);
      };
      const inner = this.query(
        { ...rest, agent: given.agent.slice(0, slash) },
        {
          next: (e) => {
            if (!e.message.startsWith(mark)) return;
            if (stored !== undefined) stored.push(e);
            else sink.next(e);
          },
          end: (error) => {
            flush();
            sink.end(error);
          },
        },
      );
      flush(); // following: the stored lines came during the call, live ones come after it
      return inner;
    }
    const query = given;
    let stored = this.rings.get(query.agent)?.toArray() ?? [];
    if (query.since !== undefined) stored = stored.filter((e) => e.at >= query.since!);
    if (query.limit !== undefined) stored = stored.slice(-query.limit);
    for (const entry of stored) sink.next(entry);
    if (!query.follow) {
      sink.end();
      return () => {};
    }
    let set = this.followers.get(query.agent);
    if (!set) {
      set = new Set();
      this.followers.set(query.agent, set);
    }
    set.add(sink);
    return () => {
      set.delete(sink);
    };
  }

  /** End every follower (node shutdown or agent removal). */
  endFollowers(agent?: string, error?: Error): void {
    for (const [name, set] of this.followers) {
      if (agent !== undefined && name !== agent) continue;
      for (const sink of set) sink.end(error);
      set.clear();
    }
  }

  /** Batch file appends per turn of the event loop: one write per agent per turn instead of one per line. */
  private queueWrite(agent: string, entry: LogEntry): void {
    const list = this.pendingWrites.get(agent) ?? [];
    list.push(`${new Date(entry.at).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${entry.message}\n`);
    this.pendingWrites.set(agent, list);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Hands this turn's lines to the files (which write them off the bus thread). */
  flush(): void {
    this.flushScheduled = false;
    if (this.files) for (const [agent, lines] of this.pendingWrites) this.files.write(agent, lines);
    this.pendingWrites.clear();
  }

  /** The lines queued so far written to their files (node shutdown). */
  async close(): Promise<void> {
    this.flush();
    await this.files?.close();
  }
}

/** How an instance's lines are marked in its kind's log. */
function instanceMark(key: string): string {
  return `[${key}] `;
}
