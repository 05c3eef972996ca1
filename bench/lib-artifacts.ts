/**
 * The example agents a benchmark runs, built by the benchmark itself through the toolchain's build
 * library (`reuse`: an artifact whose sources are unchanged is not rebuilt, so this is quick and
 * idempotent). A benchmark therefore runs on a fresh clone, whether or not `npm test` or
 * scripts/build-examples.mjs ran before, and without building every other language's examples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgent } from '@caxton/toolchain';
import { type VerifiedArtifact } from '@caxton/core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = new Map<string, Promise<VerifiedArtifact>>();

/** `example` is a path under examples/ (`as-echo`, `conformance/pinger`, `cluster/probe`, …). */
export function artifact(example: string): Promise<VerifiedArtifact> {
  let hit = artifacts.get(example);
  if (!hit) {
    hit = buildAgent(join(ROOT, 'examples', example), { reuse: true }).then((r) => ({ bytes: new Uint8Array(readFileSync(r.artifactPath)), sha256: r.sha256 }));
    artifacts.set(example, hit);
  }
  return hit;
}
