/** Paths of the agent projects the build tests compile, and fresh temp directories for their output. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (runtime/dist/test/build -> ../../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const asMirrorDir = path.join(repoRoot, 'sdk-assemblyscript/test/fixtures/mirror');
export const jsMirrorDir = path.join(repoRoot, 'sdk-js/test/fixtures/mirror');
export const asStateHttpDir = path.join(repoRoot, 'sdk-assemblyscript/test/fixtures/state-http');
export const jsStateHttpDir = path.join(repoRoot, 'sdk-js/test/fixtures/state-http');
export const asProtocolsDir = path.join(repoRoot, 'sdk-assemblyscript/test/fixtures/protocols');
export const jsProtocolsDir = path.join(repoRoot, 'sdk-js/test/fixtures/protocols');
export const examplesDir = path.join(repoRoot, 'examples');

const made: string[] = [];

/**
 * A fresh directory for artifacts (so tests never write into the source tree) or a test's scratch
 * files, removed when this test process exits, whatever the tests' outcome (decision 2128: `npm
 * test` leaves nothing in the temp dir).
 */
export function tempOutDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `caxton-${label}-`));
  if (made.push(dir) === 1)
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    });
  return dir;
}
