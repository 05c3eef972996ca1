/**
 * Agent log files off the bus thread: each agent's lines are appended to `<dir>/<agent>.log` by one
 * writer that takes the files with lines waiting in turn, one file call at a time, so logging never
 * holds more than one of libuv's pool threads (which the message log's writes and fdatasyncs also
 * need). Before, every turn of the event loop that logged ran a `statSync` and an `appendFileSync`
 * per agent on the bus thread, so a disk slowed by other writers stalled every agent's routing, and
 * a tenant with many chatty agents could do it on purpose.
 *
 * Bounded: bytes of lines waiting or being written are capped per node (`maxPendingBytes`) and per
 * file (a quarter of that); a line past either is not queued, and the file gets, in its place, one
 * line saying how many were not written (the ring in AgentLogs still holds them). A batch the disk
 * refuses is counted the same way and its file is tried again a second later. Sizes are tracked here
 * (one stat when a file is opened); a file past `maxFileBytes` becomes `<file>.1` before the next
 * append. The files last written stay open — at most `maxOpenFiles`, each closed after
 * `idleCloseMs` without writes, so a file an operator deletes frees its space soon — and a turn's
 * lines cost one write, not an open, a write and a close.
 */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface AgentLogFilesOptions {
  directory: string;
  /** Rotate a file once it holds this many bytes. Default 16 MiB. */
  maxFileBytes?: number;
  /** Bytes of lines waiting for the disk, all files together. Default 16 MiB; a file may hold a quarter. */
  maxPendingBytes?: number;
  /** Files kept open between writes, the least recently written closed first. Default 32. */
  maxOpenFiles?: number;
  /** A file not written for this long is closed. Default 2 s. */
  idleCloseMs?: number;
}

/** Lines left out at one place in a file's sequence (a run of them is one marker). */
interface NotWritten {
  count: number;
  why: string;
}

interface LogFile {
  readonly path: string;
  handle: FileHandle | undefined;
  /** Bytes on disk as far as this process knows; undefined until opened. */
  size: number | undefined;
  /** performance.now() of its last write. */
  lastWrite: number;
  /** Lines and markers in order; markers cost nothing against the bounds. */
  pending: (string | NotWritten)[];
  pendingBytes: number;
  /** Bytes of its batch being written now: still counted against its share. */
  inFlight: number;
  /** After a refused write: not tried again before this time. */
  retryAt: number;
}

const DEFAULT_MAX_FILE_BYTES = 16 * 2 ** 20;
const DEFAULT_MAX_PENDING_BYTES = 16 * 2 ** 20;
const DEFAULT_MAX_OPEN_FILES = 32;
const DEFAULT_IDLE_CLOSE_MS = 2_000;
const RETRY_AFTER_MS = 1_000;

export class AgentLogFiles {
  private readonly files = new Map<string, LogFile>();
  /** Files with lines waiting, in the order they first had some. */
  private readonly queue = new Set<LogFile>();
  /** Files holding a handle, least recently written first. */
  private readonly opened = new Set<LogFile>();
  private pendingBytes = 0;
  private running: Promise<void> | undefined;
  /** The file being written now: never closed as idle under it. */
  private current: LogFile | undefined;
  /** Handles being closed: counted against the cap until they are. */
  private readonly closing = new Set<Promise<void>>();
  /** Ends the writer's wait for a refused file's retry (new lines, or close()). */
  private wake: (() => void) | undefined;
  /** close() stopped waiting for a slow disk: the writer stops after the call in hand. */
  private gaveUp = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private refused = 0;
  private readonly maxFileBytes: number;
  private readonly maxPendingBytes: number;
  private readonly maxFileShare: number;
  private readonly maxOpenFiles: number;
  private readonly idleCloseMs: number;

