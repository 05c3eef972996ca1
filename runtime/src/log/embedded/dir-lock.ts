/**
 * One process per log directory. Two writers appending to the same segment would interleave frames
 * and corrupt it, so open() takes a LOCK file holding the owner's pid. A LOCK left behind by a
 * killed process (kill -9, power loss) is taken over when its pid is no longer alive.
 *
 * A LOCK holding OUR pid that this process did not take comes from an earlier incarnation that got
 * the same pid — the normal case for a restarted container whose runtime is pid 1 — and is stale.
 *
 * Limits: pid liveness is a heuristic (a recycled pid keeps the lock until that process exits; the
 * error names the pid so an operator can remove the file), and two processes taking over the same
 * stale lock at the same instant is not prevented. The runtime starts one log per directory.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { EmbeddedLogError } from './errors.js';
import { LOCK_FILE } from './segment-files.js';

/** Lock files this process holds, to tell "our pid, held by us" from "our pid, left by a predecessor". */
const heldByThisProcess = new Set<string>();

export class DirLock {
  private constructor(readonly file: string) {}

  static async acquire(dir: string, warn: (w: EmbeddedLogError) => void): Promise<DirLock> {
    const file = path.resolve(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
        heldByThisProcess.add(file);
        return new DirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number.parseInt(await fs.readFile(file, 'utf8').catch(() => ''), 10);
      const ours = owner === process.pid;
      if (Number.isInteger(owner) && owner > 0 && (ours ? heldByThisProcess.has(file) : isAlive(owner))) {
        throw new EmbeddedLogError('log.locked', `the message log in ${dir} is in use by process ${owner}`, {
          context: { dir, pid: owner, lockFile: file },
          hint: ours
            ? 'this process already opened a log on this directory; close it first'
            : `stop process ${owner}, or delete ${file} if that pid belongs to an unrelated process`,
        });
      }
      warn(
        new EmbeddedLogError(
          'log.stale-lock-taken',
          `taking over the lock of ${dir} left by process ${Number.isNaN(owner) ? '?' : owner}, which is gone`,
          {
            context: { dir, pid: owner },
            hint: 'the previous owner stopped without closing the log (crash or kill); recovery follows',
          },
        ),
      );
      await fs.rm(file, { force: true });
    }
    throw new EmbeddedLogError('log.locked', `could not take the lock of ${dir}`, {
      context: { dir, lockFile: file },
      hint: 'another process is starting on the same directory at the same time',
    });
  }

  async release(): Promise<void> {
    heldByThisProcess.delete(this.file);
    const owner = await fs.readFile(this.file, 'utf8').catch(() => '');
    if (Number.parseInt(owner, 10) === process.pid) await fs.rm(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
