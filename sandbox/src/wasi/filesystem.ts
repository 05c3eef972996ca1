/**
 * WASI 0.2 `filesystem` for an agent (decision 2191): one preopened directory, `/data`, whose files
 * and directories are reserved keys of the agent's durable state (core's agent-files.ts). Reads go
 * through the call's state view; writes are kept in memory for the call and buffered into the
 * view's write buffer at its end (`flush`, before the sandbox commits), so they commit with the
 * handling's other writes and its sends, or vanish with a crash: a re-handled message sees the old
 * files. Every limit is checked before the work it bounds, and every refusal is a WASI error code to
 * the guest (never a host path, never a silent drop):
 * - paths: absolute or climbing out of /data `not-permitted`; control characters `invalid`; past
 *   the name, path or depth limits `name-too-long` (resolveAgentPath);
 * - no symbolic links, hard links or special files can exist: `symlink-at`, `link-at`
 *   `not-permitted`, `readlink-at` `invalid` (nothing is a link);
 * - a file past `maxFileBytes` `file-too-large`; past the agent's state quota or entry bound
 *   `insufficient-space`; a write during init `read-only`; too many open `too-many-open-files`.
 * Every call is charged host-call fuel for the bytes it moves and the keys it looks at.
 *
 * Shapes as jco's glue calls them: camelCase methods on classes it checks with `instanceof`,
 * `result` errors thrown as their payload, u64 as bigint.
 */
import {
  type AgentFileLimits,
  AGENT_FILE_LIMITS,
  AGENT_FILES_ROOT,
  decodeStoredFile,
  directoryStateKey,
  encodeStoredFile,
  FILE_STATE_KEY_PREFIX,
  fileStateKey,
  resolveAgentPath,
  splitAgentPath,
  storedFileSize,
  storedFileValueLength,
  storedMtimeMs,
} from '@caxton/core';
import type { StateRefusal, StateView } from '../host/state-view.js';
import { InputStream, IoError, OutputStream, closed, failed } from './streams.js';

/** What the file system needs of the sandbox. */
export interface FileSystemHost {
  /** The agent's state: its committed view and this call's write buffer. */
  state: StateView;
  /** Charge a host call moving or examining `bytes`. */
  charge(bytes: number): void;
  /**
   * The time of the work being handled (ms: the message's acceptance, a timer's due time), the
   * mtime of what it writes: the same whenever the work is handled again or replayed, and not a
   * read of the guest's clock.
   */
  nowMs(): number;
  limits?: Partial<AgentFileLimits>;
}

type ErrorCode =
  | 'access'
  | 'bad-descriptor'
  | 'cross-device'
  | 'exist'
  | 'file-too-large'
  | 'insufficient-space'
  | 'invalid'
  | 'is-directory'
  | 'name-too-long'
  | 'no-entry'
  | 'not-directory'
  | 'not-empty'
  | 'not-permitted'
  | 'read-only'
  | 'too-many-open-files'
  | 'illegal-byte-sequence';

type DescriptorType = 'directory' | 'regular-file';
interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
}
interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}
interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}
interface DescriptorStat {
  type: DescriptorType;
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp?: Datetime;
  dataModificationTimestamp?: Datetime;
  statusChangeTimestamp?: Datetime;
}

/** The payload a `result<_, error-code>` is refused with. */
function refuse(code: ErrorCode): never {
  throw code;
}

function datetime(ms: number): Datetime {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
}

/** Bytes read or written at once through a stream or `read`: a guest asking for more gets this many. */
const IO_CHUNK = 64 * 1024;
const WRITE_PERMIT = BigInt(IO_CHUNK);

/** A file's bytes for the running call: loaded from the state view on first use, written back at the call's end. */
interface OpenFile {
  path: string;
  bytes: Uint8Array;
  size: number;
  mtimeMs: number;
  dirty: boolean;
  /** Value characters this file is counted for in the state's write buffer. */
  counted: number;
}

