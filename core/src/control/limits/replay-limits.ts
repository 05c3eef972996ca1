/** How much recorded traffic an upgrade may replay before it replaces the running version (issue 57). */
import { defineLimitTable, type LimitRow } from './limit-table.js';

/**
 * How much recorded traffic an upgrade may replay before it replaces the running version (issue 57,
 * `caxton upgrade --replay N|<duration>`): the node reads its log and runs the new version on it
 * before it answers, so both are bounded.
 */
export const REPLAY_GATE_LIMIT_TABLE = {
  handlings: {
    unit: 'handlings',
    computedDefault: 'none: no replay (or a window of time instead)',
    ceiling: 1_000_000,
    description: "An upgrade with --replay N first replays the agent's last N recorded handlings on the new version.",
  },
  sinceMs: {
    unit: 'ms',
    computedDefault: 'none: no replay (or a number of handlings instead)',
    min: 1000,
    ceiling: 30 * 86_400_000,
    description: 'An upgrade with --replay <duration> first replays the handlings recorded in that window on the new version.',
  },
} as const satisfies Record<string, LimitRow>;

export const { check: checkReplayGateTable } = defineLimitTable(REPLAY_GATE_LIMIT_TABLE, {
  what: 'replay setting',
  field: 'header.replay',
});
