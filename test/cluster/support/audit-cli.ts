/** `caxton audit …` through one cluster node, as an operator runs it (the nodes run --no-auth on loopback). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NodeProcess } from './node-process.js';
import { CAXTON_BIN } from './paths.js';

const run = promisify(execFile);

export async function auditThrough(node: NodeProcess, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [CAXTON_BIN, 'audit', ...args, '--addr', node.address, '--data-dir', node.spec.dataDir],
      { timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
