/**
 * Where a node keeps the components it prepared: `<dataDir>/cache` by default, or the directory
 * `prepare.cacheDir` names, which several nodes may share (the bus tests' nodes do, decision 2132);
 * the second node reuses the first one's entry rather than preparing again (decision 2135).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startNode } from '../../src/start/start-node.js';
import { example } from '../support/examples.js';

/** The prepared entries (`<digest>-<cache key>` directories) a cache directory holds. */
const entries = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-f]{64}-[0-9a-f]{16}$/.test(n)) : []);

test('a node prepares into prepare.cacheDir when given, into <dataDir>/cache otherwise; two nodes given one directory share its entry', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'caxton-prepare-cache-'));
  const shared = path.join(root, 'shared-cache');
  const echo = await example('as-echo');
  const base = { apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' as const }, api: false, shards: 1 };
  try {
    const own = await startNode({ ...base, dataDir: path.join(root, 'own') });
    try {
      await own.control.deploy({ name: 'echo', limits: {}, config: {} }, echo);
    } finally {
      await own.stop();
    }
    assert.deepEqual(
      entries(path.join(root, 'own', 'cache')).map((n) => n.slice(0, 64)),
      [echo.sha256],
      'by default in the data directory',
    );

    for (const name of ['first', 'second']) {
      const node = await startNode({ ...base, dataDir: path.join(root, name), prepare: { cacheDir: shared } });
      try {
        await node.control.deploy({ name: 'echo', limits: {}, config: {} }, echo);
      } finally {
        await node.stop();
      }
      assert.deepEqual(entries(path.join(root, name, 'cache')), [], `${name}: nothing prepared into its data directory`);
      // Preparing instruments the component's module through the module cache, which writes an
      // entry for it; with that cache gone, a second preparation would write it again. The second
      // node must find the first one's entry instead (its own preparation, losing the rename to an
      // entry already in place, would leave the directory looking the same).
      if (name === 'first') {
        assert.ok(existsSync(path.join(shared, 'modules')), 'the first node prepared, through the module cache');
        await rm(path.join(shared, 'modules'), { recursive: true });
      }
    }
    assert.deepEqual(
      entries(shared).map((n) => n.slice(0, 64)),
      [echo.sha256],
      'one entry in the shared directory, for both nodes',
    );
    assert.equal(existsSync(path.join(shared, 'modules')), false, 'the second node reused the entry: it prepared nothing');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a node whose prepare cache others may write fails when it starts, with the hint, not at its first deploy', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'caxton-prepare-cache-'));
  const cache = path.join(root, 'data', 'cache');
  try {
    mkdirSync(cache, { recursive: true });
    chmodSync(cache, 0o775); // what an older node made under umask 002
    await assert.rejects(
      startNode({
        apiHost: '127.0.0.1',
        apiPort: 0,
        auth: { mode: 'none' as const },
        api: false,
        shards: 1,
        dataDir: path.join(root, 'data'),
      }),
      (err: Error & { code?: string; hint?: string }) =>
        err.code === 'sandbox.artifact.cache-unsafe' && /Remove the directory/.test(err.hint ?? ''),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a bound on the prepare cache outside its row (0, NaN, past the ceiling) is refused before the node starts anything', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'caxton-prepare-cache-'));
  try {
    for (const [i, cacheMaxBytes] of [0, Number.NaN, 2 ** 60].entries()) {
      const dataDir = path.join(root, `data-${i}`);
      await assert.rejects(
        startNode({
          apiHost: '127.0.0.1',
          apiPort: 0,
          auth: { mode: 'none' as const },
          api: false,
          shards: 1,
          dataDir,
          prepare: { cacheMaxBytes },
        }),
        (err: Error & { code?: string }) => err.code === 'limits.out-of-range' && /startNode\.prepare\.cacheMaxBytes/.test(err.message),
        String(cacheMaxBytes),
      );
      assert.equal(existsSync(dataDir), false, `${cacheMaxBytes}: nothing made`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
