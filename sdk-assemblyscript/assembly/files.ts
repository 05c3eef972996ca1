// The agent's files at /data (decision 2191): its own file system, kept in its durable state, so
// what a handler writes is committed with the handling, all or nothing (a crash leaves no
// half-written file, and the message handled again sees the files as they were).
//
// AssemblyScript has no libc, so this module is the file API: it calls WASI preview1 (which the
// build's reactor adapter turns into WASI 0.2), and needs an agent built with WASI: put
// `"caxton": { "wasi": true }` in its package.json. Paths are relative to /data ("notes.txt",
// "logs/today.txt"), or absolute under it ("/data/notes.txt"). Text is UTF-8 in the file.
// AssemblyScript has no exceptions: a refusal is a FileError (its WASI errno), never a trap.

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, prestat: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(
  dirFd: u32, dirFlags: u32, path: usize, pathLen: usize, oflags: u16,
  rightsBase: u64, rightsInheriting: u64, fdFlags: u16, fdOut: usize,
): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, nread: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_readdir")
declare function fd_readdir(fd: u32, buf: usize, bufLen: usize, cookie: u64, bufUsed: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_create_directory")
declare function path_create_directory(fd: u32, path: usize, len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_remove_directory")
declare function path_remove_directory(fd: u32, path: usize, len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_unlink_file")
declare function path_unlink_file(fd: u32, path: usize, len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_rename")
declare function path_rename(fd: u32, old: usize, oldLen: usize, newFd: u32, path: usize, len: usize): u16;

/** WASI errnos this module names (the rest are shown as numbers). */
export namespace Errno {
  export const BADF: u16 = 8;
  export const EXIST: u16 = 20;
  export const FBIG: u16 = 22;
  export const INVAL: u16 = 28;
  export const IO: u16 = 29;
  export const ISDIR: u16 = 31;
  export const NAMETOOLONG: u16 = 37;
  export const NOENT: u16 = 44;
  export const NOSPC: u16 = 51;
  export const NOTDIR: u16 = 54;
  export const NOTEMPTY: u16 = 55;
  export const PERM: u16 = 63;
  export const ROFS: u16 = 69;
  export const NOTCAPABLE: u16 = 76;
}

/** A refused file operation: its WASI errno. */
export class FileError {
  constructor(public errno: u16) {}

  /** The POSIX name of the errno ("ENOENT", "ENOSPC" …), or "E<number>". */
  name(): string {
    switch (this.errno) {
      case Errno.BADF: return "EBADF";
      case Errno.EXIST: return "EEXIST";
      case Errno.FBIG: return "EFBIG";
      case Errno.INVAL: return "EINVAL";
      case Errno.IO: return "EIO";
      case Errno.ISDIR: return "EISDIR";
      case Errno.NAMETOOLONG: return "ENAMETOOLONG";
      case Errno.NOENT: return "ENOENT";
      case Errno.NOSPC: return "ENOSPC";
      case Errno.NOTDIR: return "ENOTDIR";
      case Errno.NOTEMPTY: return "ENOTEMPTY";
      case Errno.PERM: return "EPERM";
      case Errno.ROFS: return "EROFS";
      case Errno.NOTCAPABLE: return "ENOTCAPABLE";
    }
    return "E" + this.errno.toString();
  }

  toString(): string {
    return "file error " + this.name();
  }
}

/** A file's text, or why it could not be read. */
export class FileText {
  constructor(public text: string, public error: FileError | null) {}
}

/** One entry of a directory. */
export class DirEntry {
  constructor(public name: string, public isDirectory: bool) {}
}

/** A directory's entries (in the order the runtime gives them), or why it could not be read. */
export class DirList {
  constructor(public entries: DirEntry[], public error: FileError | null) {}
}

// Rights (WASI preview1): what a descriptor is opened for. The adapter reads FD_READ and FD_WRITE.
const FD_READ: u64 = 1 << 1;
const FD_WRITE: u64 = 1 << 6;
const FD_READDIR: u64 = 1 << 14;
// oflags, fdflags, lookup flags
const O_CREAT: u16 = 1;
const O_DIRECTORY: u16 = 2;
const O_TRUNC: u16 = 8;
const FDFLAGS_APPEND: u16 = 1;
const LOOKUP_SYMLINK_FOLLOW: u32 = 1;
const FILETYPE_DIRECTORY: u8 = 3;
const ROOT = "/data";
const CHUNK: usize = 16384;

let rootFd: i32 = -1; // the preopened /data, found on first use

/** The descriptor of the preopened /data (-1: none: the agent was not built with WASI files). */
function dataFd(): i32 {
  if (rootFd >= 0) return rootFd;
  const prestat = memory.data(8, 4);
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, prestat) != 0) break;
    const len = <usize>load<u32>(prestat, 4);
    const name = heap.alloc(max<usize>(len, 1));
    const ok = fd_prestat_dir_name(fd, name, len) == 0 && String.UTF8.decodeUnsafe(name, len, false) == ROOT;
    heap.free(name);
    if (ok) {
      rootFd = <i32>fd;
      break;
    }
  }
  return rootFd;
}

/** `path` relative to /data as UTF-8 (an absolute path elsewhere is refused NOTCAPABLE, as libc finds no preopen for it). */
function relative(path: string): ArrayBuffer | null {
  if (path == ROOT) return String.UTF8.encode(".");
  if (path.startsWith(ROOT + "/")) return String.UTF8.encode(path.substring(ROOT.length + 1));
  if (path.startsWith("/")) return null;
  return String.UTF8.encode(path);
}

/** Opens `path`; the descriptor, or a negative errno. */
function open(path: string, oflags: u16, rights: u64, fdflags: u16): i32 {
  const root = dataFd();
  if (root < 0) return -<i32>Errno.NOTCAPABLE;
  const rel = relative(path);
  if (rel === null) return -<i32>Errno.NOTCAPABLE;
  const out = memory.data(4, 4);
  const errno = path_open(<u32>root, LOOKUP_SYMLINK_FOLLOW, changetype<usize>(rel), <usize>rel.byteLength, oflags, rights, 0, fdflags, out);
  return errno == 0 ? <i32>load<u32>(out) : -<i32>errno;
}

/** Calls a path function of /data on `path` (relative UTF-8); null on success. */
function onPath(path: string, call: (fd: u32, p: usize, len: usize) => u16): FileError | null {
  const root = dataFd();
  const rel = relative(path);
  if (root < 0 || rel === null) return new FileError(Errno.NOTCAPABLE);
  const errno = call(<u32>root, changetype<usize>(rel), <usize>rel.byteLength);
  return errno == 0 ? null : new FileError(errno);
}

function writeAll(fd: u32, bytes: ArrayBuffer): u16 {
  const iov = memory.data(8, 4);
  const n = memory.data(4, 4);
  let at: usize = 0;
  const total = <usize>bytes.byteLength;
  while (at < total) {
    store<u32>(iov, <u32>(changetype<usize>(bytes) + at));
    store<u32>(iov, <u32>(total - at), 4);
    const errno = fd_write(fd, iov, 1, n);
    if (errno != 0) return errno;
    const wrote = <usize>load<u32>(n);
    if (wrote == 0) return Errno.IO;
    at += wrote;
  }
  return 0;
}

function put(path: string, bytes: ArrayBuffer, fdflags: u16, oflags: u16): FileError | null {
  const fd = open(path, oflags, FD_WRITE, fdflags);
  if (fd < 0) return new FileError(<u16>-fd);
  const errno = writeAll(<u32>fd, bytes);
  const closed = fd_close(<u32>fd);
  if (errno != 0) return new FileError(errno);
  return closed == 0 ? null : new FileError(closed);
}

/** The agent's files. All members are static: one file system per agent. */
export class Files {
  /** Writes `text` to `path` (made if missing, emptied first if present). */
  static write(path: string, text: string): FileError | null {
    return put(path, String.UTF8.encode(text), 0, O_CREAT | O_TRUNC);
  }

  /** Writes `bytes` to `path` (made if missing, emptied first if present). */
  static writeBytes(path: string, bytes: Uint8Array): FileError | null {
    // A view of a part of its buffer is copied out whole; a whole buffer is written as it is.
    const whole = bytes.byteOffset == 0 && bytes.byteLength == bytes.buffer.byteLength;
    return put(path, whole ? bytes.buffer : bytes.slice().buffer, 0, O_CREAT | O_TRUNC);
  }

  /** Adds `text` at the end of `path`, which must exist. */
  static append(path: string, text: string): FileError | null {
    return put(path, String.UTF8.encode(text), FDFLAGS_APPEND, 0);
  }

  /** The text of `path`. */
  static read(path: string): FileText {
    const fd = open(path, 0, FD_READ, 0);
    if (fd < 0) return new FileText("", new FileError(<u16>-fd));
    const buf = heap.alloc(CHUNK);
    const iov = memory.data(8, 4);
    const n = memory.data(4, 4);
    let text = "";
    let errno: u16 = 0;
    for (;;) {
      store<u32>(iov, <u32>buf);
      store<u32>(iov, <u32>CHUNK, 4);
      errno = fd_read(<u32>fd, iov, 1, n);
      const got = <usize>load<u32>(n);
      if (errno != 0 || got == 0) break;
      text += String.UTF8.decodeUnsafe(buf, got, false);
    }
    heap.free(buf);
    fd_close(<u32>fd);
    return new FileText(errno == 0 ? text : "", errno == 0 ? null : new FileError(errno));
  }

  /** The entries of the directory `path` ("" or "/data" for /data itself). */
  static list(path: string): DirList {
    const fd = open(path == "" ? "." : path, O_DIRECTORY, FD_READ | FD_READDIR, 0);
    if (fd < 0) return new DirList([], new FileError(<u16>-fd));
    const entries: DirEntry[] = [];
    const buf = heap.alloc(CHUNK);
    const used = memory.data(4, 4);
    let cookie: u64 = 0;
    let errno: u16 = 0;
    for (;;) {
      errno = fd_readdir(<u32>fd, buf, CHUNK, cookie, used);
      if (errno != 0) break;
      const filled = <usize>load<u32>(used);
      let at: usize = 0;
      let whole = true;
      while (at + 24 <= filled) {
        const next = load<u64>(buf + at);
        const len = <usize>load<u32>(buf + at, 16);
        const type = load<u8>(buf + at, 20);
        if (at + 24 + len > filled) {
          whole = false; // the name was cut: read again from this entry
          break;
        }
        const name = String.UTF8.decodeUnsafe(buf + at + 24, len, false);
        if (name != "." && name != "..") entries.push(new DirEntry(name, type == FILETYPE_DIRECTORY));
        cookie = next;
        at += 24 + len;
      }
      if (whole && filled < CHUNK) break;
    }
    heap.free(buf);
    fd_close(<u32>fd);
    return new DirList(entries, errno == 0 ? null : new FileError(errno));
  }

  /** Removes the file `path`. */
  static remove(path: string): FileError | null {
    return onPath(path, (fd: u32, p: usize, len: usize): u16 => path_unlink_file(fd, p, len));
  }

  /** Makes the directory `path` (its parent must exist). */
  static makeDir(path: string): FileError | null {
    return onPath(path, (fd: u32, p: usize, len: usize): u16 => path_create_directory(fd, p, len));
  }

  /** Removes the empty directory `path`. */
  static removeDir(path: string): FileError | null {
    return onPath(path, (fd: u32, p: usize, len: usize): u16 => path_remove_directory(fd, p, len));
  }

  /** Moves the file or directory `from` to `to`. */
  static rename(from: string, to: string): FileError | null {
    const root = dataFd();
    const a = relative(from);
    const b = relative(to);
    if (root < 0 || a === null || b === null) return new FileError(Errno.NOTCAPABLE);
    const errno = path_rename(<u32>root, changetype<usize>(a), <usize>a.byteLength, <u32>root, changetype<usize>(b), <usize>b.byteLength);
    return errno == 0 ? null : new FileError(errno);
  }
}
