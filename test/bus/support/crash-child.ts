/**
 * The child process of a SIGKILL crash test: one node (a script under test/dist/bus/crash/) on a
 * data directory, started with the sandbox's Wasm feature flags, its output kept for the failure
 * message and its `progress <n>` lines (what the child handled so far) read as they come, so the
 * test can kill it mid-run. Shared by every crash test, directly (crash-recovery,
 * state-exactly-once: the test kills at a progress mark) or through lives.ts (a fault point kills).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';

const CRASH_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'crash');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CrashChild {
  proc: ChildProcess;
  /** The last `progress <n>` the child printed (0 before any). */
  progress: number;
  /** Its stdout and stderr, interleaved as they came. */
  output: string;
  exited: Promise<Exit>;
}

/** Starts `script` (a file under test/dist/bus/crash/) with `args`; `env` replaces the environment when given. */
export function spawnCrashChild(script: string, args: readonly string[], env?: NodeJS.ProcessEnv): CrashChild {
  const proc = spawn(process.execPath, [...wasmFeatureNodeFlags(), path.join(CRASH_DIR, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env !== undefined ? { env } : {}),
  });
  const child: CrashChild = {
    proc,
    progress: 0,
    output: '',
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    child.output += chunk;
    const all = [...chunk.matchAll(/progress (\d+)\n/g)];
    if (all.length > 0) child.progress = Number(all[all.length - 1]![1]);
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (child.output += chunk));
  return child;
}

/** Waits until `probe` holds; fails with the child's output if it exits first or time runs out. */
export async function untilChild(child: CrashChild, what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (!probe()) {
    if (exited) throw new Error(`child exited while waiting for ${what}:\n${child.output.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${child.output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The child's exit, or a failure with its output if it has not exited within `timeoutMs` (`what`: which life). */
export async function childExit(child: CrashChild, what: string, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    child.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish:\n${child.output.slice(-3000)}`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Kills what still runs (a failed test's children) and waits for every one to be gone. */
export async function reapChildren(children: readonly CrashChild[]): Promise<void> {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
}
