/**
 * The A2A task store's file in the node's data directory (decision 2040), so `tasks/get` after a
 * restart still answers with a task's final state.
 *
 * A journal, not a snapshot rewritten per change: a moment (`intervalMs`) after the store changes,
 * the lines of the tasks saved since the last write (coalesced: one line per task) are appended
 * and fsynced. When what was appended since the last compaction passes what the store holds (plus
 * a margin), the file is compacted: the live lines written, in chunks, to a fresh temporary file
 * (created exclusively, mode 0600, no symlink followed), fsynced, renamed over the journal, and
 * the directory fsynced. So each byte a client makes the node keep is written at most about
 * twice, and a tiny change never costs a rewrite of the whole store. Also compacted once at open
 * (which drops a line torn by a crash and anything the bounds forgot). A kill -9 loses at most
 * the changes of the last moment: those tasks are then unknown to `tasks/get` (404), never shown
 * in a state they did not reach.
 *
 * Read once at start, bounded before it is read (opened without following a link, a regular file
 * of at most twice the store's byte bound and a margin — the most a compaction lets it reach) and
 * read line by line: a bad line is skipped with a warning counting them; a file whose header is
 * not this version's, or too large, is set aside (one `.corrupt` file, replaced each time) and the
 * node starts with no tasks rather than not at all.
 */
import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile } from '../listener/bounded-file.js';
import { writeFully } from '../storage/write-fully.js';
import { type BoundedTaskStore, readTaskFile, taskFileHeader } from './bounded-task-store.js';

export const A2A_TASK_FILE_NAME = 'a2a-tasks.json';
/** Room for the file's framing and a last append past the compaction point. */
const FILE_MARGIN_BYTES = 1024 * 1024;
/** A compaction writes its lines in strings of about this size: the event loop gets a turn between them. */
const CHUNK_BYTES = 1024 * 1024;

export class TaskFile {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  /** The journal's size on disk, and what was appended since its last compaction. */
  private fileBytes = 0;
  private compactNext = true;
  /** Bytes written (appends and compactions) since open: the write amplification, for the tests and the bench. */
  bytesWritten = 0;
  compactions = 0;

  private constructor(
    private readonly file: string,
    private readonly store: BoundedTaskStore,
    private readonly intervalMs: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** The most the file may hold: a compaction happens before an append would pass it. */
  get readLimit(): number {
    return 2 * this.store.maxBytes + FILE_MARGIN_BYTES;
  }

  /** Fills `store` from `file` (if there is one), compacts it, and appends each change from then on. */
  static async open(file: string, store: BoundedTaskStore, warn: (message: string) => void, intervalMs = 250): Promise<TaskFile> {
    const tasks = new TaskFile(file, store, intervalMs, warn);
    await tasks.load();
    tasks.dirty = true;
    await tasks.flush();
    store.onChange = () => tasks.changed();
    return tasks;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = (await readBoundedFile(this.file, this.readLimit, { noFollow: true })).toString('utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return; // first start
      await this.setAside(err as Error);
      return;
    }
    try {
      const content = readTaskFile(text);
      this.store.restore(content.tasks);
      if (content.skipped > 0)
        this.warn(
          `${content.skipped} A2A task line(s) in ${this.file} could not be read and were left out (${content.firstProblem}); the others were kept`,
        );
    } catch (err) {
      await this.setAside(err as Error);
    }
  }

  /** One set-aside file, replaced each time: a client that makes the file unreadable at each restart cannot fill the disk with copies. */
  private async setAside(err: Error): Promise<void> {
    const aside = `${this.file}.corrupt`;
    await rename(this.file, aside).catch(() => undefined);
    this.warn(`A2A tasks in ${this.file} could not be read (${err.message}); starting with none (moved it to ${aside})`);
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Writes what changed since the last write (appended, or the file compacted); waits for a write under way first. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = this.writeChanges()
      .catch((err: unknown) => {
        this.dirty = true;
        this.compactNext = true; // the journal may hold half an append: the next write starts it afresh
        this.warn(`A2A tasks could not be written to ${this.file}: ${(err as Error).message}`);
      })
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  private async writeChanges(): Promise<void> {
    if (this.compactNext) return this.compact();
    const lines = this.store.takeChanged();
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    const bytes = Buffer.byteLength(text, 'utf8');
    // Past what the store holds (and a margin), or past what the reader takes: rewrite it whole instead.
    if (this.fileBytes + bytes > Math.min(this.readLimit, 2 * this.store.sizeBytes + FILE_MARGIN_BYTES)) return this.compact();
    const handle = await open(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    try {
      await writeFully(handle, Buffer.from(text, 'utf8'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.fileBytes += bytes;
    this.bytesWritten += bytes;
  }

  /** The whole store to a fresh temporary file, in chunks, then renamed over the journal. */
  private async compact(): Promise<void> {
    const lines = this.store.lines();
    const tmp = `${this.file}.tmp`;
    // A leftover (or planted) .tmp goes first; O_EXCL|O_NOFOLLOW then refuses anything put there since, a symlink included.
    await unlink(tmp).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    let written = 0;
    try {
      await handle.chmod(0o600); // the mode asked at create is masked by the umask
      let chunk = `${taskFileHeader()}\n`;
      for (const line of lines) {
        chunk += `${line}\n`;
        if (chunk.length >= CHUNK_BYTES) {
          written += await writeText(handle, chunk);
          chunk = '';
        }
      }
      if (chunk !== '') written += await writeText(handle, chunk);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await handle.close();
    await rename(tmp, this.file);
    await syncDirectory(path.dirname(this.file));
    this.fileBytes = written;
    this.bytesWritten += written;
    this.compactions += 1;
    this.compactNext = false;
  }

  /** The last write: after the endpoint stopped taking requests. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** The rename is durable only once the directory's entry is. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `text` whole (continuing after short writes); returns its length in bytes. */
async function writeText(handle: FileHandle, text: string): Promise<number> {
  const bytes = Buffer.from(text, 'utf8');
  await writeFully(handle, bytes);
  return bytes.length;
}
