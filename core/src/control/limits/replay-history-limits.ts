/** How much of the embedded log is kept for replay after nothing in it is live (issue 57, decision 2179). */
import { defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * The history the embedded log keeps for `caxton replay` and `caxton upgrade --replay` (decision
 * 2179): `caxton serve --replay-history-seconds / --replay-history-bytes`,
 * `startNode({ replayHistory })`. A closed segment is otherwise deleted as soon as nothing in it is
 * live, so a busy node's replay reaches back only to its oldest pending delivery. Kept segments are
 * the newest closed ones, closed less than `seconds` ago and together at most `bytes`: neither
 * deleted nor compacted. Off by default (0 s): the disk a node uses stays what it was, and an
 * operator who wants `--replay 1h` keeps an hour. Ceilings: thirty days, `upgrade --replay`'s own
 * longest window; 64 GiB, since a node reads every segment it keeps when it starts (about a second
 * a GiB here). The floor of the bytes is one segment (64 MiB, the log's default): history is kept
 * in whole segments, and a bound below one would keep nothing.
 */
export const REPLAY_HISTORY_LIMIT_TABLE = {
  seconds: {
    unit: 'seconds',
    default: 0,
    min: 0,
    ceiling: 30 * 86_400,
    description:
      'Keep closed segments of the embedded log this long after they close, for replay (0: delete them once nothing in them is live).',
    serve: 'replay-history-seconds',
    flagDigitsOnly: true,
  },
  bytes: {
    unit: 'bytes',
    default: 1024 * 1024 * 1024,
    min: 64 * 1024 * 1024,
    ceiling: 64 * 1024 * 1024 * 1024,
    description: 'At most this many bytes of closed segments kept for replay, the newest first.',
    serve: 'replay-history-bytes',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { default: number; serve: string; flagDigitsOnly: true }>;

export type ReplayHistoryLimitName = keyof typeof REPLAY_HISTORY_LIMIT_TABLE;
export type ReplayHistoryLimits = LimitsOf<typeof REPLAY_HISTORY_LIMIT_TABLE>;

/** The history settings given, each in its row, the defaults where not given. */
export const { defaults: DEFAULT_REPLAY_HISTORY, resolve: resolveReplayHistory } = defineLimitTable(REPLAY_HISTORY_LIMIT_TABLE, {
  what: 'replay history setting',
  field: 'replayHistory',
});
