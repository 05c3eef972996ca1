/** The Kafka client's request shape (decision 2100): linger and fetch. */
import { defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * The Kafka client's request shape (decision 2100 measured it): how long an idle producer or commit
 * queue waits so more share a request, and the deliveries consumer's fetch. `caxton serve
 * --kafka-linger-ms / --kafka-fetch-min-bytes / --kafka-fetch-max-wait-ms`, `startNode({ cluster:
 * { kafkaRequests } })`, `new KafkaMessageLog({ lingerMs, … })`: one row each, checked by the one check.
 */
export const KAFKA_REQUEST_LIMIT_TABLE = {
  lingerMs: {
    unit: 'ms',
    default: 0,
    min: 0,
    ceiling: 100,
    description:
      'Wait before an idle producer or commit queue sends, so that more appends share one request; adds up to that much to every hop.',
    serve: 'kafka-linger-ms',
    flagDigitsOnly: true,
  },
  fetchMinBytes: {
    unit: 'bytes',
    default: 1,
    ceiling: 16 * 1024 * 1024,
    description: "Bytes the broker gathers before answering a fetch of deliveries (or the fetch's longest wait passes).",
    serve: 'kafka-fetch-min-bytes',
    flagDigitsOnly: true,
  },
  fetchMaxWaitMs: {
    unit: 'ms',
    default: 1_000,
    min: 0,
    ceiling: 30_000,
    description:
      'Longest the broker holds a fetch of deliveries waiting for its minimum bytes; with 1 byte, only how long a resumed partition waits.',
    serve: 'kafka-fetch-max-wait-ms',
    flagDigitsOnly: true,
  },
  fetchMaxBytesPerPartition: {
    unit: 'bytes',
    default: 1024 * 1024,
    ceiling: 64 * 1024 * 1024,
    description: 'Largest slice of one partition a fetch returns (a larger record still comes whole).',
  },
} as const satisfies Record<string, LimitRow & { default: number }>;

export type KafkaRequestLimitName = keyof typeof KAFKA_REQUEST_LIMIT_TABLE;
export type KafkaRequestLimits = LimitsOf<typeof KAFKA_REQUEST_LIMIT_TABLE>;

/** The Kafka request shape given: each a whole number in its row (the values not given are left out, for the log's defaults). */
export const { defaults: DEFAULT_KAFKA_REQUEST_LIMITS, check: checkKafkaRequestTable } = defineLimitTable(KAFKA_REQUEST_LIMIT_TABLE, {
  what: 'Kafka request setting',
  field: 'kafkaRequests',
});
