/**
 * `caxton upgrade --strategy …` and its thresholds (decision 1871): parsed before anything is
 * built or sent; a bad value or a threshold without a strategy is a usage error with an example.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yargs from 'yargs';
import { ROLLOUT_LIMIT_TABLE } from '@caxton/core';
import { UsageError } from '../src/cli-error.js';
import { rolloutFlagOptions, rolloutFromFlags } from '../src/rollout-flags.js';

describe('rollout flags', () => {
  it('map --strategy and the thresholds to the upgrade header', () => {
    assert.equal(rolloutFromFlags({}), undefined, 'no --strategy: drain and swap');
    assert.deepEqual(rolloutFromFlags({ strategy: 'blue-green' }), { strategy: { kind: 'blue-green' }, thresholds: {} });
    assert.deepEqual(rolloutFromFlags({ strategy: 'canary:10', maxCrashRate: '0', maxFailureRate: '2%', maxP99Ms: '250', bake: '1m30s' }), {
      strategy: { kind: 'canary', percent: 10 },
      thresholds: { maxCrashRatePercent: 0, maxFailureRatePercent: 2, maxP99Ms: 250, bakeMs: 90_000 },
    });
  });

  it('refuse what is not a strategy or a threshold, and thresholds without a strategy', () => {
    const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message) && (e.hint ?? '').length > 0;
    assert.throws(() => rolloutFromFlags({ strategy: 'canary:0' }), usage(/--strategy "canary:0" is not a rollout strategy/));
    assert.throws(() => rolloutFromFlags({ strategy: 'rolling' }), usage(/not a rollout strategy/));
    assert.throws(() => rolloutFromFlags({ strategy: 'blue-green', maxCrashRate: '150' }), usage(/--max-crash-rate "150" is not a whole percent/));
    assert.throws(() => rolloutFromFlags({ strategy: 'blue-green', maxP99Ms: '0' }), usage(/--max-p99-ms "0"/));
    assert.throws(() => rolloutFromFlags({ strategy: 'blue-green', bake: 'soon' }), usage(/--bake "soon" is not a duration/));
    assert.throws(() => rolloutFromFlags({ bake: '10m' }), usage(/apply only with --strategy/));
  });

  it('describe the defaults from the rollout table', async () => {
    const help = await rolloutFlagOptions(yargs([]).scriptName('caxton')).getHelp();
    assert.match(help, /--strategy/);
    assert.match(help, new RegExp(`default ${ROLLOUT_LIMIT_TABLE.maxCrashRatePercent.default}%`));
    assert.match(help, new RegExp(`default ${ROLLOUT_LIMIT_TABLE.maxP99Ms.default}\\)`));
    assert.match(help, /default 5m/);
  });
});
