/** Runs `node cli/bin/caxton.js …` as a separate process, the way a user would. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CAXTON_BIN = fileURLToPath(new URL('../../../bin/caxton.js', import.meta.url));

/** Never created: the CLI under test sees no saved contexts. */
export const NO_CONTEXTS_FILE = path.join(tmpdir(), `caxton-test-no-contexts-${process.pid}`, 'config.json');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun extends Promise<CliResult> {
  /** Resolves when stdout contains `text` (for long-running commands). */
  waitFor(text: string): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

export function caxton(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): CliRun {
  // A clean environment: the developer's own CAXTON_* variables must not leak into tests.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CAXTON_') && v !== undefined) env[k] = v;
  // Nor their named contexts (decision 1840): unless a test gives its own, a contexts file that is not there.
  env.CAXTON_CONFIG = NO_CONTEXTS_FILE;
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [CAXTON_BIN, ...args], { cwd: opts.cwd ?? process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of [...waiters])
      if (stdout.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(done, {
    waitFor: (text: string) =>
      stdout.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ text, resolve })),
    kill: (signal: NodeJS.Signals = 'SIGINT') => void child.kill(signal),
  });
}
