/**
 * `caxton upgrade --strategy blue-green|canary:<percent>` and its thresholds (decision 1871). The
 * flags and their defaults come from the rollout table in @caxton/core; values are checked here
 * for shape (a usage error before anything is built) and by the node against the table.
 */
import type { Argv } from 'yargs';
import { parseStrategy, ROLLOUT_LIMIT_TABLE, type RolloutStrategy, type RolloutThresholds } from '@caxton/core';
import { UsageError } from './cli-error.js';
import { parseDuration } from './parse.js';

export interface RolloutFlagArgs {
  strategy?: string;
  maxCrashRate?: string;
  maxFailureRate?: string;
  maxP99Ms?: string;
  bake?: string;
}

const T = ROLLOUT_LIMIT_TABLE;

export function rolloutFlagOptions<T>(y: Argv<T>): Argv<T & RolloutFlagArgs> {
  return y
    .option('strategy', { type: 'string', describe: 'Run the new version beside the old and shift new conversations to it: blue-green (all at once) or canary:<percent>; promoted or rolled back by itself' })
    .option('max-crash-rate', { type: 'string', describe: `With --strategy: roll back when more than this share of the new version's handlings crash (percent, default ${T.maxCrashRatePercent.default}%)` })
    .option('max-failure-rate', { type: 'string', describe: `With --strategy: roll back when more than this share end in a failure reply (percent, default ${T.maxFailureRatePercent.default}%)` })
    .option('max-p99-ms', { type: 'string', describe: `With --strategy: roll back when the p99 handle time passes this (ms, default ${T.maxP99Ms.default})` })
    .option('bake', { type: 'string', describe: `With --strategy: how long both run before promotion (e.g. 90s, 10m; default ${T.bakeMs.default / 60_000}m)` }) as Argv<T & RolloutFlagArgs>;
}

/** The rollout the flags ask for; undefined without --strategy (a threshold without it is a usage error). */
export function rolloutFromFlags(argv: RolloutFlagArgs): { strategy: RolloutStrategy; thresholds: Partial<RolloutThresholds> } | undefined {
  const given = argv.maxCrashRate ?? argv.maxFailureRate ?? argv.maxP99Ms ?? argv.bake;
  if (argv.strategy === undefined) {
    if (given !== undefined) throw new UsageError('--max-crash-rate, --max-failure-rate, --max-p99-ms and --bake apply only with --strategy', 'e.g. --strategy canary:10 --bake 10m');
    return undefined;
  }
  let strategy: RolloutStrategy;
  try {
    strategy = parseStrategy(argv.strategy, '--strategy');
  } catch {
    throw new UsageError(`--strategy "${argv.strategy}" is not a rollout strategy`, 'use blue-green, or canary:<percent> with a whole percent in 1..100 (e.g. canary:10)');
  }
  const thresholds: Partial<RolloutThresholds> = {};
  if (argv.maxCrashRate !== undefined) thresholds.maxCrashRatePercent = percent('--max-crash-rate', argv.maxCrashRate);
  if (argv.maxFailureRate !== undefined) thresholds.maxFailureRatePercent = percent('--max-failure-rate', argv.maxFailureRate);
  if (argv.maxP99Ms !== undefined) {
    const ms = Number(argv.maxP99Ms);
    if (!Number.isSafeInteger(ms) || ms < 1) throw new UsageError(`--max-p99-ms "${argv.maxP99Ms}" must be a whole number of milliseconds ≥ 1`, 'e.g. --max-p99-ms 250');
    thresholds.maxP99Ms = ms;
  }
  if (argv.bake !== undefined) {
    const ms = parseDuration(argv.bake);
    if (ms === undefined || ms < 1 || !Number.isSafeInteger(ms)) throw new UsageError(`--bake "${argv.bake}" is not a duration`, 'e.g. --bake 90s, --bake 10m, --bake 1h');
    thresholds.bakeMs = ms;
  }
  return { strategy, thresholds };
}

/** `5`, `5%` → 5; whole percents 0..100. */
function percent(flag: string, text: string): number {
  const m = /^(\d{1,3})%?$/.exec(text.trim());
  const value = m ? Number(m[1]) : NaN;
  if (!m || value > 100) throw new UsageError(`${flag} "${text}" is not a whole percent in 0..100`, `e.g. ${flag} 5 (or 5%)`);
  return value;
}
