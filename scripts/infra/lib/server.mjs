/**
 * The lifecycle both test servers share (Kafka and etcd): refuse busy ports, spawn, wait until it
 * serves (stopping the half-started process if it never does), and a handle with stop / restart /
 * kill (a crash, for tests) / start again on the same ports and data / tail of the server's log.
 * Each server supplies only what differs: how to prepare, spawn and recognise it as ready.
 */
import fs from 'node:fs/promises';
import { waitPortsFree } from './ports.mjs';
import { removeOnExit, stopProcess, tailFile } from './process.mjs';
import { progress } from './log.mjs';
import { InfraError } from './errors.mjs';

const RESTART_PORT_WAIT_MS = 15_000;

/**
 * @param {object} s
 * @param {string} s.name            'etcd' | 'kafka' (error codes `infra.<name>.port-in-use`)
 * @param {string} s.host
 * @param {number[]} s.ports         ports the server listens on (checked free before each start)
 * @param {string} s.dataDir
 * @param {boolean} s.ownsDataDir    a temp dir: deleted by stop() unless keepData
 * @param {string} s.logFile
 * @param {number} s.graceMs         SIGTERM → SIGKILL grace on stop
 * @param {() => Promise<void>} [s.prepare]                 before every spawn (config files, storage format)
 * @param {() => import('node:child_process').ChildProcess} s.spawn
 * @param {(child: import('node:child_process').ChildProcess) => Promise<void>} s.waitReady
 * @param {(pid: number, ms: number) => string} s.describe  the progress line once it serves
 * @param {Record<string, unknown>} s.fields                what the handle shows (endpoint, ports…)
 */
export async function startServer(s) {
  let child = null;
  let started = false;
  // A temp data dir is removed at stop(), or at exit if this process ends first (a test file
  // stopped at its deadline, Ctrl-C).
  const forgetDataDir = s.ownsDataDir ? removeOnExit(s.dataDir) : () => {};

  async function start() {
    if (child && child.exitCode === null && child.signalCode === null) return;
    // A restart waits a while for its own ports (a client's socket may still be closing on them);
    // a first start fails at once: whatever listens there is someone else's.
    const [busy] = await waitPortsFree(s.ports, started ? RESTART_PORT_WAIT_MS : 0);
    if (busy !== undefined) {
      throw new InfraError(`infra.${s.name}.port-in-use`, `port ${busy} on ${s.host} is already in use`, {
        context: { port: busy },
        hint: 'stop whatever listens there (`npm run infra:down`?) or pass other ports',
      });
    }
    await s.prepare?.();
    const t0 = Date.now();
    child = s.spawn();
    try {
      await s.waitReady(child);
    } catch (e) {
      await stopProcess(child, { graceMs: 2000 });
      throw e;
    }
    started = true;
    handle.lastStartMs = Date.now() - t0;
    progress(s.describe(child.pid, handle.lastStartMs));
  }

  /** Stop (SIGTERM, SIGKILL after graceMs). Deletes a temp data dir unless keepData. */
  async function stop({ keepData = !s.ownsDataDir, graceMs = s.graceMs } = {}) {
    if (child) await stopProcess(child, { graceMs });
    if (!keepData) {
      await fs.rm(s.dataDir, { recursive: true, force: true });
      forgetDataDir();
    }
  }

  const handle = {
    ...s.fields,
    dataDir: s.dataDir,
    logFile: s.logFile,
    /** milliseconds from spawning to the first successful readiness check */
    lastStartMs: 0,
    get pid() {
      return child?.pid;
    },
    /** Start again after stop({ keepData: true }) or kill(): same ports, same data. */
    start,
    stop,
    /** Clean stop and start on the same ports and data. */
    async restart() {
      await stop({ keepData: true });
      await start();
    },
    /** SIGKILL: a crash, for tests. Data is kept; call start() to recover. */
    async kill() {
      if (child) await stopProcess(child, { signal: 'SIGKILL' });
    },
    /** Tail of the server's log, for diagnostics. */
    tail: (lines) => tailFile(s.logFile, lines),
  };
  try {
    await start();
  } catch (e) {
    if (s.ownsDataDir) await fs.rm(s.dataDir, { recursive: true, force: true });
    forgetDataDir();
    throw e;
  }
  return handle;
}
