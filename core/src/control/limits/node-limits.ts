/** How a node runs its agents: its shards (decision 2149). */
import { defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * How a node runs its agents (decision 2149): `caxton serve --shards`, `startNode({ shards })`. The
 * default is computed where the node starts (runtime's `defaultShards`: the cores), so the row says
 * it in words; its range is checked as any row's. 256 is the ceiling serve checked by hand before:
 * every shard is a worker thread with its own engine, far past the cores of any machine it runs on.
 */
/** The most shards a node runs (the row's ceiling; the computed default is capped at it too). */
const MAX_SHARDS = 256;

export const NODE_LIMIT_TABLE = {
  shards: {
    unit: 'shards',
    computedDefault: `computed from the cores (1 on up to 2, else cores − 1, at most ${MAX_SHARDS})`,
    ceiling: MAX_SHARDS,
    description: 'Worker threads running agents; a stuck agent resets only its own shard.',
    serve: 'shards',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { serve: string; flagDigitsOnly: true }>;

export type NodeLimitName = keyof typeof NODE_LIMIT_TABLE;
export type NodeLimits = LimitsOf<typeof NODE_LIMIT_TABLE>;

/** The node's own limits given: each a whole number in its row (no defaults here: the shards' is computed by the node). */
export const { check: checkNodeTable } = defineLimitTable(NODE_LIMIT_TABLE, { what: 'node limit', field: 'node' });
