/**
 * `caxton upgrade --strategy …` and its thresholds (decisions 1871, 2149): parsed and checked against
 * the rollout table's rows before anything is built or sent; a bad value or a threshold without a
 * strategy is a usage error with a hint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yargs from 'yargs';
import { ROLLOUT_LIMIT_TABLE } from '@caxton/core';
import { UsageError } from '../src/cli-error.js';
import { formatDuration } from '../src/format/units.js';
import { rolloutFlagOptions, rolloutFromFlags } from '../src/rollout-flags.js';
import { run } from '../src/app.js';
import { captureIo } from './support/capture-io.js';

describe('rollout flags', () => {
  it('map --strategy and the thresholds to the upgrade header', () => {
    assert.equal(rolloutFromFlags({}), undefined, 'no --strategy: drain and swap');
    assert.deepEqual(rolloutFromFlags({ strategy: 'blue-green' }), { strategy: { kind: 'blue-green' }, thresholds: {} });
    assert.deepEqual(
      rolloutFromFlags({ strategy: 'canary:10', 'max-crash-rate': '0', 'max-failure-rate': '2%', 'max-p99-ms': '250', bake: '1m30s' }),
      {
        strategy: { kind: 'canary', percent: 10 },
        thresholds: { maxCrashRatePercent: 0, maxFailureRatePercent: 2, maxP99Ms: 250, bakeMs: 90_000 },
      },
    );
  });

  it('refuse what is not a strategy or a threshold, and thresholds without a strategy', () => {
    const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message) && (e.hint ?? '').length > 0;
    assert.throws(() => rolloutFromFlags({ strategy: 'canary:0' }), usage(/--strategy "canary:0" is not a rollout strategy/));
    assert.throws(() => rolloutFromFlags({ strategy: 'rolling' }), usage(/not a rollout strategy/));
    assert.throws(
      () => rolloutFromFlags({ strategy: 'blue-green', 'max-crash-rate': 'half' }),
      usage(/--max-crash-rate "half" is not a whole percent/),
    );
    assert.throws(
      () => rolloutFromFlags({ strategy: 'blue-green', 'max-p99-ms': '1e3' }),
      usage(/--max-p99-ms "1e3" is not a whole number of ms/),
    );
    assert.throws(() => rolloutFromFlags({ strategy: 'blue-green', bake: 'soon' }), usage(/--bake "soon" is not a duration/));
    assert.throws(() => rolloutFromFlags({ bake: '10m' }), usage(/apply only with --strategy/));
    assert.throws(() => rolloutFromFlags({ strategy: 'blue-green', bake: ['1m', '2m'] }), usage(/--bake is given 2 times/));
  });

  it("refuse a threshold outside its row before any call, in its unit with the row's hint (decision 2149)", () => {
    const cases = [
      [
        'max-crash-rate',
        '101',
        '--max-crash-rate 101 is out of range: it must be 0..100 (percent)',
        ROLLOUT_LIMIT_TABLE.maxCrashRatePercent,
      ],
      [
        'max-failure-rate',
        '101%',
        '--max-failure-rate 101% is out of range: it must be 0..100 (percent)',
        ROLLOUT_LIMIT_TABLE.maxFailureRatePercent,
      ],
      ['max-p99-ms', '0', '--max-p99-ms 0 is out of range: it must be 1..600,000 (ms)', ROLLOUT_LIMIT_TABLE.maxP99Ms],
      ['max-p99-ms', '600001', '--max-p99-ms 600001 is out of range: it must be 1..600,000 (ms)', ROLLOUT_LIMIT_TABLE.maxP99Ms],
      ['bake', '8d', '--bake 8d is out of range: it must be from 1ms to 7d', ROLLOUT_LIMIT_TABLE.bakeMs],
    ] as const;
    for (const [flag, text, message, row] of cases) {
      // A duration flag's hint says the flag and its range as durations (decision 2154); the others, core's hint with how the row is set.
      const how = flag === 'bake' ? '--bake takes a duration from 1ms to 7d; omit it for the default, 5m. ' : `(caxton upgrade --${flag})`;
      assert.throws(
        () => rolloutFromFlags({ strategy: 'canary:10', [flag]: text }),
        (e: unknown) => e instanceof UsageError && e.message === message && e.hint!.includes(how) && e.hint!.includes(row.description),
        `${flag} ${text}`,
      );
    }
    assert.deepEqual(
      rolloutFromFlags({ strategy: 'canary:10', 'max-crash-rate': '100%', 'max-p99-ms': '600000', bake: '7d' })?.thresholds,
      { maxCrashRatePercent: 100, maxP99Ms: 600_000, bakeMs: 604_800_000 },
      "each row's most",
    );
  });

  it('make `caxton upgrade` exit 2 on a threshold outside its row, before it reads the component or calls the node', async () => {
    const io = captureIo();
    // No node listens on port 1 and the component does not exist: the refusal must come first.
    assert.equal(
      await run(['upgrade', 'echo', 'no-such.wasm', '--addr', '127.0.0.1:1', '--strategy', 'canary:10', '--max-p99-ms', '600001'], io),
      2,
    );
    const said = io.err.replace(/\s+/g, ' ');
    assert.ok(said.includes('--max-p99-ms 600001 is out of range: it must be 1..600,000 (ms)'), said);
    assert.ok(said.includes(ROLLOUT_LIMIT_TABLE.maxP99Ms.description), said);
  });

  it('describe each threshold from its row: its description, unit, default and range', async () => {
    const help = (await rolloutFlagOptions(yargs([]).scriptName('caxton')).getHelp()).replace(/\s+/g, ' ');
    assert.match(help, /--strategy/);
    for (const row of Object.values(ROLLOUT_LIMIT_TABLE)) assert.ok(help.includes(`With --strategy: ${row.description}`), row.flag);
    assert.ok(help.includes('a whole percent (5 or 5%); at most 100%; default 1%'), 'the crash rate');
    assert.ok(help.includes('a whole number of ms (default 1,000, from 1 to 600,000)'), 'the p99');
    assert.ok(
      help.includes(`a duration, e.g. 5m, 7d; at most 7d; default ${formatDuration(ROLLOUT_LIMIT_TABLE.bakeMs.default)}`),
      'the bake, its default a duration as --bake takes it (5m)',
    );
  });

  it('suggest the default or the least for a percent that is not one, never 100% (never roll back)', () => {
    assert.throws(
      () => rolloutFromFlags({ strategy: 'canary:10', 'max-crash-rate': 'high' }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === '--max-crash-rate "high" is not a whole percent' &&
        e.hint === 'e.g. --max-crash-rate 1% (the default) or --max-crash-rate 0 (the least it takes)',
    );
  });
});
