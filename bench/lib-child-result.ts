/**
 * A measurement that needs a process of its own (the RSS of N idle agents, how many agents fit):
 * runs `script` again in a child with --expose-gc and the wasm feature flags the sandbox needs, and
 * returns the JSON object the child prints on its last line of stdout. The child is killed after
 * `timeoutMs`; one that prints no result is an error naming it, with the end of what it printed.
 */
import { spawn } from 'node:child_process';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';

export type ChildResult = Record<string, number | string>;

export function childResult(script: string, args: string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', ...wasmFeatureNodeFlags(), script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    p.stdout.on('data', (d) => (buf += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf.trim().split('\n').pop() ?? '') as ChildResult);
      } catch {
        reject(new Error(`child ${args.join(' ')} exited ${code} without a result: ${buf.slice(-500)}`));
      }
    });
  });
}
