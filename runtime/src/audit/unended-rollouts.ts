/**
 * A rollout does not survive a restart (decision 1871): the node comes back on the running
 * version, the new instance gone with the old process. At start the node looks in its audit trail
 * for rollouts it started that have no end there, so that each gets its closing record
 * (`AbortRollout`, outcome `aborted`) and is shown ended in `caxton agents`.
 */
import {
  AuditChangeReader,
  parseStrategy,
  resolveRolloutThresholds,
  ROLLOUT_BOUNDS,
  ROLLOUT_LIMIT_TABLE,
  UnendedRollouts,
  type RolloutThresholdName,
  type RolloutThresholds,
  type RolloutView,
  type UnendedRollout,
} from '@caxton/core';
import type { AuditTrail } from './audit-trail.js';

/** The reason an ended-by-restart rollout shows and its closing record names: what the node knows. */
export const RESTART_REASON =
  'the node started with this rollout open (no end was recorded before it stopped): it came back on the running version (the counts were not kept)';

/** What the start-up scan found. */
export interface UnendedScan {
  /** Rollouts the scanned records show started and not ended. */
  unended: UnendedRollout[];
  /** False: the window ran out before the trail's first record (a rollout started earlier is not seen). */
  reachedStart: boolean;
  /** The first record read. */
  from: number;
}

/**
 * Rollouts that the last `window` records of the trail show started and not ended. `node`: only
 * the ones that node started (a trail shared by a cluster's nodes); absent: every start (a node's
 * own file trail, whatever node id it had then).
 */
export async function findUnendedRollouts(trail: AuditTrail, options: { node?: string; window?: number } = {}): Promise<UnendedScan> {
  const window = options.window ?? ROLLOUT_BOUNDS.unendedScanRecords;
  const head = await trail.currentHead();
  if (head === undefined) return { unended: [], reachedStart: true, from: 0 };
  const reader = new AuditChangeReader();
  const open = new UnendedRollouts(options.node !== undefined ? { node: options.node } : {});
  const start = Math.max(0, head.index + 1 - window);
  for (let from = start; from <= head.index; ) {
    const page = await trail.read(from, Math.min(ROLLOUT_BOUNDS.unendedScanPage, head.index + 1 - from));
    if (page.length === 0) break;
    for (const stored of page) for (const line of reader.push(stored)) open.take(line);
    from = page[page.length - 1]!.position + 1;
  }
  for (const line of reader.end()) open.take(line);
  // Records before the window that are still kept (not deleted by retention): the scan did not reach the start.
  const reachedStart = start === 0 || (await trail.read(start - 1, 1)).length === 0;
  return { unended: open.unended(), reachedStart, from: start };
}

/** The thresholds the upgrade asked for (its intent's fields), the defaults for the rest. */
export function thresholdFields(thresholds: Partial<RolloutThresholds> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(thresholds ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}

/** What `caxton agents` shows of a rollout the restart ended. */
export function endedByRestart(u: UnendedRollout, candidateVersion: number): RolloutView {
  const given: Partial<Record<RolloutThresholdName, unknown>> = {};
  for (const k of Object.keys(ROLLOUT_LIMIT_TABLE) as RolloutThresholdName[]) {
    const v = u.fields[k];
    if (v !== undefined) given[k] = Number(v);
  }
  let thresholds: RolloutThresholds;
  try {
    thresholds = resolveRolloutThresholds(given);
  } catch {
    thresholds = resolveRolloutThresholds({}); // fields that do not validate (a tampered or foreign record): the defaults
  }
  return {
    strategy: parseStrategy(u.strategy),
    phase: 'aborted',
    candidateVersion,
    candidateDigest: u.artifact,
    startedAt: u.startedAt,
    bakeUntil: u.startedAt + thresholds.bakeMs,
    thresholds,
    counts: { handled: 0, crashes: 0, failures: 0 },
    reason: RESTART_REASON,
  };
}
