/**
 * The embedder's boundary of the limit tables (decision 2149): every option of `startNode` that a
 * row of core's tables bounds is checked here, by the tables' one check, before the node opens or
 * starts anything — a limit applies before the work it bounds. An out-of-range value is refused
 * with the same LimitOutOfRangeError (`limits.out-of-range`, the row's hint) `caxton serve`'s flag
 * gets; the CLI refuses first, so this is what an embedder (or a test) passing the option meets.
 */
import {
  ARTIFACT_LIMIT_TABLE, checkClusterTable, checkNodeTable, EDGE_LIMIT_TABLE, fromFlagUnit, resolveArtifactLimits, resolveEdgeLimits, resolvePrepareCacheLimits, resolveTrafficLimits,
  type ArtifactLimitName, type EdgeLimitName,
} from '@caxton/core';
import type { StartNodeOptions } from './options.js';

/** Where the refusals name the options (`startNode.prepareDeadlineMs`: the row's name, as the hint's). */
const FIELD = 'startNode';

/** Throws LimitOutOfRangeError (or `limits.unknown`) for the first option outside its row. */
export function checkNodeLimits(options: StartNodeOptions): void {
  resolveTrafficLimits(options.traffic);
  // An embedder's NaN or 0 would evict all but what was just written (decision 2141).
  if (options.prepare?.cacheMaxBytes !== undefined) resolvePrepareCacheLimits({ maxBytes: options.prepare.cacheMaxBytes }, 'prepare.cache');
  resolveArtifactLimits(artifactOptions(options), FIELD);
  resolveEdgeLimits(edgeOptions(options), FIELD);
  checkNodeTable({ shards: options.shards }, FIELD);
  // resolveClusterOptions checks these again where the cluster topology opens: the same check, before anything here is made.
  checkClusterTable({ leaseTtlSeconds: options.cluster?.leaseTtlSeconds, partitions: options.cluster?.partitions }, 'cluster');
}

/**
 * The artifact rows' values among the options: the upload bound, and the preparation's deadline and
 * heap. The heap is given in MiB (V8's maxOldGenerationSizeMb), the row's flag unit: a whole number
 * of MiB is checked in bytes; anything else is passed as given, for the check to refuse.
 */
function artifactOptions(options: StartNodeOptions): Partial<Record<ArtifactLimitName, unknown>> {
  const heapMb = options.prepare?.maxHeapMb;
  return {
    maxArtifactBytes: options.maxArtifactBytes,
    prepareDeadlineMs: options.prepare?.deadlineMs,
    prepareHeapBytes: heapMb !== undefined && Number.isSafeInteger(heapMb) ? fromFlagUnit(ARTIFACT_LIMIT_TABLE.prepareHeapBytes, heapMb) : heapMb,
  };
}

/**
 * The edge rows' values among `edgeAdmission` (its other limits, which no row holds, stay with
 * edge-admission.ts's own check of the whole object).
 */
function edgeOptions(options: StartNodeOptions): Partial<Record<EdgeLimitName, number>> {
  const given = options.edgeAdmission ?? {};
  const out: Partial<Record<EdgeLimitName, number>> = {};
  for (const name of Object.keys(EDGE_LIMIT_TABLE) as EdgeLimitName[]) if (given[name] !== undefined) out[name] = given[name];
  return out;
}
