/**
 * `caxton serve --prepare-cache-dir` (decision 2134): where the node keeps the components it
 * prepared, resolved against the working directory; absent, the node's own `<data-dir>/cache`.
 * `--prepare-cache-max-mib` (decision 2141): its size bound, a row of core's limit table.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOptions } from '../src/commands/serve-run.js';
import { UsageError } from '../src/cli-error.js';
import { run } from '../src/app.js';
import { captureIo } from './support/capture-io.js';
import { PREPARE_CACHE_LIMIT_TABLE } from '@caxton/core';

const base = { dataDir: 'state', timeout: 30, json: false, tls: false, addr: undefined, auth: true, requireClientCert: false } as unknown as Parameters<typeof nodeOptions>[0];
const withDir = (prepareCacheDir: string): typeof base => ({ ...base, prepareCacheDir } as typeof base);

describe('serve --prepare-cache-dir', () => {
  it('is left to the node (<data-dir>/cache) when not given', () => {
    assert.equal(nodeOptions(base, '/srv').prepare?.cacheDir, undefined);
  });

  it('becomes prepare.cacheDir, a relative directory resolved against the working directory', () => {
    assert.equal(nodeOptions(withDir('shared/cache'), '/srv').prepare?.cacheDir, '/srv/shared/cache');
    assert.equal(nodeOptions(withDir('/var/cache/caxton'), '/srv').prepare?.cacheDir, '/var/cache/caxton');
  });

  it('refuses an empty directory with a hint', () => {
    assert.throws(() => nodeOptions(withDir(' '), '/srv'), (err: unknown) => err instanceof UsageError && /empty/.test(err.message) && /data-dir/.test(err.hint ?? ''));
  });
});

describe('serve --prepare-cache-max-mib (decision 2141)', () => {
  const withMax = (prepareCacheMaxMib: number): typeof base => ({ ...base, prepareCacheMaxMib } as typeof base);

  it('is left to the node (core\'s default) when not given', () => {
    assert.equal(nodeOptions(base, '/srv').prepare?.cacheMaxBytes, undefined);
  });

  it('becomes prepare.cacheMaxBytes', () => {
    assert.equal(nodeOptions(withMax(512), '/srv').prepare?.cacheMaxBytes, 512 * 1024 * 1024);
  });

  it('refuses a size outside its row of the limit table, with the default in the hint', () => {
    const { min, ceiling, default: fallback } = PREPARE_CACHE_LIMIT_TABLE.maxBytes;
    for (const mib of [min / 2 ** 20 - 1, ceiling / 2 ** 20 + 1, 100.5, Number.NaN]) {
      assert.throws(() => nodeOptions(withMax(mib), '/srv'), (err: unknown) =>
        err instanceof UsageError && /--prepare-cache-max-mib/.test(err.message) && err.hint!.includes(`${fallback / 2 ** 20} MiB`), String(mib));
    }
  });

  it('is described with its default and range in --help', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' '); // yargs wraps the text
    for (const text of ['--prepare-cache-max-mib', `default ${PREPARE_CACHE_LIMIT_TABLE.maxBytes.default / 2 ** 20}, from 64`, 'least recently used']) assert.ok(help.includes(text), text);
  });
});
