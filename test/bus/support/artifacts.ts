/**
 * Real agent artifacts for the bus tests: example and conformance agents under examples/, built
 * with the build library. `npm test` builds them all beforehand (scripts/build-examples.mjs), so
 * here `reuse` only checks the source hash; a test run on its own builds what is missing or stale.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgent } from '@caxton/toolchain';
import type { VerifiedArtifact } from '@caxton/core';

/** The repository root (this file runs from test/dist/bus/support/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

const cache = new Map<string, Promise<VerifiedArtifact>>();

/** `example` is a path under examples/, e.g. `as-echo`, `conformance/puppet`, `hostile/as-poison`. */
export function agentArtifact(example: string): Promise<VerifiedArtifact> {
  let hit = cache.get(example);
  if (hit === undefined) {
    hit = (async () => {
      const built = await buildAgent(path.join(repoRoot, 'examples', example), { reuse: true });
      return { bytes: new Uint8Array(await readFile(built.artifactPath)), sha256: built.sha256 };
    })();
    cache.set(example, hit);
  }
  return hit;
}
