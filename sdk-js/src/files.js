// The agent's files at /data (decision 2191): its own file system, kept in its durable state, so
// what a handler writes is committed with the handling, all or nothing (a crash leaves no
// half-written file, and the message handled again sees the files as they were).
//
//   import { files } from '@caxton/sdk-js/files';
//   files.writeFile('notes/today.txt', 'hello');
//   const text = files.readFile('notes/today.txt');
//
// QuickJS has no file API: this module is one, over WASI's `wasi:filesystem` (importing it is what
// makes the build add those interfaces to the agent's world), so the agent must be built with
// WASI: `"caxton": { "wasi": true }` in its package.json. Paths are relative to /data
// ("notes.txt", "logs/today.txt") or absolute under it ("/data/notes.txt"). A refusal throws a
// FileError whose `code` is the WASI error code (`no-entry`, `file-too-large`, …) and `errno` its
// POSIX name (`ENOENT`, `EFBIG`, …).
import preopens from 'wasi:filesystem/preopens@0.2.12';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

const ROOT = '/data';
/** Bytes read or written at once. */
const CHUNK = 64 * 1024;

const ERRNO = {
  access: 'EACCES',
  'bad-descriptor': 'EBADF',
  exist: 'EEXIST',
  'file-too-large': 'EFBIG',
  'illegal-byte-sequence': 'EILSEQ',
  'insufficient-space': 'ENOSPC',
  invalid: 'EINVAL',
  io: 'EIO',
  'is-directory': 'EISDIR',
  'name-too-long': 'ENAMETOOLONG',
  'no-entry': 'ENOENT',
  'not-directory': 'ENOTDIR',
  'not-empty': 'ENOTEMPTY',
  'not-permitted': 'EPERM',
  'read-only': 'EROFS',
  'too-many-open-files': 'EMFILE',
};

/** A refused file operation. */
export class FileError extends Error {
  constructor(operation, path, code) {
    super(`${operation} ${JSON.stringify(path)}: ${code}`);
    this.name = 'FileError';
    /** The WASI error code. */
    this.code = code;
    /** Its POSIX name. */
    this.errno = ERRNO[code] ?? code.toUpperCase();
  }
}

/** The error code componentize-qjs throws from an import (a result's error value). */
function codeOf(e) {
  const err = e?.payload ?? e;
  return typeof err === 'string' ? err : undefined;
}

function attempt(operation, path, fn) {
  try {
    return fn();
  } catch (e) {
    const code = codeOf(e);
    if (code !== undefined) throw new FileError(operation, path, code);
    throw e;
  }
}

let root;
/** The preopened /data. */
function data(operation, path) {
  if (root === undefined) root = preopens.getDirectories().find(([, name]) => name === ROOT)?.[0] ?? null;
  if (root === null) throw new FileError(operation, path, 'no-entry');
  return root;
}

/** `path` relative to /data; another absolute path is in no directory the agent has. */
function relative(operation, path) {
  if (typeof path !== 'string') throw new TypeError(`${operation}: the path must be a string, got ${typeof path}`);
  if (path === ROOT || path === `${ROOT}/` || path === '') return '.';
  if (path.startsWith(`${ROOT}/`)) return path.slice(ROOT.length + 1);
  if (path.startsWith('/')) throw new FileError(operation, path, 'no-entry');
  return path;
}

const FOLLOW = { symlinkFollow: true };
// Sizes and offsets (WIT u64) are plain numbers in componentize-qjs's bindings (files are at most 1 MiB).

/**
 * Runs `use` on `path` opened with these flags, and gives the handle back after (the runtime
 * bounds the handles an agent holds open at once; the bindings would release it only later).
 */
function withOpen(operation, path, openFlags, flags, use) {
  const rel = relative(operation, path);
  const handle = attempt(operation, path, () => data(operation, path).openAt(FOLLOW, rel, openFlags, flags));
  try {
    return attempt(operation, path, () => use(handle));
  } finally {
    release(handle);
  }
}

function release(handle) {
  if (typeof handle?.drop === 'function') handle.drop();
}

/** Bytes from what a caller may write: text as UTF-8, or bytes; anything else refused before the file is touched. */
function bytesOf(operation, data) {
  if (typeof data === 'string') return encodeUtf8(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`${operation}: write a string or bytes (Uint8Array, ArrayBuffer), got ${data === null ? 'null' : typeof data}`);
}

function writeAt(file, bytes, start) {
  let at = 0;
  while (at < bytes.length) {
    const wrote = Number(file.write(bytes.subarray(at, at + CHUNK), start + at));
    if (!(wrote > 0)) throw 'io'; // never loop on a write that moves nothing
    at += wrote;
  }
}


export const files = {
  /** The bytes of `path`. */
  readBytes(path) {
    const parts = [];
    let total = 0;
    withOpen('readBytes', path, {}, { read: true }, (file) => {
      for (;;) {
        const [bytes, end] = file.read(CHUNK, total);
        parts.push(bytes);
        total += bytes.length;
        if (end || bytes.length === 0) break;
      }
    });
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  },

  /** The text (UTF-8) of `path`. */
  readFile(path) {
    return decodeUtf8(files.readBytes(path));
  },

  /**
   * Writes `data` (text, as UTF-8, or bytes) to `path`, made if missing, emptied first if present.
   * A write refused part way (past the file's size limit, the quota) leaves what was written.
   */
  writeFile(path, data) {
    const bytes = bytesOf('writeFile', data);
    withOpen('writeFile', path, { create: true, truncate: true }, { write: true }, (file) => writeAt(file, bytes, 0));
  },

  /** Adds `data` at the end of `path`, which must exist (unlike Node's, it makes no file). */
  appendFile(path, data) {
    const bytes = bytesOf('appendFile', data);
    withOpen('appendFile', path, {}, { read: true, write: true }, (file) => writeAt(file, bytes, Number(file.stat().size)));
  },

  /** The entries of the directory `path` ('' for /data): `{ name, directory }`, in the order the runtime gives them. */
  readDir(path = '') {
    const out = [];
    withOpen('readDir', path, { directory: true }, { read: true }, (dir) => {
      const stream = dir.readDirectory();
      try {
        // The bindings answer the end of the directory null.
        for (let e = stream.readDirectoryEntry(); e != null; e = stream.readDirectoryEntry()) {
          out.push({ name: e.name, directory: e.type === 'directory' });
        }
      } finally {
        release(stream);
      }
    });
    return out;
  },

  /** Makes the directory `path` (its parent must exist). */
  mkdir(path) {
    const rel = relative('mkdir', path);
    attempt('mkdir', path, () => data('mkdir', path).createDirectoryAt(rel));
  },

  /** Removes the empty directory `path`. */
  rmdir(path) {
    const rel = relative('rmdir', path);
    attempt('rmdir', path, () => data('rmdir', path).removeDirectoryAt(rel));
  },

  /** Removes the file `path`. */
  unlink(path) {
    const rel = relative('unlink', path);
    attempt('unlink', path, () => data('unlink', path).unlinkFileAt(rel));
  },

  /** Moves the file or directory `from` to `to`. */
  rename(from, to) {
    const a = relative('rename', from);
    const b = relative('rename', to);
    const root = data('rename', from);
    attempt('rename', from, () => root.renameAt(a, root, b));
  },
};
