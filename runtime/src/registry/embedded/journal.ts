/**
 * The embedded registry's append-only journal file: recovery on open (truncate a torn tail, refuse
 * real corruption) and a group-committing writer (concurrent appends share one durable write;
 * each write is exactly one checksummed frame, which is what makes torn-tail detection sound).
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeFrame, scanFrames } from './framing.js';
import { syncDir } from './durable-fs.js';
import { parseMutations, type Mutation } from './registry-state.js';
import { RegistryError } from '../errors.js';
import { writeFully } from '../../storage/write-fully.js';
import { DSYNC_WRITES, O_DSYNC_WHERE_DURABLE } from '../../storage/dsync-writes.js';

export interface JournalRecovery {
  mutations: Mutation[];
  /** Bytes dropped from a torn final write (0 when the journal was clean). */
  droppedBytes: number;
}

/** Reads a journal, truncating (and fsyncing) a torn tail. A missing file is an empty journal. */
export async function recoverJournal(path: string): Promise<JournalRecovery> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { mutations: [], droppedBytes: 0 };
    throw err;
  }
  const scan = scanFrames(buf);
  if (scan.tail === 'corrupt') {
    throw new RegistryError('registry.corrupt', `registry journal ${path} is damaged at byte ${scan.validBytes}`, {
      context: { path, offset: scan.validBytes, size: buf.length },
      hint: 'a bad record is followed by more data, so this is not a torn write; restore the data dir from a backup, or truncate the file at that offset to keep only the records before it',
    });
  }
  const mutations: Mutation[] = [];
  for (const [i, payload] of scan.payloads.entries()) {
    try {
      mutations.push(...parseMutations(payload));
    } catch (cause) {
      // The checksum matched, so these bytes are what we wrote: a format bug or foreign file.
      throw new RegistryError('registry.corrupt', `registry journal ${path} frame ${i} is unreadable`, {
        context: { path, frame: i },
        hint: 'the file was written by an incompatible version or is not a Caxton journal',
        cause,
      });
    }
  }
  const droppedBytes = buf.length - scan.validBytes;
  if (droppedBytes > 0) {
    const fh = await open(path, 'r+');
    try {
      await fh.truncate(scan.validBytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  return { mutations, droppedBytes };
}

/**
 * The journal is appended with O_DSYNC where that makes each write durable (Linux): one thread-pool
 * round trip per frame where a write then an fdatasync were two (decision 2199).
 */
const APPEND_DURABLY = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND | O_DSYNC_WHERE_DURABLE;

type Pending =
  | { kind: 'append'; mutations: Mutation[]; resolve: () => void; reject: (err: unknown) => void }
  | { kind: 'rotate'; prepare: () => Promise<string>; resolve: () => void; reject: (err: unknown) => void };

/**
 * Appends batches of mutations durably, in call order. Rotation (switching to a new journal file
 * after a snapshot) goes through the same queue, so no append can slip past it out of order.
 * After any write/fsync error the writer latches failed: the file may now end in a partial frame,
 * and appending after it would turn a recoverable torn tail into mid-file corruption.
 */
export class JournalWriter {
  private pending: Pending[] = [];
  private flushing = false;
  private failure: RegistryError | undefined;
  private bytes: number;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private fh: FileHandle,
    private currentPath: string,
    size: number,
  ) {
    this.bytes = size;
  }

  static async open(path: string): Promise<JournalWriter> {
    const fh = await open(path, APPEND_DURABLY, 0o666);
    const { size } = await fh.stat();
    return new JournalWriter(fh, path, size);
  }

  get path(): string {
    return this.currentPath;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get failed(): RegistryError | undefined {
    return this.failure;
  }

  /** Resolves once the mutations are on disk (a write with O_DSYNC, or a write then fdatasync). */
  append(mutations: Mutation[]): Promise<void> {
    return this.enqueue((resolve, reject) => ({ kind: 'append', mutations, resolve, reject }));
  }

  /**
   * Once every earlier append is durable, runs `prepare` (which must make the old file redundant,
   * e.g. by writing a snapshot, and return the path of the new journal), then appends to the new
   * file and deletes the old one.
   */
  rotate(prepare: () => Promise<string>): Promise<void> {
    return this.enqueue((resolve, reject) => ({ kind: 'rotate', prepare, resolve, reject }));
  }

  /** Resolves when nothing is queued or being written. */
  idle(): Promise<void> {
    if (!this.flushing && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    await this.fh.close();
  }

  private enqueue(make: (resolve: () => void, reject: (err: unknown) => void) => Pending): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push(make(resolve, reject));
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    void this.flush().finally(() => {
      this.flushing = false;
      if (this.pending.length > 0) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private fail(cause: unknown, what: string): RegistryError {
    this.failure ??= new RegistryError('registry.io-failed', `${what} (${this.currentPath}) failed`, {
      context: { path: this.currentPath },
      hint: 'check free space and permissions of the data dir, then restart the node (the journal is repaired on open)',
      cause,
    });
    return this.failure;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      if (this.failure) {
        for (const p of this.pending.splice(0)) p.reject(this.failure);
        return;
      }
      if (head.kind === 'rotate') {
        this.pending.shift();
        await this.runRotation(head);
        continue;
      }
      // Group commit: every append queued up to the next rotation shares one frame and one durable write.
      const stop = this.pending.findIndex((p) => p.kind === 'rotate');
      const batch = this.pending.splice(0, stop === -1 ? this.pending.length : stop) as Extract<Pending, { kind: 'append' }>[];
      const frame = encodeFrame(Buffer.from(JSON.stringify(batch.flatMap((p) => p.mutations)), 'utf8'));
      try {
        await writeFully(this.fh, frame);
        if (!DSYNC_WRITES) await this.fh.datasync();
        this.bytes += frame.length;
        for (const p of batch) p.resolve();
      } catch (cause) {
        const err = this.fail(cause, 'writing the registry journal');
        for (const p of batch) p.reject(err);
      }
    }
  }

  private async runRotation(r: Extract<Pending, { kind: 'rotate' }>): Promise<void> {
    let nextPath: string;
    try {
      nextPath = await r.prepare();
    } catch (cause) {
      // The snapshot did not commit, so the current file is still authoritative: keep using it.
      r.reject(cause);
      return;
    }
    try {
      const next = await open(nextPath, APPEND_DURABLY, 0o666);
      // The new file's directory entry must be durable before acknowledged appends land in it.
      await syncDir(dirname(nextPath));
      const old = this.fh;
      const oldPath = this.currentPath;
      this.fh = next;
      this.currentPath = nextPath;
      this.bytes = 0;
      await old.close();
      await unlink(oldPath);
      r.resolve();
    } catch (cause) {
      r.reject(this.fail(cause, 'switching to a new registry journal'));
    }
  }
}
