/** Durable agent state on Kafka: the owner's sweep of a state partition (decision 1800) and the bound of one commit. */
import { utf8ByteLength } from '../../acl/lexical.js';
import { defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * The owner's sweep of a Kafka state partition (decision 1800): when it retires old owner claims,
 * and how much and how often it writes. Set by an embedder (`KafkaMessageLogOptions.stateSweep`).
 */
export const STATE_SWEEP_LIMIT_TABLE = {
  maxClaims: {
    unit: 'claims',
    default: 64,
    ceiling: 1_000_000,
    description:
      'Owner claims a state partition keeps (one per takeover, read by every load) before its owner re-writes what older claims tagged and retires them.',
  },
  batch: {
    unit: 'records',
    default: 500,
    min: 2,
    ceiling: 10_000,
    description:
      'Records one sweep run of a partition writes at most (tombstones and their header, re-writes, retired claims); the rest waits for the next run.',
  },
  intervalMs: {
    unit: 'ms',
    default: 5_000,
    min: 10,
    ceiling: 3_600_000,
    description: 'Least time between two sweep runs of one partition (and from its load to the first).',
  },
} as const satisfies Record<string, LimitRow & { default: number }>;

export type StateSweepLimitName = keyof typeof STATE_SWEEP_LIMIT_TABLE;
export type StateSweepLimits = LimitsOf<typeof STATE_SWEEP_LIMIT_TABLE>;

/** The sweep settings given, checked by the one check, the rest the rows' defaults. */
export const { resolve: resolveStateSweepLimits } = defineLimitTable(STATE_SWEEP_LIMIT_TABLE, {
  what: 'state sweep setting',
  field: 'stateSweep',
});

/**
 * The largest one state commit may be (UTF-8 bytes of its records, keys and framing included): the
 * Kafka state topic's `max.message.bytes` is this value (one commit is one record batch; topics.ts),
 * and a writer whose commit size is not bounded by the state limits checks against it before
 * committing — the MTP outbox (review of mtpoutbox, 8). Twice DEFAULT_STATE_LIMITS.maxTotalBytes
 * (4 MiB), so a handling can rewrite all of its state with room for keys and record overhead.
 */
export const STATE_COMMIT_MAX_BYTES = 8 * 1024 * 1024;
/** What one state record costs beyond its state key and value (the agent's name in its record key, a version byte, Kafka's record framing), counted generously. */
export const STATE_RECORD_OVERHEAD_BYTES = 128;
/** How often a state load re-checks that the reader passed its claim (only when it joined an earlier hold), or `counted` its commit. */
export const STATE_CLAIM_READ_POLL_MS = 20;

/** The bytes a commit of `writes` for `agent` takes against STATE_COMMIT_MAX_BYTES. */
export function stateCommitBytes(agent: string, writes: readonly { key: string; value: string | null }[]): number {
  let n = 0;
  const agentBytes = utf8ByteLength(agent);
  for (const w of writes)
    n += agentBytes + utf8ByteLength(w.key) + (w.value === null ? 0 : utf8ByteLength(w.value)) + STATE_RECORD_OVERHEAD_BYTES;
  return n;
}