/** One agent instance's file system. */
export class AgentFileSystem {
  readonly limits: AgentFileLimits;
  /** Where the guest sees this tree: its preopen's name. */
  readonly root: string = AGENT_FILES_ROOT;
  /** No descriptor of it may write (the /assets tree). */
  readonly readOnly: boolean = false;
  /** Files touched in the running call, by path. */
  private files = new Map<string, OpenFile>();
  /** Value characters dirty files will add to the state beyond what its buffer counts (the state view's file reservation). */
  private pending = 0;
  private openCount = 0;
  /**
   * The refusal the lift guard decided for the call being made (an argument over its limit, handed
   * to jco cut to nothing, so never read): the host method answers it instead of doing the call.
   */
  private guardRefusal: ErrorCode | undefined;

  constructor(private readonly host: FileSystemHost) {
    this.limits = { ...AGENT_FILE_LIMITS, ...host.limits };
  }

  /** The `wasi:filesystem/preopens` list: `/data`. */
  preopens(): [Descriptor, string][] {
    return [[new Descriptor(this, '', 'directory', { read: true, write: true, mutateDirectory: true }), AGENT_FILES_ROOT]];
  }

  charge(bytes: number): void {
    this.host.charge(bytes);
  }

  /** The lift guard's verdict on the call it is about to let through (undefined: none), cleared when it returns. */
  refuseNextCall(code: ErrorCode | undefined): void {
    this.guardRefusal = code;
  }

  /** Answers the guard's refusal of this call, if it made one. */
  checkGuard(): void {
    if (this.guardRefusal !== undefined) refuse(this.guardRefusal);
  }

  /** `path` resolved against the directory `base`; `directory`: it ended in a slash (it must name a directory). */
  resolve(base: string, path: string): { path: string; directory: boolean } {
    this.checkGuard();
    this.charge(path.length);
    const r = resolveAgentPath(base, path, this.limits);
    if ('refused' in r) refuse(r.refused);
    return { path: r.path, directory: path.endsWith('/') };
  }

  /** What is at `path` now: a directory, a file (its stored value), or nothing. */
  lookup(path: string): { type: 'directory'; mtimeMs: number } | { type: 'regular-file'; value: string | undefined } | undefined {
    if (path === '') return { type: 'directory', mtimeMs: 0 };
    const open = this.files.get(path);
    if (open !== undefined) return { type: 'regular-file', value: undefined };
    const state = this.host.state;
    const file = state.readReserved(fileStateKey(path));
    if (file !== undefined) return { type: 'regular-file', value: file };
    const dir = state.readReserved(directoryStateKey(path));
    if (dir !== undefined) return { type: 'directory', mtimeMs: storedMtimeMs(dir) };
    return undefined;
  }

  stat(path: string): DescriptorStat {
    const found = this.lookup(path) ?? refuse('no-entry');
    let size = 0;
    let mtimeMs: number;
    if (found.type === 'directory') mtimeMs = found.mtimeMs;
    else {
      const open = this.files.get(path);
      size = open !== undefined ? open.size : storedFileSize(found.value!);
      mtimeMs = open !== undefined ? open.mtimeMs : storedMtimeMs(found.value!);
    }
    const t = datetime(mtimeMs);
    return {
      type: found.type,
      linkCount: 1n,
      size: BigInt(size),
      dataAccessTimestamp: t,
      dataModificationTimestamp: t,
      statusChangeTimestamp: t,
    };
  }

  /** The directory `path` must exist (the parent of something being made or opened). */
  requireDirectory(path: string): void {
    const found = this.lookup(path);
    if (found === undefined) refuse('no-entry');
    if (found.type !== 'directory') refuse('not-directory');
  }

