/**
 * The CLI's `Io` for tests that run a command in-process: what it writes to stdout and stderr is
 * kept in `out` and `err`, the environment is the one given (nothing of the test process's), the
 * working directory is one that does not exist (a command must not read it unless told to), and
 * the clock is fixed.
 */
import type { Io } from '../../src/io.js';

export type CapturedIo = Io & { out: string; err: string };

export function captureIo(env: Record<string, string> = {}, now = 0): CapturedIo {
  const io = {
    out: '',
    err: '',
    stdout: { write: (s: string | Uint8Array) => (io.out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
    stderr: { write: (s: string) => (io.err += s) },
    env,
    cwd: '/nonexistent-cwd',
    now: () => now,
    onInterrupt: () => () => {},
  };
  return io;
}
