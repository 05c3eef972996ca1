/**
 * Key ring files: one `<keyId> <base64 secret>` per line, blank lines and `#` comments skipped,
 * the first key the one that signs. One definition for every ring a node reads from a file — the
 * Kafka record keys (`--cluster-record-key-file`, decision 2185) and the platform's MTP signing
 * keys (`--mtp-signing-key-file`, decision 2188) — so both are written, checked and rotated alike.
 * Each caller says what its keys are called and which typed error a refusal is.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';

/** A key id: short, plain (it travels with every record or message signed). */
export const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
/** A key file larger than this is not one (a few lines of `<keyId> <base64 secret>`). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/** One key as written in the file: its id and the bytes of its secret. */
export interface KeyLine {
  id: string;
  secret: Buffer;
}

/** Makes the caller's typed error from a message and a hint. */
export type KeyFileRefusal = (message: string, hint: string, context?: Record<string, unknown>, cause?: unknown) => Error;

/**
 * The keys in a key file's text. `what` names them in messages (`record key`); `source` names the
 * file. A bad line is refused by line number and never echoed: with the columns swapped the id
 * column holds the secret.
 */
export function parseKeyLines(text: string, source: string, what: string, refuse: KeyFileRefusal): KeyLine[] {
  const keys: KeyLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${source} line ${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length !== 2)
      throw refuse(`${where}: expected "<keyId> <base64 secret>"`, 'one key per line: its id, a space, its secret in base64');
    const [id, b64] = parts as [string, string];
    if (!KEY_ID.test(id))
      throw refuse(
        `${where}: the key id (its first column, ${id.length} characters) is not a plain name`,
        'use 1-32 letters, digits, ".", "_" or "-"; the line is `<keyId> <base64 secret>`, the id first',
      );
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
      throw refuse(`${where}: the secret of key ${id} is not base64`, 'make one with `openssl rand -base64 32`');
    keys.push({ id, secret: Buffer.from(b64, 'base64') });
  }
  if (keys.length === 0) throw refuse(`${source} lists no ${what}`, 'add a line `<keyId> <base64 secret>` (`openssl rand -base64 32`)');
  return keys;
}

/** Refuses a key file that is not a regular file, is too large, or is readable by others. */
function checkKeyFile(file: string, stat: Stats, what: string, refuse: KeyFileRefusal, rotateDoc: string): void {
  const fail = (message: string, hint: string): Error => refuse(`the ${what} file ${file} ${message}`, hint, { file });
  if (!stat.isFile()) throw fail('is not a regular file', 'name a plain file of `<keyId> <base64 secret>` lines');
  if (stat.size > MAX_KEY_FILE_BYTES)
    throw fail(
      `is ${stat.size} bytes, more than ${MAX_KEY_FILE_BYTES}`,
      'a key file holds a few `<keyId> <base64 secret>` lines: check the path',
    );
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)
    throw fail(
      `is readable or writable by others (mode ${(stat.mode & 0o777).toString(8)})`,
      `its secrets may have leaked: \`chmod 600 ${file}\` (mounted from a Kubernetes Secret: \`defaultMode: 0400\`, no fsGroup), and rotate the keys (${rotateDoc}) if others could read it`,
    );
}

/**
 * A key file's text, read once: checked before it is opened (a FIFO or a device would block or
 * never end) and again on the handle opened (the path may have changed between) — a regular file,
 * small, this user's alone. Anything else is the caller's typed error.
 */
export function readKeyFileSync(file: string, what: string, refuse: KeyFileRefusal, rotateDoc: string): string {
  const ours = new WeakSet<Error>();
  const checked: KeyFileRefusal = (message, hint, context) => {
    const err = refuse(message, hint, context);
    ours.add(err);
    return err;
  };
  try {
    checkKeyFile(file, statSync(file), what, checked, rotateDoc);
    // Non-blocking: a FIFO swapped in after the check above must not hang the open (fstat then refuses it).
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      checkKeyFile(file, fstatSync(fd), what, checked, rotateDoc);
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (ours.has(err as Error)) throw err;
    throw refuse(
      `cannot read the ${what} file ${file}: ${(err as Error).message}`,
      'check the path and that this user may read it',
      { file },
      err,
    );
  }
}