  /** The file at `path` for this call (loaded once per call). */
  file(path: string): OpenFile {
    let open = this.files.get(path);
    if (open === undefined) {
      const value = this.host.state.readReserved(fileStateKey(path));
      if (value === undefined) refuse('no-entry');
      const stored = decodeStoredFile(value) ?? { mtimeMs: 0, bytes: new Uint8Array(0) };
      this.charge(value.length);
      open = { path, bytes: stored.bytes, size: stored.bytes.byteLength, mtimeMs: stored.mtimeMs, dirty: false, counted: value.length };
      this.files.set(path, open);
    }
    return open;
  }

  /** Makes the empty file `path` (its parent checked by the caller): a new entry, counted now. */
  createFile(path: string): void {
    this.writable();
    this.checkEntries();
    const mtimeMs = this.host.nowMs();
    const value = encodeStoredFile({ mtimeMs, bytes: new Uint8Array(0) });
    this.put(fileStateKey(path), value);
    this.files.set(path, { path, bytes: new Uint8Array(0), size: 0, mtimeMs, dirty: false, counted: value.length });
  }

  createDirectory(path: string): void {
    this.writable();
    this.checkEntries();
    this.put(directoryStateKey(path), String(Math.trunc(this.host.nowMs())));
  }

  /** Sets the size of `file` to `size` (zeros past its end), or refuses what no quota allows. */
  resize(file: OpenFile, size: number): void {
    this.writable();
    if (size > this.limits.maxFileBytes) refuse('file-too-large');
    if (size === file.size) return;
    this.charge(Math.abs(size - file.size));
    this.touch(file);
    this.reserve(file, size);
    if (size > file.bytes.byteLength) {
      const grown = new Uint8Array(Math.min(this.limits.maxFileBytes, Math.max(size, file.bytes.byteLength * 2, 256)));
      grown.set(file.bytes.subarray(0, file.size));
      file.bytes = grown;
    } else if (size < file.size) file.bytes.fill(0, size, file.size);
    file.size = size;
  }

  /** Writes `data` into `file` at `offset`; answers the bytes written. */
  writeAt(file: OpenFile, offset: number, data: Uint8Array): number {
    this.charge(data.byteLength);
    if (data.byteLength === 0) return 0; // writes nothing, extends nothing
    const end = offset + data.byteLength;
    if (end > this.limits.maxFileBytes) refuse('file-too-large');
    this.writable();
    if (end > file.size) this.resize(file, end);
    file.bytes.set(data, offset);
    this.touch(file);
    return data.byteLength;
  }

  readAt(file: OpenFile, offset: number, length: number): Uint8Array {
    const end = Math.min(file.size, offset + Math.min(length, IO_CHUNK));
    const out = offset >= end ? new Uint8Array(0) : file.bytes.slice(offset, end);
    this.charge(out.byteLength);
    return out;
  }

  /** Marks `file` changed by this call: its mtime is the work's time (its stored length counted again with it). */
  private touch(file: OpenFile): void {
    if (file.dirty) return;
    const was = file.mtimeMs;
    file.mtimeMs = this.host.nowMs();
    try {
      this.reserve(file, file.size);
    } catch (err) {
      file.mtimeMs = was;
      throw err;
    }
    file.dirty = true;
  }

  /**
   * Checks that `file` may grow to `size` within the agent's state quota (its stored value's length,
   * beside what the call's other changed files will add), and counts it as pending.
   */
  private reserve(file: OpenFile, size: number): void {
    const length = storedFileValueLength(size, file.mtimeMs);
    // Only growth is reserved: a file that shrinks frees its room when it is written (at the
    // call's end, shrinks first), not before, so another file's growth never counts on it.
    const more = growthOf(length, file.counted) - growthOf(this.predicted(file), file.counted);
    // roomLeft already takes this call's earlier reservations off.
    if (more > 0 && more > this.host.state.roomLeft()) refuse('insufficient-space');
    this.setPending(this.pending + more);
    this.predictedLength.set(file, length);
  }

  private setPending(bytes: number): void {
    this.pending = bytes;
    this.host.state.reserveForFiles(bytes);
  }