  constructor(private readonly o: AgentLogFilesOptions) {
    this.maxFileBytes = o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxPendingBytes = o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.maxFileShare = Math.max(1, Math.floor(this.maxPendingBytes / 4));
    this.maxOpenFiles = Math.max(1, o.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
    this.idleCloseMs = o.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
  }

  /** Batches the disk refused so far (each is counted in its file once the file can be written again). */
  get refusedWrites(): number {
    return this.refused;
  }

  /** Queues `lines` (whole lines, each ending in a newline) for `agent`'s file; never blocks. After close(), does nothing. */
  write(agent: string, lines: readonly string[]): void {
    if (this.closed || lines.length === 0) return;
    const file = this.fileOf(agent);
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.pendingBytes + bytes > this.maxPendingBytes || file.pendingBytes + file.inFlight + bytes > this.maxFileShare) {
        notWritten(file, 1, "the node's log writer was behind");
        continue;
      }
      file.pending.push(line);
      file.pendingBytes += bytes;
      this.pendingBytes += bytes;
    }
    this.queue.add(file);
    this.running ??= this.run();
    this.wake?.();
  }

  /**
   * Takes no more lines, writes what is queued and closes every file — waiting at most `deadlineMs`
   * for a slow disk: past it the writer stops after the call in hand, and that file is closed when
   * its call returns.
   */
  async close(deadlineMs = 5_000): Promise<void> {
    this.closed = true;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs);
    });
    const written = (this.running ?? Promise.resolve()).then(() => 'written' as const);
    if ((await Promise.race([written, deadline])) === 'late') this.gaveUp = true;
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    const closed = Promise.all([...this.opened].filter((f) => f !== this.current).map((f) => this.shut(f)));
    await Promise.race([closed, deadline]);
    clearTimeout(timer);
  }

  private fileOf(agent: string): LogFile {
    let file = this.files.get(agent);
    if (file === undefined) {
      file = {
        path: path.join(this.o.directory, `${agent.replace(/[^A-Za-z0-9._-]/g, '_')}.log`),
        handle: undefined,
        size: undefined,
        lastWrite: 0,
        pending: [],
        pendingBytes: 0,
        inFlight: 0,
        retryAt: 0,
      };
      this.files.set(agent, file);
    }
    return file;
  }

  /** The one writer: a file's waiting lines at a time, until none waits. */
  private async run(): Promise<void> {
    await undefined; // `running` is set before anything below can clear it
    try {
      while (this.queue.size > 0 && !this.gaveUp) {
        const now = performance.now();
        let next: LogFile | undefined;
        let wake = Number.POSITIVE_INFINITY;
        for (const f of this.queue) {
          if (f.retryAt <= now) {
            next = f;
            break;
          }
          wake = Math.min(wake, f.retryAt);
        }
        if (next === undefined) {
          if (this.closed) return; // a refusing disk is not waited for at close
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wake - now);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = undefined;
          continue;
        }
        this.queue.delete(next);
        await this.writeBatch(next);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async writeBatch(file: LogFile): Promise<void> {
    const items = file.pending;
    const bytes = file.pendingBytes;
    file.pending = [];
    file.pendingBytes = 0;
    file.inFlight = bytes;
    let text = '';
    for (const item of items) {
      text +=
        typeof item === 'string'
          ? item
          : `${new Date().toISOString()} WARN  ${item.count} log line(s) not written to this file: ${item.why}\n`;
    }
    this.current = file;
    try {
      await this.append(file, text);
    } catch (err) {
      // Log files are a convenience; the ring still holds the lines. Never fail handling over them.
      this.refused += 1;
      await this.shut(file); // open (and stat) again next time: the file may have been moved or removed
      const why = `the disk refused them (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
      const again: (string | NotWritten)[] = [];
      for (const item of items) {
        if (typeof item === 'string') addNotWritten(again, 1, why);
        else addNotWritten(again, item.count, item.why); // an earlier marker keeps its count
      }
      file.pending = [...again, ...file.pending];
      file.retryAt = performance.now() + RETRY_AFTER_MS;
      this.queue.add(file);
    } finally {
      this.current = undefined;
      file.inFlight = 0;
      this.pendingBytes -= bytes;
    }
  }

  private async append(file: LogFile, text: string): Promise<void> {
    let handle = file.handle ?? (await this.reopen(file));
    if ((file.size ?? 0) > this.maxFileBytes) {
      await this.shut(file);
      // A rename that fails (the directory read-only, say) leaves the lines going to the long file.
      await rename(file.path, `${file.path}.1`).catch(() => {});
      handle = await this.reopen(file);
    }
    this.opened.delete(file);
    this.opened.add(file); // now the most recently written
    file.lastWrite = performance.now();
    await handle.appendFile(text); // writes it all, however many write(2) calls that takes
    file.size = (file.size ?? 0) + Buffer.byteLength(text);
    if (this.gaveUp) await this.shut(file); // close() stopped waiting for this call
  }

  private async reopen(file: LogFile): Promise<FileHandle> {
    // One writer: every other open file is idle, so the least recently written can always go.
    for (const other of this.opened) {
      if (this.opened.size < this.maxOpenFiles) break;
      await this.shut(other);
    }
    await Promise.all(this.closing); // a handle closed as idle counts until it is
    let handle: FileHandle;
    try {
      handle = await open(file.path, 'a');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(this.o.directory, { recursive: true }); // the directory was removed under the node
      handle = await open(file.path, 'a');
    }
    file.handle = handle;
    this.opened.add(file);
    try {
      file.size = (await handle.stat()).size;
    } catch (err) {
      await this.shut(file);
      throw err;
    }
    if (!this.closed) this.idleTimer ??= setInterval(() => void this.closeIdle(), this.idleCloseMs).unref();
    return handle;
  }

  /** Closes files not written for `idleCloseMs`, never the one being written. */
  private async closeIdle(): Promise<void> {
    const before = performance.now() - this.idleCloseMs;
    for (const f of this.opened) {
      if (f.lastWrite > before) break; // least recently written first: the rest are newer
      if (f !== this.current) await this.shut(f);
    }
    if (this.opened.size === 0) {
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private async shut(file: LogFile): Promise<void> {
    const handle = file.handle;
    file.handle = undefined;
    file.size = undefined;
    this.opened.delete(file);
    if (handle === undefined) return;
    const closing = handle.close().catch(() => {});
    this.closing.add(closing);
    await closing;
    this.closing.delete(closing);
  }
}

/** Marks `count` lines left out at this point of the file's sequence (merged with a run just before). */
function notWritten(file: LogFile, count: number, why: string): void {
  addNotWritten(file.pending, count, why);
}

function addNotWritten(items: (string | NotWritten)[], count: number, why: string): void {
  const last = items[items.length - 1];
  if (last !== undefined && typeof last !== 'string' && last.why === why) last.count += count;
  else items.push({ count, why });
}
