/** Where things are in the repository, from the compiled test (test/dist/e2e/support/). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The `caxton` command exactly as a user runs it: `node cli/bin/caxton.js …`. */
export const CAXTON_BIN = path.join(ROOT, 'cli', 'bin', 'caxton.js');
export const EXAMPLES = path.join(ROOT, 'examples');

/** A prebuilt example component (scripts/build-examples.mjs, run by `npm test` first). */
export function builtExample(dir: string, file: string): string {
  return path.join(EXAMPLES, dir, 'build', file);
}
