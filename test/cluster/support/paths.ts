/** Where things are, from the compiled tests (test/dist/cluster/support/). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** `caxton` exactly as an operator runs it. */
export const CAXTON_BIN = path.join(ROOT, 'cli', 'bin', 'caxton.js');
/** The instrumented node process (startNode plus a journal), compiled next to this file. */
export const NODE_CHILD = fileURLToPath(new URL('./node-child.js', import.meta.url));
/**
 * The instrumented node of the kinds tests (where instances are active, answers by in-reply-to):
 * the one `density --cluster` runs too, compiled with the benchmarks (bench/dist/), which the tests
 * may use and the benchmarks may not (bench/ never imports test/).
 */
export const KINDS_NODE_CHILD = path.join(ROOT, 'bench', 'dist', 'lib-kinds-node-child.js');
export const INFRA = path.join(ROOT, 'scripts', 'infra', 'index.mjs');

export function example(dir: string, file: string): string {
  return path.join(ROOT, 'examples', dir, 'build', file);
}
