/** Run a command to completion, optionally streaming its output lines to a callback. */
import { spawn } from 'node:child_process';

export function run(command, args, { onLine, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let partial = '';
    const feed = (chunk) => {
      const text = chunk.toString('utf8');
      out += text;
      if (out.length > 1_000_000) out = out.slice(-500_000);
      if (!onLine) return;
      partial += text;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) onLine(l);
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.once('error', reject); // e.g. ENOENT: command not installed
    child.once('close', (code) => resolve({ code, output: out }));
  });
}

/** True if `command` is on PATH. */
export async function which(command) {
  const r = await run('sh', ['-c', `command -v ${command}`]).catch(() => ({ code: 1, output: '' }));
  return r.code === 0 ? r.output.trim() : null;
}
