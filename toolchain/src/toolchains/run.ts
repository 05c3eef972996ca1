/** Running toolchain commands: output captured (for errors that quote the tool), never a shell. */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Streams each output line (long installs and compiles show progress). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

export function runTool(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: 127, stdout: '', stderr: String((err as Error).message) });
      return;
    }
    let stdout = '';
    let stderr = '';
    const lines = (chunk: string): void => {
      if (opts.onLine) for (const l of chunk.split('\n')) if (l.trim() !== '') opts.onLine(l);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      lines(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      lines(d);
    });
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(err.message) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** The first line of `<cmd> <args>` output, or undefined when the command is missing or fails. */
export async function versionOf(cmd: string, args: readonly string[] = ['--version']): Promise<string | undefined> {
  const r = await runTool(cmd, args, { timeoutMs: 20_000 });
  if (r.code !== 0) return undefined;
  return (r.stdout || r.stderr).split('\n')[0]?.trim();
}
