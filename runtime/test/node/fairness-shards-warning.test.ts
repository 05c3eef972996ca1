/**
 * Fairness limits set on a node of several shards (serve --fair-* with --shards 2) are turned off
 * there (decision 2140: per-shard accounting not built); the node says so at start rather than
 * ignoring them silently, on the channel of its other start-up warnings (`caxton: …` on stderr).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { TrafficLimits } from '@caxton/core';
import { startNode } from '../../src/start/start-node.js';

/** The start-up warnings of a node started and stopped with these shards and traffic limits. */
async function startWarnings(shards: number, traffic?: Partial<TrafficLimits>): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-fair-shards-'));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  try {
    const node = await startNode({
      dataDir: dir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'none' },
      shards,
      ...(traffic ? { traffic } : {}),
    });
    await node.stop();
  } finally {
    console.warn = warn;
    await rm(dir, { recursive: true, force: true });
  }
  return warnings;
}

const fairness = (warnings: string[]): string[] => warnings.filter((w) => /fuel-fair/.test(w));

test('a fairness limit set with two shards is warned about at start, naming its flag; none set, or one shard, nothing is said', async () => {
  const warned = fairness(await startWarnings(2, { fairIdleMs: 100 }));
  assert.equal(warned.length, 1, 'said once');
  assert.match(warned[0]!, /^caxton: traffic\.fairIdleMs \(serve --fair-idle\) set, but fuel-fair sharing is off on a node of 2 shards/);
  assert.deepEqual(fairness(await startWarnings(2, { breakerFailures: 3 })), [], 'no fairness row set');
  assert.deepEqual(fairness(await startWarnings(1, { fairIdleMs: 100 })), [], 'one shard: the limit applies');
});
