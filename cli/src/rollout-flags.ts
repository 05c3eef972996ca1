/**
 * `caxton upgrade --strategy blue-green|canary:<percent>` and its thresholds (decision 1871). The
 * thresholds are core's rollout table's rows, read by limit-flags.ts's one table reader (decision
 * 2149): help, parsing and range from each row, refused before anything is built or sent, with the
 * row's hint; the node checks the same rows again (resolveRolloutThresholds).
 */
import type { Argv } from 'yargs';
import { parseStrategy, type RolloutStrategy, type RolloutThresholds } from '@caxton/core';
import { UsageError } from './cli-error.js';
import { ROLLOUT_THRESHOLD_FLAGS, rolloutThresholdOptions, rolloutThresholdsFromFlags, type LimitFlagArgs } from './limit-flags.js';

/** `--strategy`, and the thresholds' raw text by flag name (`max-crash-rate`, … as yargs sets them). */
export type RolloutFlagArgs = { strategy?: string } & LimitFlagArgs;

export function rolloutFlagOptions<T>(y: Argv<T>): Argv<T & RolloutFlagArgs> {
  return rolloutThresholdOptions(
    y.option('strategy', {
      type: 'string',
      describe:
        'Run the new version beside the old and shift new conversations to it: blue-green (all at once) or canary:<percent>; promoted or rolled back by itself',
    }),
  ) as Argv<T & RolloutFlagArgs>;
}

/** The rollout the flags ask for; undefined without --strategy (a threshold without it is a usage error). */
export function rolloutFromFlags(argv: RolloutFlagArgs): { strategy: RolloutStrategy; thresholds: Partial<RolloutThresholds> } | undefined {
  if (argv.strategy === undefined) {
    if (ROLLOUT_THRESHOLD_FLAGS.some((flag) => argv[flag] !== undefined)) {
      throw new UsageError(
        `${ROLLOUT_THRESHOLD_FLAGS.map((f) => `--${f}`).join(', ')} apply only with --strategy`,
        'e.g. --strategy canary:10 --bake 10m',
      );
    }
    return undefined;
  }
  let strategy: RolloutStrategy;
  try {
    strategy = parseStrategy(argv.strategy, '--strategy');
  } catch {
    throw new UsageError(
      `--strategy "${argv.strategy}" is not a rollout strategy`,
      'use blue-green, or canary:<percent> with a whole percent in 1..100 (e.g. canary:10)',
    );
  }
  return { strategy, thresholds: rolloutThresholdsFromFlags(argv) ?? {} };
}
