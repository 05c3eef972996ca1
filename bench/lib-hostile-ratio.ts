/**
 * The hostile bench's ratio over rounds (decision 2139), pure: each round is a window with the
 * hostile agent between two without it; a round's ratio is the neighbours' rate with it over the
 * mean of the two without. One round cannot resolve 0.9 against 1.0 on a shared host (adjacent
 * windows without the agent differed up to ×1.8); the median of the rounds' ratios is reported
 * with their range, and the same per CPU second of the node's process.
 */
import { percentile } from './lib-output.js';

/** A round's rates: neighbours' handled messages per second and per CPU second. */
export interface RoundRates {
  withIt: number;
  without: readonly [number, number];
  withItPerCpuS: number;
  withoutPerCpuS: readonly [number, number];
}

export interface RatioSummary {
  /** Median of the rounds' wall-clock ratios. */
  ratio: number;
  /** `min-max` of the rounds' wall-clock ratios, three decimals. */
  range: string;
  /** Median of the rounds' per-CPU-second ratios. */
  perCpu: number;
  cpuRange: string;
}

/** The neighbours' rate with the hostile agent over the mean of the windows without it either side. */
export const wallRatio = (x: RoundRates): number => x.withIt / ((x.without[0] + x.without[1]) / 2);
/** The same per CPU second of the node's process: what other processes on the host take drops out. */
export const cpuRatio = (x: RoundRates): number => x.withItPerCpuS / ((x.withoutPerCpuS[0] + x.withoutPerCpuS[1]) / 2);

const rangeOf = (xs: readonly number[]): string => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;

/** Median (nearest rank: with an odd count, one of the rounds) and range of the rounds' ratios. */
export function summarizeRounds(rounds: readonly RoundRates[]): RatioSummary {
  if (rounds.length === 0) throw new RangeError('summarizeRounds needs at least one round');
  const ratios = rounds.map(wallRatio);
  const cpu = rounds.map(cpuRatio);
  return { ratio: percentile(ratios, 50), range: rangeOf(ratios), perCpu: percentile(cpu, 50), cpuRange: rangeOf(cpu) };
}
