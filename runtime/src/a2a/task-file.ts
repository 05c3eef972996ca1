/**
 * The A2A task store's file in the node's data directory (decision 2040), so `tasks/get` after a
 * restart still answers with a task's final state. Written like the protocol tracker's snapshot
 * (node/tracker-persistence.ts): whole, to a temporary file that is synced and renamed over the
 * old one, a moment (`intervalMs`) after the store changes and once more when the endpoint
 * closes; one write at a time. A kill -9 loses at most the changes of the last moment: those tasks
 * are then unknown to `tasks/get` (404), never shown in a state they did not reach.
 *
 * Read once at start, bounded before it is read (the store's byte bound and a margin) and parsed
 * strictly; a file that is too large or does not parse is set aside (renamed, with a warning) and
 * the node starts with no tasks rather than not at all.
 */
import { open, readFile, rename, stat } from 'node:fs/promises';
import { BoundedTaskStore, restoreTasks } from './bounded-task-store.js';

export const A2A_TASK_FILE_NAME = 'a2a-tasks.json';
/** Room for the file's framing around the entries' bytes. */
const FILE_MARGIN_BYTES = 1024 * 1024;

export class TaskFile {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly file: string, private readonly store: BoundedTaskStore, private readonly intervalMs: number, private readonly warn: (message: string) => void) {}

  /** Fills `store` from `file` (if there is one) and writes it back after each change from then on. */
  static async open(file: string, store: BoundedTaskStore, warn: (message: string) => void, intervalMs = 250): Promise<TaskFile> {
    const tasks = new TaskFile(file, store, intervalMs, warn);
    await tasks.load();
    store.onChange = () => tasks.changed();
    return tasks;
  }

  private async load(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      return; // first start
    }
    try {
      const limit = this.store.maxBytes * 2 + FILE_MARGIN_BYTES; // lines counted in UTF-16 units; UTF-8 may take up to twice as many bytes for these
      if (size > limit) throw new Error(`it is ${size} bytes, more than the ${limit} the task bounds allow`);
      this.store.restore(restoreTasks(await readFile(this.file, 'utf8'), this.store.maxTasks));
    } catch (err) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside).catch(() => undefined);
      this.warn(`A2A tasks in ${this.file} could not be read (${(err as Error).message}); starting with none (moved it to ${aside})`);
    }
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

  /** Writes the store if it changed since the last write; waits for a write under way first. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = this.write(this.store.snapshotText()).catch((err: unknown) => {
      this.dirty = true; // again at the next change or at close (e.g. the disk full for a moment)
      this.warn(`A2A tasks could not be written to ${this.file}: ${(err as Error).message}`);
    }).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private async write(text: string): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }

  /** The last write: after the endpoint stopped taking requests. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
