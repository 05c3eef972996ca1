/**
 * The platform name is fixed at a data directory's first start (decision 1910, "Two Caxton
 * platforms"): its records name its agents `<name>@<platform>`, so a node started on it under
 * another name is refused, with a hint, before it opens anything.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startNode } from '../../src/start/start-node.js';
import { keepPlatformName, PlatformChangedError, PlatformFileError } from '../../src/mtp/platform-file.js';

describe('the platform name a data directory keeps', () => {
  it('is written at the first start, kept on the next, and a different one is refused with a hint', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-platform-name-'));
    try {
      assert.equal(keepPlatformName(dir, 'caxton-a'), 'caxton-a');
      assert.equal(readFileSync(path.join(dir, 'platform'), 'utf8'), 'caxton-a\n');
      assert.equal(keepPlatformName(dir, 'caxton-a'), 'caxton-a');
      assert.throws(
        () => keepPlatformName(dir, 'caxton-b'),
        (e: unknown) => {
          assert.ok(e instanceof PlatformChangedError);
          assert.equal(e.code, 'node.platform-changed');
          assert.match(e.message, /belongs to platform "caxton-a", not "caxton-b"/);
          assert.match(e.hint ?? '', /start it with --platform caxton-a/);
          return true;
        },
      );
      assert.equal(readFileSync(path.join(dir, 'platform'), 'utf8'), 'caxton-a\n', 'a refused start does not change the kept name');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a platform file it did not write: not a name, too big, not a regular file, a symbolic link', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-platform-file-'));
    try {
      const cases: [string, (d: string) => void, RegExp][] = [
        ['bad', (d) => writeFileSync(path.join(d, 'platform'), 'echo@caxton\n'), /"echo@caxton" is not a platform name/],
        ['big', (d) => writeFileSync(path.join(d, 'platform'), 'a'.repeat(10_000)), /more than the 256 allowed/],
        ['dir', (d) => mkdirSync(path.join(d, 'platform')), /not a regular file/],
        [
          'link',
          (d) => {
            writeFileSync(path.join(d, 'elsewhere'), 'caxton\n');
            symlinkSync(path.join(d, 'elsewhere'), path.join(d, 'platform'));
          },
          /symbolic link/,
        ],
      ];
      for (const [name, make, why] of cases) {
        const d = path.join(dir, name);
        mkdirSync(d);
        make(d);
        assert.throws(
          () => keepPlatformName(d, 'caxton'),
          (e: unknown) => e instanceof PlatformFileError && why.test(e.message) && /first started with/.test(e.hint ?? ''),
          name,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('startNode refuses a data directory kept for another platform before it opens anything (the default name counts)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-platform-start-'));
    try {
      writeFileSync(path.join(dir, 'platform'), 'caxton-a\n');
      const base = { dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'token' as const }, shards: 1 };
      await assert.rejects(startNode({ ...base, platform: 'caxton-b' }), PlatformChangedError);
      await assert.rejects(startNode(base), (e: unknown) => e instanceof PlatformChangedError && /not "caxton"/.test(e.message));
      assert.ok(!existsSync(path.join(dir, 'node-id')), 'refused before the node id was made');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
