/**
 * Reads a file an operator or the node names, bounded before a byte is read: opened once (no
 * blocking on a FIFO; with `noFollow`, no symlink followed at the last component — for the node's
 * own files; an operator's certificate is often a link, as Kubernetes mounts secrets), then `fstat` on that handle —
 * a regular file of at most `maxBytes` — and read from the same handle, so nothing can change
 * between the check and the read. `/dev/zero`, a FIFO or a file swapped after a stat cannot make
 * the node read without end or hang at start.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why a file was refused; `code` `ENOENT` etc. is kept from the system's error when it is one. */
export class BoundedFileError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'BoundedFileError';
  }
}

/** The file's bytes, or a `BoundedFileError` (not found, not a regular file, larger than `maxBytes`). */
export async function readBoundedFile(file: string, maxBytes: number, opts: { noFollow?: boolean } = {}): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow === true ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BoundedFileError(e.code === 'ELOOP' ? `${file} is a symbolic link` : e.message, e.code);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new BoundedFileError(`${file} is not a regular file`);
    if (st.size > maxBytes) throw new BoundedFileError(`${file} is ${st.size} bytes, more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < st.size) {
      const { bytesRead } = await handle.read(buf, at, st.size - at, at);
      if (bytesRead === 0) break; // shrank since the fstat: what is there
      at += bytesRead;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } finally {
    await handle.close();
  }
}

/** `readBoundedFile` for start-up code that is synchronous (the CLI's flag parsing): the same checks on the same handle. */
export function readBoundedFileSync(file: string, maxBytes: number, opts: { noFollow?: boolean } = {}): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow === true ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BoundedFileError(e.code === 'ELOOP' ? `${file} is a symbolic link` : e.message, e.code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BoundedFileError(`${file} is not a regular file`);
    if (st.size > maxBytes) throw new BoundedFileError(`${file} is ${st.size} bytes, more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}
