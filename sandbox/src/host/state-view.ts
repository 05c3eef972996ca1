/**
 * An agent's durable state as the sandbox holds it (decision 1600): the *committed view* (what the
 * store holds, as the node passed it, kept current with the writes of completed calls) and the
 * *write buffer* of the call running now. Reads see the buffer over the view; writes are checked
 * against the agent's limits and buffered; `commit` applies the buffer to the view and returns it
 * as the call's state writes, `discard` drops it (a crash). Pure: no I/O, no clock.
 *
 * Keys beginning with U+0000 are the runtime's own bookkeeping (e.g. pending HTTP calls): they
 * stay in the view (the node passes them, and they must survive a reset of the view) but the agent
 * never sees them (get/keys), cannot write them (a control character makes its key invalid), and
 * they do not count against its quotas. The agent's files (decision 2191) are reserved keys too,
 * written through the file system (`putFile`), but its own data: they count against its quotas.
 *
 * The view lives as long as the agent's sandbox in its shard, across instances: a crash loses the
 * instance's memory, never the committed state.
 */
import type { StateErrorKind, StateLimits, StateWrite } from '@caxton/core';
import {
  DEFAULT_STATE_LIMITS,
  RESERVED_STATE_KEY_PREFIX,
  invalidStateKeyReason,
  isAgentOwnedStateKey,
  isFileStateKey,
  isReservedStateKey,
  utf8ByteLength,
} from '@caxton/core';
import { NONE } from '../results.js';

/** The first character of every key the runtime reserves for itself. */
export const RESERVED_KEY_PREFIX = RESERVED_STATE_KEY_PREFIX;

export interface StateRefusal {
  kind: StateErrorKind;
  message: string;
}

export type StateEntries = readonly (readonly [string, string])[];

/** Why `key` cannot be an agent's key, or null (core's rule, shared with operator tools). */
export const invalidKeyReason = invalidStateKeyReason;

/**
 * Compares in UTF-8 byte order (= code point order), which `keys` promises. JavaScript's `<`
 * compares UTF-16 code units: it differs only between a surrogate and a unit in U+E000–U+FFFF.
 */
