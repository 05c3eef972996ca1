/**
 * An agent's files at `/data` as durable state (decision 2191): each file and each directory is one
 * reserved state key, so a handling's file writes commit with its other state writes and its sends,
 * or vanish with a crash. The key scheme, the value encoding and path resolution, pure: the
 * sandbox's WASI file system and the operators' tools read and write the same keys.
 *
 * - A file `notes/a.txt` is the key `\0fs:notes/a.txt`, its value `<mtime ms>:<bytes in base64>`.
 * - A directory `notes` is the key `\0fs:notes/` (a trailing slash), its value `<mtime ms>`.
 * - `/data` itself has no key: it always exists.
 */
import { utf8ByteLength } from '../acl/lexical.js';
import type { AgentFileLimits } from './limits/file-limits.js';
import { RESERVED_STATE_KEY_PREFIX } from './state.js';

/** Where an agent's files are seen from inside its sandbox. */
export const AGENT_FILES_ROOT = '/data';

/** The first characters of every key that is a file or directory of the agent. */
export const FILE_STATE_KEY_PREFIX = `${RESERVED_STATE_KEY_PREFIX}fs:`; // isAgentOwnedStateKey (state.ts) names it too

export function isFileStateKey(key: string): boolean {
  return key.startsWith(FILE_STATE_KEY_PREFIX);
}

/** The key of the file at `path` (resolved, relative to /data, no leading or trailing slash). */
export function fileStateKey(path: string): string {
  return FILE_STATE_KEY_PREFIX + path;
}

/** The key of the directory at `path` (resolved, relative to /data, not the root). */
export function directoryStateKey(path: string): string {
  return `${FILE_STATE_KEY_PREFIX}${path}/`;
}

/** A stored file: when it was last written (the handling's clock, ms) and its bytes. */
export interface StoredFile {
  mtimeMs: number;
  bytes: Uint8Array;
}

export function encodeStoredFile(file: StoredFile): string {
  return `${Math.trunc(file.mtimeMs)}:${Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength).toString('base64')}`;
}

/** A stored file's value read back; undefined when it is not one (never written by the runtime). */
export function decodeStoredFile(value: string): StoredFile | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const mtimeMs = Number(value.slice(0, colon));
  if (!Number.isSafeInteger(mtimeMs)) return undefined;
  return { mtimeMs, bytes: new Uint8Array(Buffer.from(value.slice(colon + 1), 'base64')) };
}

/** The size of a stored file from its value alone (no decoding): what `stat` answers. */
export function storedFileSize(value: string): number {
  const colon = value.indexOf(':');
  const b64 = value.length - colon - 1;
  if (colon < 0 || b64 <= 0) return 0;
  const pad = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  // Whole bytes, never negative, whatever an operator imported (the sandbox answers it as a u64).
  return Math.max(0, Math.floor(b64 / 4) * 3 - pad);
}

/** A stored directory's or file's mtime (ms), 0 when the value has none. */
export function storedMtimeMs(value: string): number {
  const colon = value.indexOf(':');
  const n = Number(colon < 0 ? value : value.slice(0, colon));
  return Number.isSafeInteger(n) ? n : 0;
}

/** The characters of a base64 text of `bytes` bytes: what a file takes of the agent's state. */
export function storedFileValueLength(bytes: number, mtimeMs: number): number {
  return String(Math.trunc(mtimeMs)).length + 1 + Math.ceil(bytes / 3) * 4;
}

/** WASI `error-code`s a path can be refused with. */
export type PathRefusal = 'not-permitted' | 'invalid' | 'name-too-long' | 'illegal-byte-sequence';

/**
 * `path` as the guest named it, resolved against the directory `base` (relative to /data, '' for
 * /data itself), to a path relative to /data: `.` and empty names dropped, `..` taken back, never
 * past /data. Refused: an absolute path or one climbing out of /data (`not-permitted`, as wasmtime
 * answers an escape), a NUL or other control character (`invalid`), a lone surrogate
 * (`illegal-byte-sequence`), names, paths or depth past the limits (`name-too-long`).
 */
export function resolveAgentPath(base: string, path: string, limits: AgentFileLimits): { path: string } | { refused: PathRefusal } {
  // Checked before any splitting: the guest chose the length.
  if (path.length > limits.maxPathBytes) return { refused: 'name-too-long' };
  if (path.startsWith('/')) return { refused: 'not-permitted' };
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f) return { refused: 'invalid' };
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = path.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return { refused: 'illegal-byte-sequence' };
      i++;
    }
  }
  const names = base === '' ? [] : base.split('/');
  for (const name of path.split('/')) {
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (names.length === 0) return { refused: 'not-permitted' };
      names.pop();
      continue;
    }
    if (utf8ByteLength(name) > limits.maxNameBytes) return { refused: 'name-too-long' };
    names.push(name);
  }
  if (names.length > limits.maxDepth) return { refused: 'name-too-long' };
  const resolved = names.join('/');
  if (utf8ByteLength(resolved) > limits.maxPathBytes) return { refused: 'name-too-long' };
  return { path: resolved };
}

/** The directory holding `path` ('' for /data), and its last name. */
export function splitAgentPath(path: string): { parent: string; name: string } {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? { parent: '', name: path } : { parent: path.slice(0, slash), name: path.slice(slash + 1) };
}
