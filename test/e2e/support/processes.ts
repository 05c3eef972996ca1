/**
 * Child processes for end-to-end tests: output captured as it arrives, waiting for output, a hard
 * time limit per process, and a register of every process started so a test file's after() can
 * make sure none outlives it (each is ended by its own pid, nothing broader).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long (a hung CLI must fail the test, not hang the suite). Default 90 s. */
  timeoutMs?: number;
}

const live = new Set<Proc>();

export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly done: Promise<Finished>;
  private exited = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    opts: SpawnOptions = {},
  ) {
    this.child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    const limit = opts.timeoutMs ?? 90_000;
    const timer = setTimeout(() => {
      this.stderr += `\n[test] killed after ${limit} ms\n`;
      this.child.kill('SIGKILL');
    }, limit);
    timer.unref();
    this.done = new Promise<Finished>((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.exited = true;
        live.delete(this);
        this.notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return !this.exited;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves once `test` holds for the output so far; rejects on exit or timeout first. */
  waitFor(test: (p: Proc) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (test(this)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (test(this)) finish();
        else if (this.exited)
          finish(new Error(`${what}: the process exited first\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${what}: not seen within ${timeoutMs} ms\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`)),
        timeoutMs,
      );
      this.listeners.add(check);
    });
  }

  kill(signal: NodeJS.Signals = 'SIGINT'): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Asks nicely (SIGINT), then insists (SIGKILL) after `graceMs`. */
  async stop(graceMs = 20_000): Promise<Finished> {
    this.kill('SIGINT');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** For after(): ends whatever this test file started and is still running. */
export async function stopStragglers(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(5_000)));
}
