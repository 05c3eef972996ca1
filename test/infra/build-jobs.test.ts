/**
 * How many example agents scripts/build-examples.mjs builds at once (decision 2143): two by
 * default, CAXTON_BUILD_JOBS when given, and a value it cannot use refused with a hint before any
 * build starts.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';

interface BuildExamples {
  buildJobs(given?: string): number;
}
const load = (): Promise<BuildExamples> =>
  import(pathToFileURL(path.join(ROOT, 'scripts', 'build-examples.mjs')).href) as Promise<BuildExamples>;

describe('CAXTON_BUILD_JOBS', () => {
  it('defaults to two builds at a time, one on a one-core machine', async () => {
    const { buildJobs } = await load();
    assert.equal(buildJobs(undefined), Math.min(2, availableParallelism()));
    assert.equal(buildJobs(''), Math.min(2, availableParallelism()));
  });

  it('takes a whole number from 1 to 64', async () => {
    const { buildJobs } = await load();
    assert.equal(buildJobs('1'), 1);
    assert.equal(buildJobs('8'), 8);
    assert.equal(buildJobs('64'), 64);
  });

  it('refuses anything else with a hint, naming what it was given', async () => {
    const { buildJobs } = await load();
    for (const given of ['0', '65', '2.5', '-1', 'two', ' 2', '0x2', '1e1']) {
      assert.throws(
        () => buildJobs(given),
        (err: Error & { hint?: string }) => {
          assert.match(err.message, new RegExp(`CAXTON_BUILD_JOBS=${given.replace(/[.+]/g, '\\$&')} is not a whole number from 1 to 64`));
          assert.match(err.hint ?? '', /CAXTON_BUILD_JOBS=1/);
          return true;
        },
        given,
      );
    }
  });
});
