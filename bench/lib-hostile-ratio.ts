/**
 * The hostile bench's ratio over rounds (decision 2139), pure: each round is a window with the
 * hostile agent between two without it; a round's ratio is the neighbours' rate with it over the
 * mean of the two without. One round cannot resolve 0.9 against 1.0 on a shared host (adjacent
 * windows without the agent differed up to ×3.6 in messages per second and ×1.8 per CPU second of
 * the node's process); the median of the rounds' ratios is reported with their range, and the same
 * per CPU second.
 */
import { CaxtonError } from '@caxton/core';

import { percentile } from './lib-output.js';

export class HostileRoundsInvalid extends CaxtonError {
  constructor(text: string) {
    super('bench.hostile-rounds', `CAXTON_BENCH_HOSTILE_ROUNDS must be a positive odd integer, got '${text}'`, {
      kind: 'invalid-argument',
      context: { text },
      hint: 'use an odd count (5 by default): the median is then one of the rounds',
    });
  }
}

/** Rounds per case from CAXTON_BENCH_HOSTILE_ROUNDS (unset: 5); anything but a positive odd integer is refused. */
export function roundsFrom(text: string | undefined): number {
  if (text === undefined) return 5;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1 || n % 2 === 0) throw new HostileRoundsInvalid(text);
  return n;
}

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
/** The same per CPU second of the node's process: what other processes on the host take moves it less. */
export const cpuRatio = (x: RoundRates): number => x.withItPerCpuS / ((x.withoutPerCpuS[0] + x.withoutPerCpuS[1]) / 2);

const rangeOf = (xs: readonly number[]): string => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;

/** Median (nearest rank: with an odd count, one of the rounds) and range of the rounds' ratios. */
export function summarizeRounds(rounds: readonly RoundRates[]): RatioSummary {
  if (rounds.length === 0) throw new RangeError('summarizeRounds needs at least one round');
  const ratios = rounds.map(wallRatio);
  const cpu = rounds.map(cpuRatio);
  return { ratio: percentile(ratios, 50), range: rangeOf(ratios), perCpu: percentile(cpu, 50), cpuRange: rangeOf(cpu) };
}
