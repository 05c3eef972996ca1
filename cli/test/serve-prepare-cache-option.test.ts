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

const base = {
  dataDir: 'state',
  timeout: 30,
  json: false,
  tls: false,
  addr: undefined,
  auth: true,
  requireClientCert: false,
} as unknown as Parameters<typeof nodeOptions>[0];
const withDir = (prepareCacheDir: string): typeof base => ({ ...base, prepareCacheDir }) as typeof base;

describe('serve --prepare-cache-dir', () => {
  it('is left to the node (<data-dir>/cache) when not given', () => {
    assert.equal(nodeOptions(base, '/srv').prepare?.cacheDir, undefined);
  });

  it('becomes prepare.cacheDir, a relative directory resolved against the working directory', () => {
    assert.equal(nodeOptions(withDir('shared/cache'), '/srv').prepare?.cacheDir, '/srv/shared/cache');
    assert.equal(nodeOptions(withDir('/var/cache/caxton'), '/srv').prepare?.cacheDir, '/var/cache/caxton');
  });

  it('refuses an empty directory with a hint', () => {
    assert.throws(
      () => nodeOptions(withDir(' '), '/srv'),
      (err: unknown) => err instanceof UsageError && /empty/.test(err.message) && /data-dir/.test(err.hint ?? ''),
    );
  });
});

describe('serve --prepare-cache-max-mib (decisions 2141, 2145)', () => {
  const withMax = (...texts: string[]): typeof base =>
    ({ ...base, 'prepare-cache-max-mib': texts.length === 1 ? texts[0] : texts }) as typeof base;
  const row = PREPARE_CACHE_LIMIT_TABLE.maxBytes;
  const mib = (bytes: number): number => bytes / 2 ** 20;

  it("is left to the node (core's default) when not given", () => {
    assert.equal(nodeOptions(base, '/srv').prepare?.cacheMaxBytes, undefined);
  });

  it('becomes prepare.cacheMaxBytes', () => {
    assert.equal(nodeOptions(withMax('512'), '/srv').prepare?.cacheMaxBytes, 512 * 1024 * 1024);
    assert.equal(nodeOptions(withMax(String(mib(row.min))), '/srv').prepare?.cacheMaxBytes, row.min, "its row's least");
    assert.equal(nodeOptions(withMax(String(mib(row.ceiling))), '/srv').prepare?.cacheMaxBytes, row.ceiling, "its row's most");
  });

  it("refuses a size outside its row, in MiB, with the row's hint (the flag, the default, the description)", () => {
    for (const text of ['0', String(mib(row.min) - 1), String(mib(row.ceiling) + 1)]) {
      assert.throws(
        () => nodeOptions(withMax(text), '/srv'),
        (err: unknown) =>
          err instanceof UsageError &&
          err.message === `--prepare-cache-max-mib ${text} is out of range: it must be 64..1,048,576 (MiB)` &&
          err.hint!.includes('--prepare-cache-max-mib') &&
          err.hint!.includes(`(${mib(row.default).toLocaleString('en-US')} MiB)`) &&
          err.hint!.includes(row.description),
        text,
      );
    }
  });

  it('refuses text that is not a whole number of MiB with an example of the default and the least, and the flag given twice', () => {
    // '5k' and '1g' would be 5,000 and 1,000,000,000 MiB through parseCount's decimal multipliers: a MiB flag takes digits only.
    for (const text of ['100.5', 'lots', '5k', '1g', '-64']) {
      assert.throws(
        () => nodeOptions(withMax(text), '/srv'),
        (err: unknown) =>
          err instanceof UsageError &&
          err.message === `--prepare-cache-max-mib "${text}" is not a whole number of MiB` &&
          err.hint === 'e.g. --prepare-cache-max-mib 4096 (the default) or --prepare-cache-max-mib 64 (the least it takes)',
        text,
      );
    }
    assert.throws(
      () => nodeOptions(withMax('512', '1024'), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.message === '--prepare-cache-max-mib is given 2 times' &&
        err.hint === 'give --prepare-cache-max-mib once',
    );
  });

  it('says the refusal and its hint on stderr, before any node starts', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--prepare-cache-max-mib', '10'], io), 2);
    const said = io.err.replace(/\s+/g, ' ');
    assert.ok(said.includes('--prepare-cache-max-mib 10 is out of range: it must be 64..1,048,576 (MiB)'), said);
    assert.ok(said.includes(row.description), said);
  });

  it('is described with its default and range in --help', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' '); // yargs wraps the text
    for (const text of ['--prepare-cache-max-mib', 'whole number of MiB (default 4,096, from 64 to 1,048,576)', 'least recently used'])
      assert.ok(help.includes(text), text);
  });
});
