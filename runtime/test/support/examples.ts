/**
 * The built example agents (examples/, built by scripts/test.mjs before the tests run), as
 * examples/build/index.json lists them: what the tests that run a real agent deploy.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerifiedArtifact } from '@caxton/core';

// Compiled tests run from runtime/dist/test/support: four levels up is the repo root.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A built example agent by its index name (`as-echo`, `conformance/puppet`), with its digest. */
export async function example(name: string): Promise<VerifiedArtifact> {
  const index = JSON.parse(await readFile(path.join(repoRoot, 'examples/build/index.json'), 'utf8')) as Record<
    string,
    { artifact: string; sha256: string }
  >;
  const entry = index[name];
  if (!entry) throw new Error(`examples/build/index.json has no ${name}: build the examples (node scripts/build-examples.mjs)`);
  return { bytes: new Uint8Array(await readFile(path.join(repoRoot, entry.artifact))), sha256: entry.sha256 };
}