  private readonly predictedLength = new WeakMap<OpenFile, number>();
  private predicted(file: OpenFile): number {
    return this.predictedLength.get(file) ?? file.counted;
  }

  /** Removes the file or empty directory at `path`. */
  remove(path: string, directory: boolean): void {
    this.writable();
    const found = this.lookup(path) ?? refuse('no-entry');
    if (directory) {
      if (found.type !== 'directory') refuse('not-directory');
      if (path === '') refuse('not-permitted');
      if (this.children(path).length > 0) refuse('not-empty');
      this.put(directoryStateKey(path), null);
    } else {
      if (found.type === 'directory') refuse('is-directory');
      this.dropOpen(path);
      this.put(fileStateKey(path), null);
    }
  }

  /**
   * Moves a file or a directory (with all below it) from `from` to `to`. Everything that could
   * refuse it (a path or depth past the limits, the quota) is checked before the first key moves:
   * a rename happens whole or not at all.
   */
  rename(from: string, to: string): void {
    this.writable();
    if (from === '' || to === '') refuse('not-permitted');
    const source = this.lookup(from) ?? refuse('no-entry');
    this.requireDirectory(splitAgentPath(to).parent);
    if (from === to) return;
    const target = this.lookup(to);
    const state = this.host.state;
    if (source.type === 'directory') {
      if (to.startsWith(`${from}/`)) refuse('invalid');
      if (target !== undefined) {
        if (target.type !== 'directory') refuse('not-directory');
        if (this.children(to).length > 0) refuse('not-empty');
      }
      // Every changed file below it is written first, and forgotten: the old paths are gone.
      this.flushUnder(from, true);
      // The directory's own key (`from/`) and every key below it, each with its new key, checked first.
      const { keys, scannedUnits } = state.reservedKeys(directoryStateKey(from));
      this.charge(scannedUnits);
      const moves: [string, string, string][] = [];
      let grow = 0;
      for (const key of keys) {
        const below = key.slice(FILE_STATE_KEY_PREFIX.length + from.length);
        const path = (to + below).replace(/\/$/, '');
        if (utf8Length(path) > this.limits.maxPathBytes) refuse('name-too-long');
        if (path.split('/').length > this.limits.maxDepth) refuse('name-too-long');
        const moved = FILE_STATE_KEY_PREFIX + to + below;
        grow += utf8Length(moved) - utf8Length(key);
        moves.push([key, moved, state.readReserved(key)!]);
      }
      if (grow > state.roomLeft()) refuse('insufficient-space');
      if (target !== undefined) this.put(directoryStateKey(to), null);
      for (const [key] of moves) this.put(key, null);
      for (const [, moved, value] of moves) this.put(moved, value);
      return;
    }
    if (target?.type === 'directory') refuse('is-directory');
    this.flushFile(from);
    const value = state.readReserved(fileStateKey(from))!;
    // Checked whole before anything moves: the new key beside the old, less the file it replaces.
    const replaced = target !== undefined ? state.readReserved(fileStateKey(to)) : undefined;
    const grow =
      utf8Length(fileStateKey(to)) -
      utf8Length(fileStateKey(from)) -
      (replaced !== undefined ? utf8Length(fileStateKey(to)) + replaced.length : 0);
    if (grow > state.roomLeft()) refuse('insufficient-space');
    this.dropOpen(from);
    if (target !== undefined) {
      this.dropOpen(to);
      this.put(fileStateKey(to), null);
    }
    this.put(fileStateKey(from), null);
    this.put(fileStateKey(to), value);
  }

