/**
 * The hostile bench's ratio over rounds (bench/lib-hostile-ratio.ts, decision 2139): the median of
 * the rounds' ratios, each window with the agent against the mean of the two without it either
 * side, so one round read on a stolen or quiet stretch of the host does not decide it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as HostileRatio from '../../bench/lib-hostile-ratio.js';

// Compiled to test/dist/bench/; the benchmarks compile to bench/dist/.
const bench = new URL('../../../bench/dist/', import.meta.url);
const { summarizeRounds, wallRatio, cpuRatio, roundsFrom, HostileRoundsInvalid } = (await import(
  new URL('lib-hostile-ratio.js', bench).href
)) as typeof HostileRatio;

const round = (
  withIt: number,
  before: number,
  after: number,
  perCpu: [number, number, number] = [withIt, before, after],
): HostileRatio.RoundRates => ({ withIt, without: [before, after], withItPerCpuS: perCpu[0], withoutPerCpuS: [perCpu[1], perCpu[2]] });

describe('hostile ratio over rounds', () => {
  it('a round compares its window with the agent to the mean of the two without it', () => {
    assert.equal(wallRatio(round(90, 80, 120)), 0.9);
    assert.equal(cpuRatio(round(1, 1, 1, [45, 40, 60])), 0.9);
  });

  it('the median of the rounds, not one round, is the ratio: an outlier either way moves it not', () => {
    // Ratios 1.0, 0.5 (a window with the agent on a stolen stretch), 0.95, 2.0, 0.92.
    const s = summarizeRounds([round(100, 100, 100), round(50, 100, 100), round(95, 100, 100), round(200, 100, 100), round(92, 100, 100)]);
    assert.equal(s.ratio, 0.95);
    assert.equal(s.range, '0.500-2.000');
  });

  it('the per-CPU ratio is summarized from the per-CPU rates, apart from the wall-clock ones', () => {
    // Wall clock: the windows without differ ×2 (the host's load); per CPU second they agree.
    const s = summarizeRounds([round(60, 40, 80, [99, 100, 100]), round(100, 100, 100, [90, 100, 100]), round(80, 80, 80, [95, 100, 100])]);
    assert.equal(s.ratio, 1);
    assert.equal(s.perCpu, 0.95);
    assert.equal(s.cpuRange, '0.900-0.990');
  });

  it('refuses no rounds rather than report a ratio of nothing', () => {
    assert.throws(() => summarizeRounds([]), RangeError);
  });
});

describe('CAXTON_BENCH_HOSTILE_ROUNDS', () => {
  it('defaults to 5 and takes a positive odd integer', () => {
    assert.equal(roundsFrom(undefined), 5);
    assert.equal(roundsFrom('1'), 1);
    assert.equal(roundsFrom('7'), 7);
  });

  it('refuses an even, non-positive, fractional or non-numeric count with a typed error and a hint', () => {
    for (const text of ['4', '0', '-3', '2.5', 'five', '', ' ']) {
      assert.throws(
        () => roundsFrom(text),
        (e: unknown) => e instanceof HostileRoundsInvalid && e.kind === 'invalid-argument' && /odd/.test(e.hint ?? ''),
        text,
      );
    }
  });
});
