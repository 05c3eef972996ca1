/**
 * Starting and stopping server processes. Servers log to a file (not a pipe) so a chatty broker can
 * never block on a full pipe and so the log survives for post-mortems after the test ends.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';

/** Children started by this process without `detached`: killed if this process exits first. */
const owned = new Set();
/** Temporary data dirs of the servers this process started: removed if this process exits first. */
const ownedDirs = new Set();
let hooksInstalled = false;

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // A crashed or interrupted test run must not leave a 512 MB JVM behind on a shared machine, nor
  // its data dir in the temp dir (decision 2128: a test file stopped at its deadline left them).
  process.on('exit', () => {
    for (const c of owned) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const d of ownedDirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      } catch {
        /* left: nothing more to do at exit */
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const c of owned) {
        try {
          c.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * `dir` (a server's temporary data dir) is removed if this process exits before the server's
 * stop() does it; the returned function forgets it (stop() removed it, or it is kept on purpose).
 */
export function removeOnExit(dir) {
  installExitHooks();
  ownedDirs.add(dir);
  return () => {
    ownedDirs.delete(dir);
  };
}

/**
 * util-linux `setpriv --pdeathsig KILL` makes the kernel kill the server when this process dies,
 * even by SIGKILL or a V8 out-of-memory abort, where no exit hook runs. Linux only; best effort.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => process.platform === 'linux' && fs.existsSync(p));

/**
 * Spawn `command args` with stdout+stderr appended to `logFile`.
 * `detached: true` makes it outlive this process (the CLI's `up`); otherwise it is reaped on exit.
 */
export function spawnServer(command, args, { logFile, env, detached = false, cwd } = {}) {
  const fd = fs.openSync(logFile, 'a');
  try {
    const [cmd, argv] = !detached && SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
    const child = spawn(cmd, argv, {
      cwd,
      env: { ...process.env, ...env },
      detached,
      stdio: ['ignore', fd, fd],
    });
    if (detached) child.unref();
    else {
      installExitHooks();
      owned.add(child);
      child.once('exit', () => owned.delete(child));
    }
    return child;
  } finally {
    fs.closeSync(fd); // the child holds its own copy of the descriptor
  }
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** The command line of a pid, to make sure a pid file still names our server (pids get reused). */
export async function commandLine(pid) {
  try {
    return (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return '';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `child` (a ChildProcess) or `pid` (someone else's) has exited, or false at timeout. */
async function waitExit(target, timeoutMs) {
  if (typeof target === 'number') {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!isAlive(target)) return true;
      await sleep(50);
    }
    return !isAlive(target);
  }
  if (target.exitCode !== null || target.signalCode !== null) return true;
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      target.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(t);
      resolve(true);
    };
    target.once('exit', onExit);
  });
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. A clean SIGTERM lets Kafka flush and write its clean-shutdown
 * marker, which makes the next start of the same data dir fast (no log recovery).
 * Returns 'term' | 'kill' | 'gone'.
 */
export async function stopProcess(target, { graceMs = 15_000, signal = 'SIGTERM' } = {}) {
  const pid = typeof target === 'number' ? target : target.pid;
  const exited = typeof target === 'number' ? !isAlive(pid) : target.exitCode !== null || target.signalCode !== null;
  if (exited) return 'gone';
  try {
    process.kill(pid, signal);
  } catch {
    return 'gone';
  }
  if (signal === 'SIGKILL') {
    await waitExit(target, 10_000);
    return 'kill';
  }
  if (await waitExit(target, graceMs)) return 'term';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* exited meanwhile */
  }
  await waitExit(target, 10_000);
  return 'kill';
}

/** The last `lines` lines of a log file, for error messages ("" if unreadable). */
export async function tailFile(file, lines = 30) {
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd();
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}
