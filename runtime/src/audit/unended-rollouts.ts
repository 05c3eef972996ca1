/**
 * A rollout does not survive a restart (decision 1871): the node comes back on the running
 * version, the new instance gone with the old process. At start the node looks in its audit trail
 * for rollouts it started that have no end there, so that each gets its closing record
 * (`AbortRollout`, outcome `aborted`) and is shown ended in `caxton agents`.
 */
import {
  AuditChangeReader, parseStrategy, resolveRolloutThresholds, ROLLOUT_LIMIT_TABLE, UnendedRollouts,
  type RolloutThresholdName, type RolloutThresholds, type RolloutView, type UnendedRollout,
} from '@caxton/core';
import type { AuditTrail } from './audit-trail.js';

/** How far back the start-up scan reads (records): a rollout is minutes long, not a whole trail. */
const SCAN_RECORDS = 100_000;
const PAGE = 1_000;

/** The reason an ended-by-restart rollout shows and its closing record names. */
export const RESTART_REASON = 'the node restarted during the rollout: it came back on the running version (the counts were not kept)';

/** Rollouts `nodeId` started that the last SCAN_RECORDS records of the trail show no end of. */
export async function findUnendedRollouts(trail: AuditTrail, nodeId: string): Promise<UnendedRollout[]> {
  const head = await trail.currentHead();
  if (head === undefined) return [];
  const reader = new AuditChangeReader();
  const open = new UnendedRollouts();
  for (let from = Math.max(0, head.index + 1 - SCAN_RECORDS); from <= head.index;) {
    const page = await trail.read(from, Math.min(PAGE, head.index + 1 - from));
    if (page.length === 0) break;
    for (const stored of page) for (const line of reader.push(stored)) open.take(line);
    from = page[page.length - 1]!.position + 1;
  }
  for (const line of reader.end()) open.take(line);
  return open.unended().filter((u) => u.node === nodeId);
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
    strategy: parseStrategy(u.strategy), phase: 'aborted', candidateVersion, candidateDigest: u.artifact,
    startedAt: u.startedAt, bakeUntil: u.startedAt + thresholds.bakeMs, thresholds, counts: { handled: 0, crashes: 0, failures: 0 },
    reason: RESTART_REASON,
  };
}
