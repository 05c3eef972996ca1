/** Paths of the agent projects the build tests compile, and a shared temp output directory. */
import { mkdtempSync } from 'node:fs';
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

/** A fresh directory for artifacts, so tests never write into the source tree. */
export function tempOutDir(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `caxton-${label}-`));
}
