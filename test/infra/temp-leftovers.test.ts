/**
 * The end-of-run check of scripts/test.mjs (decision 2128): what a run added to the temp dir, less
 * the known caches, named by prefix.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';

interface TempLeftovers {
  caxtonTempEntries(dir: string): string[];
  leftTempEntries(before: string[], after: string[]): string[];
  leftoverWarning(left: string[], dir: string): string[];
}
const load = (): Promise<TempLeftovers> =>
  import(pathToFileURL(path.join(ROOT, 'scripts', 'test-run', 'temp-leftovers.mjs')).href) as Promise<TempLeftovers>;

describe('what a test run left in the temp dir', () => {
  it('names what the run added, not what was there before nor the known caches', async () => {
    const { leftTempEntries } = await load();
    const before = ['caxton-e2e-old123'];
    const after = [
      'caxton-e2e-old123',
      'caxton-prepare-test-Ab12Cd',
      'caxton-sandbox-test-cache-0',
      'caxton-sandbox-fixtures-0',
      'caxton-bench-0123456789abcdef',
      'caxton-cluster-n1-xY9zQ1',
    ];
    assert.deepEqual(leftTempEntries(before, after), ['caxton-cluster-n1-xY9zQ1', 'caxton-prepare-test-Ab12Cd']);
  });

  it('warns by prefix with counts, and says nothing when nothing was left', async () => {
    const { leftoverWarning } = await load();
    assert.deepEqual(leftoverWarning([], '/tmp'), []);
    const lines = leftoverWarning(['caxton-e2e-aaaaaa', 'caxton-e2e-bbbbbb', 'caxton-kafka-cccccc'], '/tmp');
    assert.match(lines[0]!, /^warning: the run left 3 entries in \/tmp /);
    assert.deepEqual(lines.slice(1), ['  2 × caxton-e2e-*', '  caxton-kafka-*']);
  });

  it('lists only the caxton-* entries of a directory', async () => {
    const { caxtonTempEntries } = await load();
    const dir = mkdtempSync(path.join(tmpdir(), 'caxton-leftovers-test-'));
    try {
      for (const name of ['caxton-a-123456', 'other', 'caxton-b']) mkdirSync(path.join(dir, name));
      assert.deepEqual(caxtonTempEntries(dir).sort(), ['caxton-a-123456', 'caxton-b']);
      assert.deepEqual(caxtonTempEntries(path.join(dir, 'absent')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
