/**
 * A fresh directory under the OS temp dir that this test process removes when it exits, whatever
 * the tests' outcome (decision 2128: `npm test` leaves nothing in the temp dir). For what a test
 * file's nodes, `caxton serve` children and scratch files write; a helper that removes its own
 * directory sooner (a node's stop, a serve's stop) still may.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];

export function tempDirRemovedAtExit(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  if (made.push(dir) === 1)
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    });
  return dir;
}
