/**
 * Agent log files off the bus thread: each agent's lines are appended to `<dir>/<agent>.log` by
 * asynchronous file calls (libuv's pool), one in flight per file, the lines that come meanwhile
 * joined into the next. Before, every turn of the event loop that logged ran a `statSync` and an
 * `appendFileSync` per agent on the bus thread, so a disk slowed by other writers (the log's
 * fdatasyncs) stalled every agent's routing, and a tenant with many chatty agents could do it on
 * purpose.
 *
 * Bounded: lines waiting for the disk are capped per node (`maxPendingBytes`); past it a file's
 * lines are counted, and the next write says how many were not written (the ring in AgentLogs
 * still holds them). Sizes are tracked here (one stat when a file is opened), and a file past
 * `maxFileBytes` becomes `<file>.1` before the next append. The files last written stay open (at
 * most `maxOpenFiles`), so a turn's lines cost one write, not an open, a write and a close.
 */
import { open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface AgentLogFilesOptions {
  directory: string;
  /** Rotate a file once it holds this many bytes. Default 16 MiB. */
  maxFileBytes?: number;
  /** Bytes of lines waiting for the disk, all files together, before lines are counted instead. Default 16 MiB. */
  maxPendingBytes?: number;
  /** Files kept open between writes, the least recently written closed first. Default 32. */
  maxOpenFiles?: number;
}

interface LogFile {
  readonly path: string;
  /** Open for appending between writes (at most `maxOpenFiles` files are). */
  handle: FileHandle | undefined;
  /** Bytes on disk as far as this process knows; undefined until opened. */
  size: number | undefined;
  pending: string[];
  pendingBytes: number;
  /** Lines not written for want of room, said by the next write. */
  dropped: number;
  writing: Promise<void> | undefined;
}

const DEFAULT_MAX_FILE_BYTES = 16 * 2 ** 20;
const DEFAULT_MAX_PENDING_BYTES = 16 * 2 ** 20;
const DEFAULT_MAX_OPEN_FILES = 32;

export class AgentLogFiles {
  private readonly files = new Map<string, LogFile>();
  /** The files holding a handle, least recently written first. */
  private readonly opened = new Set<LogFile>();
  private pendingBytes = 0;
  private readonly maxFileBytes: number;
  private readonly maxPendingBytes: number;
  private readonly maxOpenFiles: number;

  constructor(private readonly o: AgentLogFilesOptions) {
    this.maxFileBytes = o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxPendingBytes = o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.maxOpenFiles = Math.max(1, o.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
  }

  /** Queues `lines` (whole lines, each ending in a newline) for `agent`'s file; never blocks. */
  write(agent: string, lines: string[]): void {
    const file = this.fileOf(agent);
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.pendingBytes + bytes > this.maxPendingBytes) {
        file.dropped += 1;
        continue;
      }
      file.pending.push(line);
      file.pendingBytes += bytes;
      this.pendingBytes += bytes;
    }
    file.writing ??= this.drain(file);
  }

  /** Resolves once every line queued before it is on disk (or failed to get there), every file closed. */
  async close(): Promise<void> {
    while (true) {
      const writing = [...this.files.values()].map((f) => f.writing).filter((w) => w !== undefined);
      if (writing.length === 0) break;
      await Promise.all(writing);
    }
    await Promise.all([...this.opened].map((f) => this.shut(f)));
  }

  private fileOf(agent: string): LogFile {
    let file = this.files.get(agent);
    if (file === undefined) {
      file = {
        path: path.join(this.o.directory, `${agent.replace(/[^A-Za-z0-9._-]/g, '_')}.log`),
        handle: undefined,
        size: undefined,
        pending: [],
        pendingBytes: 0,
        dropped: 0,
        writing: undefined,
      };
      this.files.set(agent, file);
    }
    return file;
  }

  private async drain(file: LogFile): Promise<void> {
    try {
      while (file.pending.length > 0 || file.dropped > 0) {
        const lines = file.pending;
        const bytes = file.pendingBytes;
        file.pending = [];
        file.pendingBytes = 0;
        this.pendingBytes -= bytes;
        if (file.dropped > 0) {
          lines.push(
            `${new Date().toISOString()} WARN  ${file.dropped} log line(s) not written to this file: the node's log writer was behind\n`,
          );
          file.dropped = 0;
        }
        await this.append(file, lines.join(''));
      }
    } finally {
      file.writing = undefined;
    }
  }

  private async append(file: LogFile, text: string): Promise<void> {
    try {
      let handle = file.handle ?? (await this.reopen(file));
      if ((file.size ?? 0) > this.maxFileBytes) {
        await this.shut(file);
        await rename(file.path, `${file.path}.1`);
        handle = await this.reopen(file);
      }
      this.opened.delete(file);
      this.opened.add(file); // now the most recently written
      await handle.write(text);
      file.size = (file.size ?? 0) + Buffer.byteLength(text);
    } catch {
      // Log files are a convenience; the ring still holds the lines. Never fail handling over them.
      await this.shut(file); // open (and stat) again next time: the file may have been moved or removed
    }
  }

  private async reopen(file: LogFile): Promise<FileHandle> {
    for (const other of this.opened) {
      if (this.opened.size < this.maxOpenFiles) break;
      if (other.writing === undefined) await this.shut(other); // idle: its next write opens it again
    }
    const handle = await open(file.path, 'a');
    file.handle = handle;
    this.opened.add(file);
    file.size = (await handle.stat()).size;
    return handle;
  }

  private async shut(file: LogFile): Promise<void> {
    const handle = file.handle;
    file.handle = undefined;
    file.size = undefined;
    this.opened.delete(file);
    await handle?.close().catch(() => {});
  }
}
