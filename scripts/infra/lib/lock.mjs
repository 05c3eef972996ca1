/**
 * A cross-process lock (an atomic mkdir) so parallel test files installing the same Kafka version
 * do not both run Maven into the same folder. A lock left by a dead process is broken.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { progress } from './log.mjs';
import { InfraError } from './errors.mjs';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

export async function withLock(dir, what, fn, { timeoutMs = 15 * 60_000 } = {}) {
  const lockDir = `${dir}.lock`;
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number(await fs.readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !alive(owner)) {
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new InfraError('infra.lock-timeout', `timed out waiting for another process to finish: ${what}`, {
          context: { lock: lockDir, owner },
          hint: `if no install is running, delete ${lockDir}`,
        });
      }
      if (!announced) {
        progress(`waiting for process ${owner || '?'} to finish: ${what}`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

/**
 * One Caxton apt-get call at a time on the machine: apt waits for dpkg's lock but not for its
 * package lists' (`apt-get update`), so two installs falling back to an update fail each other.
 * The same directory the toolchain's apt calls take (toolchain/src/toolchains/cache.ts, aptLockPath).
 */
export function withAptLock(fn) {
  return withLock(path.join(os.tmpdir(), 'caxton-apt'), 'another apt-get', fn);
}
