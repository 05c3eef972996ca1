/**
 * The real `caxton` CLI run as a separate process against an in-process node, for the runtime tests
 * that check what an operator's command does end to end: no CAXTON_* variable of the test's
 * environment leaks in, and no context file is read (`CAXTON_CONFIG` points at one that does not exist).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CAXTON = fileURLToPath(new URL('../../../../cli/bin/caxton.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `caxton <args> --addr <address> --token <token>`, run in `dir`; resolves when it exits. */
export function runCli(args: readonly string[], o: { dir: string; address: string; token: string }): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAXTON_')));
  const child = spawn(process.execPath, [CAXTON, ...args, '--addr', o.address, '--token', o.token], {
    cwd: o.dir,
    env: { ...env, CAXTON_CONFIG: path.join(o.dir, 'no-contexts.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
