/**
 * `caxton serve --prepare-cache-dir` (decision 2134): where the node keeps the components it
 * prepared, resolved against the working directory; absent, the node's own `<data-dir>/cache`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOptions } from '../src/commands/serve-run.js';
import { UsageError } from '../src/cli-error.js';

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