  /** The names directly in the directory `path`, each with its type, in UTF-16 code unit order. */
  children(path: string): { name: string; type: DescriptorType }[] {
    const prefix = path === '' ? FILE_STATE_KEY_PREFIX : directoryStateKey(path);
    const { keys, scannedUnits } = this.host.state.reservedKeys(prefix);
    // The scan, and the sort of what it found (n log n comparisons, a key's length each, roughly).
    this.charge(scannedUnits + keys.length * Math.ceil(Math.log2(keys.length + 1)) * 8);
    const out: { name: string; type: DescriptorType }[] = [];
    for (const key of keys) {
      const rest = key.slice(prefix.length);
      if (rest === '') continue; // the directory's own key
      const slash = rest.indexOf('/');
      if (slash < 0) out.push({ name: rest, type: 'regular-file' });
      else if (slash === rest.length - 1) out.push({ name: rest.slice(0, -1), type: 'directory' });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  opened(): void {
    if (this.openCount >= this.limits.maxOpen) refuse('too-many-open-files');
    this.openCount++;
  }

  closedOne(): void {
    if (this.openCount > 0) this.openCount--;
  }

  /** Ends the call: every changed file goes into the state's write buffer (before the sandbox commits). */
  flush(): void {
    // Most calls touch no file: nothing to sort, write or release (this runs after every call).
    if (this.files.size === 0 && this.pending === 0) {
      this.guardRefusal = undefined;
      return;
    }
    try {
      // Shrinks first: the room they free is there before the growths (each reserved) are written.
      const changed = [...this.files.values()].filter((f) => f.dirty);
      changed.sort((a, b) => this.predicted(a) - a.counted - (this.predicted(b) - b.counted));
      for (const file of changed) this.flushOpen(file);
    } finally {
      // Whatever happened, the next call reads its files afresh from the view.
      this.files.clear();
      this.setPending(0);
      this.guardRefusal = undefined;
    }
  }

  private flushFile(path: string): void {
    const open = this.files.get(path);
    if (open !== undefined) this.flushOpen(open);
  }

  /** Writes the changed files below `dir`; with `forget`, drops them from the call's files too (they are moving). */
  private flushUnder(dir: string, forget: boolean): void {
    for (const [path, open] of [...this.files]) {
      if (!path.startsWith(`${dir}/`)) continue;
      this.flushOpen(open);
      if (forget) this.files.delete(path);
    }
  }

  private flushOpen(file: OpenFile): void {
    if (!file.dirty) return;
    const value = encodeStoredFile({ mtimeMs: file.mtimeMs, bytes: file.bytes.subarray(0, file.size) });
    this.charge(value.length);
    // Its reservation is let go just before its value takes that room in the buffer (and kept if the write is refused).
    const share = growthOf(this.predicted(file), file.counted);
    this.setPending(this.pending - share);
    try {
      this.put(fileStateKey(file.path), value);
    } catch (err) {
      this.setPending(this.pending + share);
      throw err;
    }
    file.counted = value.length;
    this.predictedLength.delete(file);
    file.dirty = false;
  }

  /** Forgets the call's copy of `path` unwritten (it is being removed or replaced). */
  private dropOpen(path: string): void {
    const open = this.files.get(path);
    if (open === undefined) return;
    this.setPending(this.pending - growthOf(this.predicted(open), open.counted));
    this.files.delete(path);
  }

  private put(key: string, value: string | null): void {
    const refused: StateRefusal | null = this.host.state.putFile(key, value);
    if (refused !== null) refuse(refused.kind === 'read-only' ? 'read-only' : 'insufficient-space');
  }

  /** Writes are refused during init (the state is read-only then), and always under /assets (assets.ts). */
  protected writable(): void {
    if (this.host.state.isReadOnly) refuse('read-only');
  }

  private checkEntries(): void {
    if (this.host.state.fileEntries() >= this.limits.maxEntries) refuse('insufficient-space');
  }
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
/** The room a file's value of `length` characters takes beyond the `counted` ones the state holds for it (0 for a shrink). */
const growthOf = (length: number, counted: number): number => Math.max(0, length - counted);
/** The symbol jco's glue disposes a dropped host resource by. */
const symbolDispose: unique symbol = ((Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose')) as never;

/** An open file or directory of /data; `path` relative to /data ('' is /data). */
export class Descriptor {
  /** Counted against `maxOpen` until the guest drops it (the preopen is not). */
  private counted: boolean;

  constructor(
    readonly fs: AgentFileSystem,
    readonly path: string,
    readonly type: DescriptorType,
    readonly flags: DescriptorFlags,
    counted = false,
  ) {
    this.counted = counted;
  }

  private dir(): void {
    if (this.type !== 'directory') refuse('not-directory');
  }

  private regular(): OpenFile {
    if (this.type === 'directory') refuse('is-directory');
    return this.fs.file(this.path);
  }

  readViaStream(offset: bigint): InputStream {
    this.fs.charge(0);
    if (!this.flags.read) refuse('bad-descriptor');
    this.regular();
    return new FileInputStream(this.fs, this.path, Number(offset));
  }

  writeViaStream(offset: bigint): OutputStream {
    this.fs.charge(0);
    if (!this.flags.write) refuse('bad-descriptor');
    this.regular();
    return new FileOutputStream(this.fs, this.path, Number(offset), false);
  }

  appendViaStream(): OutputStream {
    this.fs.charge(0);
    if (!this.flags.write) refuse('bad-descriptor');
    this.regular();
    return new FileOutputStream(this.fs, this.path, 0, true);
  }

  advise(..._args: unknown[]): void {
    this.fs.charge(0);
  }

  syncData(): void {
    this.fs.charge(0);
  }

  sync(): void {
    this.fs.charge(0);
  }

  getFlags(): DescriptorFlags {
    this.fs.charge(0);
    return { ...this.flags };
  }

  getType(): DescriptorType {
    this.fs.charge(0);
    return this.type;
  }

  setSize(size: bigint): void {
    this.fs.charge(0);
    if (!this.flags.write) refuse('bad-descriptor');
    const file = this.regular();
    if (size > BigInt(this.fs.limits.maxFileBytes)) refuse('file-too-large');
    this.fs.resize(file, Number(size));
  }

  setTimes(..._args: unknown[]): void {
    // Times are the work's (decision 2191): a guest's are taken and let go, so a program that
    // sets them (a copy keeping them, `touch`) carries on. /assets changes nothing: read-only.
    this.fs.charge(0);
    if (this.fs.readOnly) refuse('read-only');
  }

  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    this.fs.charge(0);
    if (!this.flags.read) refuse('bad-descriptor');
    const file = this.regular();
    const at = offset > BigInt(file.size) ? file.size : Number(offset);
    const bytes = this.fs.readAt(file, at, length > WRITE_PERMIT ? IO_CHUNK : Number(length));
    return [bytes, at + bytes.byteLength >= file.size];
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    this.fs.checkGuard();
    this.fs.charge(0);
    if (!this.flags.write) refuse('bad-descriptor');
    const file = this.regular();
    if (offset + BigInt(buffer.byteLength) > BigInt(this.fs.limits.maxFileBytes)) refuse('file-too-large');
    return BigInt(this.fs.writeAt(file, Number(offset), buffer));
  }

  readDirectory(): DirectoryEntryStream {
    this.fs.charge(0);
    this.dir();
    return new DirectoryEntryStream(this.fs, this.fs.children(this.path));
  }

  createDirectoryAt(path: string): void {
    this.dir();
    const target = this.fs.resolve(this.path, path).path;
    if (target === '' || this.fs.lookup(target) !== undefined) refuse('exist');
    this.fs.requireDirectory(splitAgentPath(target).parent);
    this.fs.createDirectory(target);
  }

  stat(): DescriptorStat {
    this.fs.charge(0);
    return this.fs.stat(this.path);
  }

  statAt(_pathFlags: unknown, path: string): DescriptorStat {
    this.dir();
    const target = this.fs.resolve(this.path, path);
    const stat = this.fs.stat(target.path);
    if (target.directory && stat.type !== 'directory') refuse('not-directory');
    return stat;
  }

  setTimesAt(_pathFlags: unknown, path: string, ..._times: unknown[]): void {
    this.dir();
    if (this.fs.readOnly) refuse('read-only');
    this.fs.lookup(this.fs.resolve(this.path, path).path) ?? refuse('no-entry');
  }

  linkAt(..._args: unknown[]): void {
    // Hard links would make one file two keys: none can exist.
    this.fs.charge(0);
    refuse('not-permitted');
  }

  openAt(_pathFlags: unknown, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    this.dir();
    const { path: target, directory: slashed } = this.fs.resolve(this.path, path);
    if (flags.fileIntegritySync || flags.dataIntegritySync || flags.requestedWriteSync) {
      // Every write is durable with its handling's commit; asking for more is not something this file system does.
      refuse('invalid');
    }
    if (openFlags.create && openFlags.directory) refuse('invalid'); // as wasmtime answers it
    if (this.fs.readOnly && (flags.write || flags.mutateDirectory || openFlags.create || openFlags.truncate)) refuse('read-only');
    const found = this.fs.lookup(target);
    if (found !== undefined && openFlags.create && openFlags.exclusive) refuse('exist');
    if (found === undefined) {
      if (!openFlags.create) refuse('no-entry');
      if (slashed) refuse('is-directory'); // a name ending in / names a directory: none is made by open
      this.fs.requireDirectory(splitAgentPath(target).parent);
      this.fs.opened();
      try {
        this.fs.createFile(target);
      } catch (err) {
        this.fs.closedOne();
        throw err;
      }
      return new Descriptor(this.fs, target, 'regular-file', flags, true);
    }
    if (found.type === 'directory') {
      if (flags.write || openFlags.truncate) refuse('is-directory');
      this.fs.opened();
      return new Descriptor(this.fs, target, 'directory', flags, true);
    }
    if (openFlags.directory || slashed) refuse('not-directory');
    if (openFlags.truncate && !flags.write) refuse('invalid');
    this.fs.opened();
    if (openFlags.truncate) {
      try {
        this.fs.resize(this.fs.file(target), 0);
      } catch (err) {
        this.fs.closedOne();
        throw err;
      }
    }
    return new Descriptor(this.fs, target, 'regular-file', flags, true);
  }

  readlinkAt(path: string): string {
    this.dir();
    this.fs.lookup(this.fs.resolve(this.path, path).path) ?? refuse('no-entry');
    return refuse('invalid'); // nothing here is a symbolic link
  }

  removeDirectoryAt(path: string): void {
    this.dir();
    this.fs.remove(this.fs.resolve(this.path, path).path, true);
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.dir();
    if (!(newDescriptor instanceof Descriptor)) refuse('bad-descriptor');
    if (newDescriptor.fs !== this.fs) refuse('cross-device'); // /data and /assets: a program falls back to a copy
    newDescriptor.dir();
    const from = this.fs.resolve(this.path, oldPath);
    const to = this.fs.resolve(newDescriptor.path, newPath);
    // A name ending in / names a directory.
    if ((from.directory || to.directory) && this.fs.lookup(from.path)?.type === 'regular-file') refuse('not-directory');
    this.fs.rename(from.path, to.path);
  }

  symlinkAt(target: string, path: string): void {
    this.fs.charge(target.length + path.length);
    refuse('not-permitted');
  }

  unlinkFileAt(path: string): void {
    this.dir();
    const target = this.fs.resolve(this.path, path);
    if (target.directory) refuse(this.fs.lookup(target.path)?.type === 'directory' ? 'is-directory' : 'not-directory');
    this.fs.remove(target.path, false);
  }

  isSameObject(other: Descriptor): boolean {
    this.fs.charge(0);
    return other instanceof Descriptor && other.fs === this.fs && other.path === this.path && other.type === this.type;
  }

  metadataHash(): { lower: bigint; upper: bigint } {
    this.fs.charge(0);
    return hashOf(`${this.fs.root}/${this.path}`, this.type);
  }

  metadataHashAt(_pathFlags: unknown, path: string): { lower: bigint; upper: bigint } {
    this.dir();
    const target = this.fs.resolve(this.path, path).path;
    const found = this.fs.lookup(target) ?? refuse('no-entry');
    return hashOf(`${this.fs.root}/${target}`, found.type);
  }

  /** jco's glue calls this when the guest drops its handle (by the symbol it uses). */
  [symbolDispose](): void {
    if (!this.counted) return;
    this.counted = false;
    this.fs.closedOne();
  }
}

/** A stable 128-bit identity of a path (FNV-1a over its type and name). */
function hashOf(path: string, type: DescriptorType): { lower: bigint; upper: bigint } {
  let h = 0xcbf29ce484222325n;
  const mask = (1n << 64n) - 1n;
  for (const c of `${type}:${path}`) h = ((h ^ BigInt(c.codePointAt(0)!)) * 0x100000001b3n) & mask;
  return { lower: h, upper: h ^ 0x9e3779b97f4a7c15n };
}

export class DirectoryEntryStream {
  private next = 0;
  constructor(
    private readonly fs: AgentFileSystem,
    private readonly entries: { name: string; type: DescriptorType }[],
  ) {}
  readDirectoryEntry(): { type: DescriptorType; name: string } | undefined {
    const entry = this.entries[this.next++];
    this.fs.charge(entry?.name.length ?? 0);
    return entry;
  }
}

class FileInputStream extends InputStream {
  constructor(
    private readonly fs: AgentFileSystem,
    private readonly path: string,
    private offset: number,
  ) {
    super();
  }

  override read(len: bigint): Uint8Array {
    this.fs.charge(0);
    const file = this.fileOrClosed();
    if (this.offset >= file.size) return closed();
    const bytes = this.fs.readAt(file, this.offset, len > WRITE_PERMIT ? IO_CHUNK : Number(len));
    this.offset += bytes.byteLength;
    return bytes;
  }

  override blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  override skip(len: bigint): bigint {
    this.fs.charge(0);
    const file = this.fileOrClosed();
    if (this.offset >= file.size) return closed();
    const n = Math.min(file.size - this.offset, len > BigInt(file.size) ? file.size : Number(len));
    this.offset += n;
    return BigInt(n);
  }

  override blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  private fileOrClosed(): OpenFile {
    try {
      return this.fs.file(this.path);
    } catch (err) {
      if (err === 'no-entry') return closed(); // the file was removed while the stream was open
      throw err;
    }
  }
}

class FileOutputStream extends OutputStream {
  constructor(
    private readonly fs: AgentFileSystem,
    private readonly path: string,
    private offset: number,
    private readonly append: boolean,
  ) {
    super();
  }

  override checkWrite(): bigint {
    this.fs.charge(0);
    return WRITE_PERMIT;
  }

  override write(contents: Uint8Array): void {
    try {
      this.fs.checkGuard();
      const file = this.fs.file(this.path);
      const at = this.append ? file.size : this.offset;
      this.offset = at + this.fs.writeAt(file, at, contents);
    } catch (err) {
      // The file system's refusal reaches the guest as the stream's error, whose code
      // `filesystem-error-code` answers (ENOSPC, EFBIG … in libc).
      if (typeof err === 'string') failed(new IoError(`write to ${this.fs.root}/${this.path} refused: ${err}`, err));
      throw err;
    }
  }

  override blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  override flush(): void {
    this.fs.charge(0);
  }

  override blockingFlush(): void {
    this.fs.charge(0);
  }

  override writeZeroes(len: bigint): void {
    this.write(new Uint8Array(len > WRITE_PERMIT ? IO_CHUNK : Number(len)));
  }

  override blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
}

/** `wasi:filesystem/types.filesystem-error-code`: the code a file stream's error carries. */
export function filesystemErrorCode(err: unknown): string | undefined {
  return err instanceof IoError ? err.filesystemCode : undefined;
}
