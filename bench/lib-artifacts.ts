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
import type { VerifiedArtifact } from '@caxton/core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const builds = new Map<string, Promise<{ artifactPath: string; sha256: string }>>();

/** Path of the built .wasm of `example`, a path under examples/ (`as-echo`, `cluster/probe`, …). */
export function builtArtifactPath(example: string): Promise<string> {
  return build(example).then((r) => r.artifactPath);
}

/** The built artifact of `example`, ready to deploy. */
export function artifact(example: string): Promise<VerifiedArtifact> {
  return build(example).then((r) => ({ bytes: new Uint8Array(readFileSync(r.artifactPath)), sha256: r.sha256 }));
}

function build(example: string): Promise<{ artifactPath: string; sha256: string }> {
  let hit = builds.get(example);
  if (!hit) {
    hit = buildAgent(join(ROOT, 'examples', example), { reuse: true });
    builds.set(example, hit);
  }
  return hit;
}
