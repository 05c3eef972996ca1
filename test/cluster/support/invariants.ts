/**
 * The cluster's guarantees, checked from the probes' own observations (what each instance saw:
 * its node, its instance id, its own handled count, its clock) and the nodes' completion records.
 * Pure: tests assert on the report, and print it when an assertion fails.
 */
import type { Observation } from './journal.js';

export interface Accepted {
  /** `<agent>:<seq>` */
  key: string;
  agent: string;
  /** The delivery id the bus gave it (`<message id>><agent>`). */
  deliveryId: string;
}

export interface Report {
  accepted: number;
  observed: number;
  /** Accepted requests no probe instance ever handled. */
  missing: string[];
  /** Requests handled more than once: how many, and those where an earlier handler had recorded the completion. */
  duplicates: number;
  completedThenRedone: string[];
  /** Instances whose own count has gaps or repeats (something handled went unreported, or it re-initialised). */
  countGaps: string[];
  /** An instance that reports a node other than the one whose journal has its report. */
  wrongNode: string[];
  /** One agent active in two instances at once (the later started before the earlier's last handling). */
  overlaps: string[];
  /** Within one instance, requests handled out of send order. */
  outOfOrder: string[];
  /** Per agent, the nodes it ran on, in order. */
  placements: Map<string, string[]>;
}

export function check(
  accepted: readonly Accepted[],
  observations: readonly Observation[],
  completions: ReadonlyMap<string, ReadonlyMap<string, number>>,
): Report {
  const byKey = new Map<string, Observation[]>();
  for (const o of observations) {
    const list = byKey.get(o.key) ?? [];
    list.push(o);
    byKey.set(o.key, list);
  }
  const report: Report = {
    accepted: accepted.length,
    observed: observations.length,
    missing: [],
    duplicates: 0,
    completedThenRedone: [],
    countGaps: [],
    wrongNode: [],
    overlaps: [],
    outOfOrder: [],
    placements: new Map(),
  };
  for (const a of accepted) {
    const seen = byKey.get(a.key);
    if (!seen) {
      report.missing.push(a.key);
      continue;
    }
    if (seen.length < 2) continue;
    report.duplicates += 1;
    // Once any node recorded the completion, no instance may handle it again (same host clock).
    let completedAt = Infinity;
    let by = '';
    for (const [node, done] of completions) {
      const at = done.get(a.deliveryId);
      if (at !== undefined && at < completedAt) [completedAt, by] = [at, node];
    }
    for (const h of seen) {
      if (h.at > completedAt)
        report.completedThenRedone.push(`${a.key}: completed on ${by} at ${completedAt}, handled again on ${h.node} at ${h.at}`);
    }
  }

  const byInstance = new Map<string, Observation[]>();
  for (const o of observations) {
    const list = byInstance.get(o.instance) ?? [];
    list.push(o);
    byInstance.set(o.instance, list);
    if (o.node !== o.journal) report.wrongNode.push(`${o.key}: instance on ${o.node} reported by ${o.journal}`);
  }
  const byAgent = new Map<string, { instance: string; node: string; first: number; last: number }[]>();
  for (const [instance, list] of byInstance) {
    list.sort((x, y) => x.n - y.n);
    list.forEach((o, i) => {
      if (o.n !== i + 1) report.countGaps.push(`${o.agent} instance ${instance} on ${o.node}: count ${o.n} at position ${i + 1}`);
      // The same request twice in a row is a repeat, not disorder: a handling whose commit failed
      // (the broker restarting under it) is handled again by the same instance, its effects under
      // the same ids; whether a repeat came after a recorded completion is checked above.
      if (i > 0 && o.seq < list[i - 1]!.seq) report.outOfOrder.push(`${o.agent} on ${o.node}: seq ${o.seq} after ${list[i - 1]!.seq}`);
    });
    const agent = list[0]!.agent;
    const spans = byAgent.get(agent) ?? [];
    spans.push({ instance, node: list[0]!.node, first: Math.min(...list.map((o) => o.at)), last: Math.max(...list.map((o) => o.at)) });
    byAgent.set(agent, spans);
  }
  for (const [agent, spans] of byAgent) {
    spans.sort((x, y) => x.first - y.first);
    report.placements.set(
      agent,
      spans.map((s) => s.node),
    );
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1]!;
      const next = spans[i]!;
      if (next.first < prev.last)
        report.overlaps.push(
          `${agent}: instance on ${next.node} handled at ${next.first}, before the one on ${prev.node} stopped (${prev.last})`,
        );
    }
  }
  return report;
}

/** The report in a few lines, for assertion messages and the test log. */
export function summary(r: Report): string {
  const few = (xs: string[]): string =>
    xs.length === 0 ? '0' : `${xs.length} (${xs.slice(0, 5).join('; ')}${xs.length > 5 ? '; …' : ''})`;
  return [
    `accepted ${r.accepted}, observations ${r.observed}, duplicates ${r.duplicates}`,
    `missing ${few(r.missing)}`,
    `completed then redone ${few(r.completedThenRedone)}`,
    `count gaps ${few(r.countGaps)}`,
    `wrong node ${few(r.wrongNode)}`,
    `overlaps ${few(r.overlaps)}`,
    `out of order ${few(r.outOfOrder)}`,
  ].join('\n');
}
