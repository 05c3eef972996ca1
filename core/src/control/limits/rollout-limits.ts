/** The thresholds and bounds of blue-green and canary rollouts (decision 1871). */
import { defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * The thresholds of a blue-green or canary rollout (decision 1871): what the operator may set per
 * upgrade (`caxton upgrade --strategy …`), their defaults and bounds, and the rollout's own bounds.
 * Rates are whole percents of the new version's handlings (0 = any one rolls it back).
 */
export const ROLLOUT_LIMIT_TABLE = {
  maxCrashRatePercent: {
    unit: 'percent',
    default: 1,
    min: 0,
    ceiling: 100,
    description:
      'Crashes (trap, out of fuel or memory, wall-clock) of the new version above this share of its handlings roll the rollout back.',
    flag: 'max-crash-rate',
    wire: 'max_crash_rate_percent',
  },
  maxFailureRatePercent: {
    unit: 'percent',
    default: 5,
    min: 0,
    ceiling: 100,
    description:
      'Handlings of the new version that end in a `failure` reply (its handler returned an error) above this share roll it back.',
    flag: 'max-failure-rate',
    wire: 'max_failure_rate_percent',
  },
  maxP99Ms: {
    unit: 'ms',
    default: 1_000,
    min: 1,
    ceiling: 600_000,
    description: "The 99th percentile of the new version's handle time above this rolls it back.",
    // Whole ms in digits, as the flag always took them (its name says the unit; `250ms` never parsed).
    flag: 'max-p99-ms',
    wire: 'max_p99_ms',
    flagDigitsOnly: true,
  },
  bakeMs: {
    unit: 'ms',
    default: 300_000,
    min: 1,
    ceiling: 604_800_000,
    description: 'How long the new version runs beside the old one, within the thresholds, before it is promoted.',
    flag: 'bake',
    wire: 'bake_ms',
  },
} as const satisfies Record<string, LimitRow & { default: number; min: number; flag: string; wire: string }>;

export type RolloutThresholdName = keyof typeof ROLLOUT_LIMIT_TABLE;

export type RolloutThresholds = LimitsOf<typeof ROLLOUT_LIMIT_TABLE>;

/** A rollout's thresholds: the defaults, overridden by `given`, each a whole number in its bounds. */
export const { defaults: DEFAULT_ROLLOUT_THRESHOLDS, resolve: resolveRolloutThresholds } = defineLimitTable(ROLLOUT_LIMIT_TABLE, {
  what: 'rollout threshold',
  field: 'rollout',
});

/** A rollout's fixed bounds: not per upgrade. */
export const ROLLOUT_BOUNDS = Object.freeze({
  /** Handlings of the new version before a rate or the p99 is judged (fewer: judged only when the bake ends). */
  minSamples: 5,
  /** Handle times kept for the p99 (the most recent). */
  latencySamples: 1_000,
  /** Conversations whose version is remembered; past it the oldest is forgotten (decision 1871). */
  maxPinnedConversations: 100_000,
  /**
   * How far back (records) a starting node looks in its trail for rollouts with no end (decision
   * 1871). Counted in records, not time: a busy node fills it faster than a long bake; a start
   * older than it is not found, and the node says so in its log.
   */
  unendedScanRecords: 100_000,
  /** Records per read of that scan (as the trail's other readers page). */
  unendedScanPage: 256,
});
