/**
 * The embedder's boundary of the limit tables (decision 2149): every option of `startNode` that a
 * row of core's tables bounds is checked here, by the tables' one check, before the node opens or
 * starts anything — a limit applies before the work it bounds. An out-of-range value is refused
 * with the LimitOutOfRangeError (`limits.out-of-range`) `caxton serve`'s flag gets, named by the
 * option the embedder passed (`startNode.prepare.maxHeapMb`) and its range in that option's unit;
 * the CLI refuses first, so this is what an embedder (or a test) passing the option meets.
 */
import {
  ARTIFACT_LIMIT_TABLE,
  checkAuditSegmentTable,
  checkClusterTable,
  CLUSTER_LIMIT_TABLE,
  checkKafkaRequestTable,
  checkNodeTable,
  checkTable,
  EDGE_LIMIT_TABLE,
  KIND_LIMIT_TABLE,
  PREPARE_CACHE_LIMIT_TABLE,
  InvalidArgumentError,
  resolveAgentReplayHistory,
  resolveReplayHistory,
  resolveArtifactLimits,
  resolveTrafficLimits,
  rowFloor,
  tableRowsOf,
  rowInFlagUnit,
  type LimitRow,
} from '@caxton/core';
import { checkEdgeAdmissionLimits, edgeAdmissionLimits, type EdgeAdmissionLimits } from '../bus/edge-admission.js';
import type { StartNodeOptions } from './options.js';

/** The refusals name an option by its path from here (`startNode.edgeAdmission.maxLimit`). */
const FIELD = 'startNode';

/**
 * The rows of `prepare`'s options, by the option's name: the deadline in ms as its row; the heap in
 * MiB (V8's maxOldGenerationSizeMb), the row's flag unit, so its range is said, and a fraction
 * refused, in MiB; the cache's bound in bytes as its row.
 */
const PREPARE_OPTION_ROWS = {
  deadlineMs: ARTIFACT_LIMIT_TABLE.prepareDeadlineMs,
  maxHeapMb: rowInFlagUnit(ARTIFACT_LIMIT_TABLE.prepareHeapBytes),
  cacheMaxBytes: PREPARE_CACHE_LIMIT_TABLE.maxBytes,
} as const satisfies Record<string, LimitRow>;

/** Throws LimitOutOfRangeError (or `limits.unknown`, or `api.invalid` for edge limits out of order) for the first option that fails. */
export function checkNodeLimits(options: StartNodeOptions): void {
  resolveTrafficLimits(options.traffic, `${FIELD}.traffic`);
  const prepare = options.prepare ?? {};
  checkTable(
    PREPARE_OPTION_ROWS,
    { deadlineMs: prepare.deadlineMs, maxHeapMb: prepare.maxHeapMb, cacheMaxBytes: prepare.cacheMaxBytes },
    { field: `${FIELD}.prepare`, what: 'prepare option' },
  );
  resolveArtifactLimits({ maxArtifactBytes: options.maxArtifactBytes }, FIELD);
  checkEdgeOptions(options.edgeAdmission);
  checkNodeTable({ shards: options.shards }, FIELD);
  // resolveClusterOptions checks these again where the cluster topology opens: the same check, before anything here is made.
  const cluster = options.cluster ?? {};
  checkClusterTable(tableRowsOf(CLUSTER_LIMIT_TABLE, cluster), `${FIELD}.cluster`);
  checkKafkaRequestTable(cluster.kafkaRequests ?? {}, `${FIELD}.cluster.kafkaRequests`);
  checkAuditSegmentTable(
    { segmentBytes: options.auditSegments?.segmentBytes, retainSegments: options.auditSegments?.retainSegments },
    `${FIELD}.auditSegments`,
  );
  // Every key of replayHistory is a row: one the table does not know is refused here, named.
  const nodeHistory = resolveReplayHistory(options.replayHistory ?? {}, `${FIELD}.replayHistory`);
  // An agent's own history is the embedded log's (decision 2182): a cluster's is its topics' retention.
  const agentHistories = resolveAgentReplayHistory(options.agentReplayHistory, `${FIELD}.agentReplayHistory`);
  for (const [agent, { seconds }] of agentHistories)
    if (nodeHistory.seconds > 0 && seconds <= nodeHistory.seconds)
      // A segment is deleted only once the node's history is past: a copy would be older than the agent's time when made.
      throw new InvalidArgumentError(
        `${FIELD}.agentReplayHistory.${agent}.seconds`,
        `(${seconds}) keeps no more than the node's history (${nodeHistory.seconds} s): its copies would be dropped as they are made`,
        `give ${agent} longer than --replay-history-seconds, or leave it out: the node's history already keeps its traffic that long`,
      );
  if (agentHistories.size > 0 && (options.kafka !== undefined || options.etcd !== undefined))
    throw new InvalidArgumentError(
      `${FIELD}.agentReplayHistory`,
      "is the embedded log's; a cluster keeps its history in Kafka",
      "leave it out in cluster mode: the deliveries topic's retention (retention.ms) is what a cluster keeps, for every agent",
    );
  // The node's default idle period of kinds is what a kind deployed without --idle gets: its row's range too.
  checkTable(
    { defaultIdleMs: KIND_LIMIT_TABLE.idleMs },
    { defaultIdleMs: options.kinds?.defaultIdleMs },
    { field: `${FIELD}.kinds`, what: 'kind option' },
  );
}

/**
 * `edgeAdmission`: the in-flight limit and the delay target by their rows; the serving floor by its
 * row's floor and, above, by the floor (`minLimit`) the node will use — an embedder may set it up to
 * that, `servingMinLimit = minLimit` turning the serving floor off however high the floor is (the
 * row's 1,000 is the floor serve uses: it sets no minLimit). Then the resolved whole is checked for
 * order (edge-admission.ts's own check), so `minLimit` above `maxLimit` is refused here too, before
 * anything is made rather than where the bus is built.
 */
function checkEdgeOptions(given: Partial<EdgeAdmissionLimits> = {}): void {
  const field = `${FIELD}.edgeAdmission`;
  const resolved = edgeAdmissionLimits(given);
  // A floor that is no whole number has no ceiling to give: the order check below refuses it.
  const floor = Number.isSafeInteger(resolved.minLimit) ? resolved.minLimit : EDGE_LIMIT_TABLE.servingMinLimit.ceiling;
  const rows = {
    maxLimit: EDGE_LIMIT_TABLE.maxLimit,
    targetDelayMs: EDGE_LIMIT_TABLE.targetDelayMs,
    servingMinLimit: servingFloorRow(floor),
  };
  checkTable(
    rows,
    { maxLimit: given.maxLimit, targetDelayMs: given.targetDelayMs, servingMinLimit: given.servingMinLimit },
    { field, what: 'edge limit' },
  );
  checkEdgeAdmissionLimits(resolved, field);
}

/** The serving floor's row as an embedder meets it: its ceiling the floor `minLimit` the node will use. */
function servingFloorRow(minLimit: number): LimitRow {
  const row = EDGE_LIMIT_TABLE.servingMinLimit;
  return {
    unit: row.unit,
    min: rowFloor(row),
    ceiling: minLimit,
    computedDefault: `${row.default.toLocaleString('en-US')}, or minLimit where that is lower (then off)`,
    description:
      'Lowest the edge limit may fall while the node serves a standing queue of outside messages (decisions 2103, 2197); at most minLimit, where setting it equal turns the serving floor off.',
  };
}