export function compareUtf8Order(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** Code units ranked so that surrogates (supplementary code points) sort after U+E000–U+FFFF. */
function rank(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
}

/** In unicode mode a surrogate pair is one code point: this matches lone surrogates only. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);

const isReserved = isReservedStateKey;
/** Counted against the agent's quotas: its own keys and its files. */
const isCounted = isAgentOwnedStateKey;
const isFile = isFileStateKey;
const entryBytes = (key: string, value: string): number => utf8ByteLength(key) + utf8ByteLength(value);

/** What one `keys` call returned, and how much it looked at (the host-call fuel measure). */
export interface KeysPage {
  keys: string[];
  /** Code units of the keys examined. */
  scannedUnits: number;
}

export class StateView {
  readonly limits: StateLimits;
  private view = new Map<string, string>();
  /** Bytes (key + value, UTF-8) and keys of the agent's own entries in the view (its files included, bookkeeping excluded). */
  private viewBytes = 0;
  private viewKeys = 0;
  /** The agent's own keys of the view in byte order, built on the first `keys` call and kept current. */
  private sorted: string[] | null = null;
  /** This call's writes: key → new value, or null for a delete. */
  private buffer = new Map<string, string | null>();
  private bufferBytes = 0;
  private bufferKeys = 0;
  /** The agent's files and directories (decision 2191): in the view, and this call's change to that. */
  private viewFiles = 0;
  private bufferFiles = 0;
  /**
   * Bytes the file system holds for this call's changed files beyond what the buffer counts (they
   * are buffered at the call's end): counted against the quota by every write, so a state write
   * cannot take room a file's growth was granted.
   */
  private fileReservation = 0;
  private readOnly = false;

  constructor(entries: StateEntries = [], limits: Partial<StateLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_STATE_LIMITS, ...limits });
    this.reset(entries);
  }

  /** Replaces the committed view (the node knows it is stale), dropping any buffered writes. */
  reset(entries: StateEntries): void {
    this.view = new Map();
    this.viewBytes = 0;
    this.viewKeys = 0;
    this.viewFiles = 0;
    for (const [key, value] of entries) {
      this.view.set(key, value);
      if (isCounted(key)) {
        this.viewBytes += entryBytes(key, value);
        this.viewKeys++;
        if (isFile(key)) this.viewFiles++;
      }
    }
    this.sorted = null;
    this.discard();
  }

  /** Starts a call: `readOnly` for init (reads allowed, writes refused). */
  begin(readOnly: boolean): void {
    if (this.buffer.size > 0) this.discard();
    this.fileReservation = 0;
    this.readOnly = readOnly;
  }

  /** The agent's value of `key` (its own writes of this call included); reserved keys are never seen. */
  get(key: string): string | undefined {
    if (key.length === 0 || isReserved(key)) return undefined;
    const buffered = this.buffer.get(key);
    if (buffered !== undefined) return buffered ?? undefined;
    return this.view.get(key);
  }

  /** The value the key has now (buffer over view), whoever owns it. */
  private current(key: string): string | undefined {
    const buffered = this.buffer.get(key);
    return buffered !== undefined ? (buffered ?? undefined) : this.view.get(key);
  }

  set(key: string, value: string): StateRefusal | null {
    const refused = this.writeRefused(key);
    if (refused !== null) return refused;
    if (value.length > this.limits.maxValueBytes) return this.tooLarge(value.length);
    if (hasLoneSurrogate(value))
      return { kind: 'value-too-large', message: 'the value is not valid Unicode text (it has a lone surrogate) and cannot be stored' };
    const valueBytes = utf8ByteLength(value);
    if (valueBytes > this.limits.maxValueBytes) return this.tooLarge(valueBytes);
    return this.buffered(key, value, valueBytes);
  }

  /** Buffers `key` = `value` (`valueBytes` its UTF-8 bytes) if the agent's quotas allow it. */
  private buffered(key: string, value: string, valueBytes: number): StateRefusal | null {
    const keyBytes = utf8ByteLength(key);
    const old = this.current(key);
    const deltaBytes = keyBytes + valueBytes - (old === undefined ? 0 : keyBytes + utf8ByteLength(old));
    const deltaKeys = old === undefined ? 1 : 0;
    const bytes = this.viewBytes + this.bufferBytes + this.fileReservation + deltaBytes;
    const keys = this.viewKeys + this.bufferKeys + deltaKeys;
    // A write that does not grow the state is always allowed (even over a lowered limit).
    if (deltaBytes > 0 && bytes > this.limits.maxTotalBytes) {
      return { kind: 'quota-exceeded', message: `the agent's state would hold ${bytes} bytes, more than its ${this.limits.maxTotalBytes}` };
    }
    if (deltaKeys > 0 && keys > this.limits.maxKeys) {
      return { kind: 'quota-exceeded', message: `the agent's state would hold ${keys} keys, more than its ${this.limits.maxKeys}` };
    }
    this.buffer.set(key, value);
    this.bufferBytes += deltaBytes;
    this.bufferKeys += deltaKeys;
    if (deltaKeys > 0 && isFile(key)) this.bufferFiles++;
    return null;
  }

  /**
   * A write of one of the agent's files or directories (decision 2191: `key` has the file prefix,
   * the file system checked its path and size): buffered with the call's writes against the
   * agent's quotas; `null` deletes it. Refused in init, as every state write is.
   */
  putFile(key: string, value: string | null): StateRefusal | null {
    if (!isReserved(key) || !isCounted(key)) throw new TypeError('putFile: not a file key');
    if (this.readOnly) return this.writeRefused(key);
    if (value === null) {
      this.dropBuffered(key);
      return null;
    }
    // The file system's values are ASCII (a number, a colon, base64): one byte a character.
    return this.buffered(key, value, value.length);
  }

  /** True in init: every write is refused. */
  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /** Bytes the agent's state may still grow by (its quota less its view and this call's writes). */
  roomLeft(): number {
    return this.limits.maxTotalBytes - this.viewBytes - this.bufferBytes - this.fileReservation;
  }

  /** Sets the bytes the file system holds for this call's changed files (see `fileReservation`). */
  reserveForFiles(bytes: number): void {
    this.fileReservation = Math.max(0, bytes);
  }

  /** The agent's files and directories now (this call's creations and removals included). */
  fileEntries(): number {
    return this.viewFiles + this.bufferFiles;
  }

  /** The value `key` has now (this call's writes over the view), a reserved key included. */
  readReserved(key: string): string | undefined {
    return this.current(key);
  }

  /**
   * Every key starting with `prefix` (a reserved one) that exists now, unordered; and the code
   * units of the keys looked at (the host-call fuel measure, as `keys` counts them).
   */
  reservedKeys(prefix: string): { keys: string[]; scannedUnits: number } {
    const keys: string[] = [];
    let scannedUnits = 0;
    for (const key of this.view.keys()) {
      scannedUnits += key.length;
      if (key.startsWith(prefix) && this.buffer.get(key) !== null) keys.push(key);
    }
    for (const [key, value] of this.buffer) {
      scannedUnits += key.length;
      if (value !== null && !this.view.has(key) && key.startsWith(prefix)) keys.push(key);
    }
    return { keys, scannedUnits };
  }

  /** Why no write of `key` may be made now (init reads only; a key the rules refuse); null when one may. */
  private writeRefused(key: string): StateRefusal | null {
    if (this.readOnly)
      return {
        kind: 'read-only',
        message: 'state cannot be written during init (it is only read there): write it while handling a message or a timer',
      };
    const invalid = invalidKeyReason(key, this.limits.maxKeyBytes);
    return invalid === null ? null : { kind: 'invalid-key', message: invalid };
  }

  private tooLarge(size: number): StateRefusal {
    return { kind: 'value-too-large', message: `the value has ${size} bytes or more, more than the limit of ${this.limits.maxValueBytes}` };
  }

  delete(key: string): StateRefusal | null {
    const refused = this.writeRefused(key);
    if (refused !== null) return refused;
    this.dropBuffered(key);
    return null;
  }

  private dropBuffered(key: string): void {
    const old = this.current(key);
    if (old !== undefined) {
      this.bufferBytes -= entryBytes(key, old);
      this.bufferKeys--;
      if (isFile(key)) this.bufferFiles--;
    }
    this.buffer.set(key, null);
  }

  /** A runtime-owned write (a reserved key), buffered with the call's writes, outside the agent's limits. */
  putReserved(key: string, value: string | null): void {
    if (!isReserved(key) || isCounted(key))
      throw new TypeError(`putReserved: ${JSON.stringify(key.slice(0, 40))} is not a key of the runtime's bookkeeping`);
    this.buffer.set(key, value);
  }

  /**
   * The agent's keys starting with `prefix`, in byte order, after `startAfter` when given, at most
   * min(limit, maxListLimit).
   */
  keys(prefix: string, startAfter: string | undefined, limit: number): KeysPage {
    const max = Math.min(limit >>> 0, this.limits.maxListLimit);
    const out: string[] = [];
    let scannedUnits = 0;
    if (max === 0 || isReserved(prefix)) return { keys: out, scannedUnits };
    const sorted = this.sortedKeys();
    // Where to start: the first key ≥ prefix and > startAfter.
    const from = startAfter !== undefined && compareUtf8Order(startAfter, prefix) >= 0 ? startAfter : prefix;
    const strict = from === startAfter;
    let i = lowerBound(sorted, from);
    // The buffer's own keys of this call, in order (usually a handful).
    const extra: string[] = [];
    for (const [key, value] of this.buffer) {
      if (value !== null && !isReserved(key) && !this.view.has(key) && key.startsWith(prefix)) extra.push(key);
    }
    extra.sort(compareUtf8Order);
    let j = lowerBound(extra, from);
    const after = (k: string): boolean => !strict || compareUtf8Order(k, from) > 0;
    while (out.length < max) {
      const a = sorted[i];
      const b = extra[j];
      const next = a !== undefined && (b === undefined || compareUtf8Order(a, b) < 0) ? a : b;
      if (next === undefined || !next.startsWith(prefix)) break;
      if (next === a) i++;
      else j++;
      scannedUnits += next.length;
      if (!after(next)) continue;
      if (this.buffer.get(next) === null) continue; // deleted in this call
      out.push(next);
    }
    return { keys: out, scannedUnits };
  }

  private sortedKeys(): string[] {
    if (this.sorted === null) {
      const keys: string[] = [];
      for (const key of this.view.keys()) if (!isReserved(key)) keys.push(key);
      this.sorted = keys.sort(compareUtf8Order);
    }
    return this.sorted;
  }

  /**
   * Ends a completed call: applies its buffer to the view and returns its writes, last write per
   * key, without the ones that change nothing (a delete of an absent key, a set to the same value).
   */
  commit(): StateWrite[] {
    // A call that wrote nothing (most) gets the shared frozen empty list: nothing adds to it.
    if (this.buffer.size === 0) return NONE;
    const writes: StateWrite[] = [];
    for (const [key, value] of this.buffer) {
      const old = this.view.get(key);
      if (value === null ? old === undefined : old === value) continue;
      writes.push({ key, value });
      const counted = isCounted(key);
      const visible = !isReserved(key);
      if (value === null) {
        this.view.delete(key);
        if (counted) {
          this.viewBytes -= entryBytes(key, old!);
          this.viewKeys--;
          if (isFile(key)) this.viewFiles--;
        }
        if (visible && this.sorted !== null) this.sorted.splice(lowerBound(this.sorted, key), 1);
      } else {
        this.view.set(key, value);
        if (counted) {
          this.viewBytes += entryBytes(key, value) - (old === undefined ? 0 : entryBytes(key, old));
          if (old === undefined) {
            this.viewKeys++;
            if (isFile(key)) this.viewFiles++;
          }
        }
        if (visible && old === undefined && this.sorted !== null) this.sorted.splice(lowerBound(this.sorted, key), 0, key);
      }
    }
    this.buffer.clear();
    this.bufferBytes = 0;
    this.bufferKeys = 0;
    this.bufferFiles = 0;
    this.fileReservation = 0;
    return writes;
  }

  /** Ends a crashed call: its writes never happened. */
  discard(): void {
    this.buffer.clear();
    this.bufferBytes = 0;
    this.bufferKeys = 0;
    this.bufferFiles = 0;
    this.fileReservation = 0;
  }

  /** Every entry of the committed view, reserved ones included (a pool re-deploying the agent). */
  entries(): [string, string][] {
    return [...this.view];
  }

  /** The agent's own usage (its keys and files; bookkeeping excluded), committed view only. */
  usage(): { bytes: number; keys: number } {
    return { bytes: this.viewBytes, keys: this.viewKeys };
  }
}

/** Index of the first element of `sorted` not before `key` (byte order). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8Order(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
