/**
 * `caxton top`'s arithmetic (pure; unit-tested): what each agent cost between two looks at the
 * node's agents — handlings and fuel a second, fuel a handling — beside what it holds now, the
 * rows sorted by a chosen column and summed into the node's totals.
 */
import type { AgentView } from '@caxton/client';
import type { HandlingCosts } from '@caxton/core';

/** One look at the agents: when, and each agent's counters then. */
export interface TopSnapshot {
  at: number;
  agents: readonly AgentView[];
}

export interface TopRow {
  name: string;
  state: string;
  nodeId: string;
  /** Handlings since deployed on its node (deliveries and timers). */
  handled: number;
  /** Handlings a second since the previous look; absent on the first. */
  handledPerS?: number;
  /** Fuel since deployed. */
  fuel: number;
  fuelPerS?: number;
  /** Fuel a handling since the previous look (absent when none was handled). */
  fuelPerHandling?: number;
  memoryPages: number;
  mailbox: number;
  restarts: number;
  /**
   * What its handlings cost since deployed (decision 2184): 0 from a node that does not count them.
   * `handlingFuel` is `fuel` less what its init used: the fuel its conversations add up to.
   */
  handlingFuel: number;
  handlerUs: number;
  messagesSent: number;
  bytesSent: number;
  stateBytesWritten: number;
  httpCalls: number;
}

export type TopTotals = Omit<TopRow, 'name' | 'state' | 'nodeId' | 'fuelPerHandling'> & { agents: number; fuelPerHandling?: number };

/** The keys of the figures agents and conversations both have: `caxton top`'s and `caxton top --conversations`'. */
export const COST_SORT_KEYS = [
  'fuel-rate',
  'msg-rate',
  'fuel',
  'handled',
  'handler-time',
  'sent',
  'bytes-sent',
  'state-bytes',
  'http',
] as const;
export type CostSortKey = (typeof COST_SORT_KEYS)[number];

export const TOP_SORT_KEYS = [...COST_SORT_KEYS, 'mailbox', 'memory', 'restarts', 'name'] as const;
export type TopSortKey = (typeof TOP_SORT_KEYS)[number];

/**
 * The rows of `now` against `before` (the previous look, if any). An agent not seen before, or whose
 * counters went down (redeployed, or now counted on another node), has no rate this time: it has
 * none to compare with (never a negative one).
 */
export function topRows(now: TopSnapshot, before?: TopSnapshot): TopRow[] {
  const seconds = before === undefined ? 0 : (now.at - before.at) / 1000;
  const previous = new Map(before?.agents.map((a) => [a.name, a]));
  return now.agents.map((a) => {
    const row: TopRow = {
      name: a.name,
      state: a.state,
      nodeId: a.nodeId,
      handled: a.messagesHandled,
      fuel: a.fuelUsed,
      memoryPages: a.memoryPages,
      mailbox: a.mailboxDepth,
      restarts: a.restarts,
      handlingFuel: a.costs?.fuel ?? 0,
      handlerUs: a.costs?.handlerUs ?? 0,
      messagesSent: a.costs?.messagesSent ?? 0,
      bytesSent: a.costs?.bytesSent ?? 0,
      stateBytesWritten: a.costs?.stateBytesWritten ?? 0,
      httpCalls: a.costs?.httpCalls ?? 0,
    };
    const p = previous.get(a.name);
    if (seconds > 0 && p !== undefined && p.messagesHandled <= a.messagesHandled && p.fuelUsed <= a.fuelUsed) {
      const handled = a.messagesHandled - p.messagesHandled;
      const fuel = a.fuelUsed - p.fuelUsed;
      row.handledPerS = handled / seconds;
      row.fuelPerS = fuel / seconds;
      if (handled > 0) row.fuelPerHandling = fuel / handled;
    }
    return row;
  });
}

/** The rows summed: the node's totals of what its agents cost. */
export function topTotals(rows: readonly TopRow[]): TopTotals {
  const sum = (f: (r: TopRow) => number | undefined): number => rows.reduce((s, r) => s + (f(r) ?? 0), 0);
  const rated = rows.some((r) => r.handledPerS !== undefined);
  const totals: TopTotals = {
    agents: rows.length,
    handled: sum((r) => r.handled),
    fuel: sum((r) => r.fuel),
    memoryPages: sum((r) => r.memoryPages),
    mailbox: sum((r) => r.mailbox),
    restarts: sum((r) => r.restarts),
    handlingFuel: sum((r) => r.handlingFuel),
    handlerUs: sum((r) => r.handlerUs),
    messagesSent: sum((r) => r.messagesSent),
    bytesSent: sum((r) => r.bytesSent),
    stateBytesWritten: sum((r) => r.stateBytesWritten),
    httpCalls: sum((r) => r.httpCalls),
  };
  if (rated) {
    totals.handledPerS = sum((r) => r.handledPerS);
    totals.fuelPerS = sum((r) => r.fuelPerS);
    if (totals.handledPerS > 0) totals.fuelPerHandling = totals.fuelPerS / totals.handledPerS;
  }
  return totals;
}

/** The figures agents and conversations both have, and their rates a second. */
type CostFigures = HandlingCosts & { handledPerS?: number; fuelPerS?: number };

/**
 * Each key's order: the value compared, largest first. A rate key ranks rows that have a rate this
 * refresh above those that have none (first seen, or their counters went down), and compares the
 * latter by their totals — so the first refresh, when no row has a rate yet, is ordered by the totals.
 */
export const COST_ORDER: Record<CostSortKey, (r: CostFigures) => [number, number]> = {
  'fuel-rate': (r) => (r.fuelPerS === undefined ? [0, r.fuel] : [1, r.fuelPerS]),
  'msg-rate': (r) => (r.handledPerS === undefined ? [0, r.handled] : [1, r.handledPerS]),
  fuel: (r) => [1, r.fuel],
  handled: (r) => [1, r.handled],
  'handler-time': (r) => [1, r.handlerUs],
  sent: (r) => [1, r.messagesSent],
  'bytes-sent': (r) => [1, r.bytesSent],
  'state-bytes': (r) => [1, r.stateBytesWritten],
  http: (r) => [1, r.httpCalls],
};

const BY: Record<Exclude<TopSortKey, 'name'>, (r: TopRow) => [number, number]> = {
  ...COST_ORDER,
  mailbox: (r) => [1, r.mailbox],
  memory: (r) => [1, r.memoryPages],
  restarts: (r) => [1, r.restarts],
};

/** `rows` by `by`, largest first, ties by `tie`: a stable order from one refresh to the next. */
export function sortLargestFirst<R>(rows: readonly R[], by: (r: R) => [number, number], tie: (a: R, b: R) => number): R[] {
  return [...rows].sort((a, b) => {
    const [ra, x] = by(a);
    const [rb, y] = by(b);
    return rb - ra || y - x || tie(a, b);
  });
}

/** Largest first (names in order), ties by name. */
export function sortTopRows(rows: readonly TopRow[], key: TopSortKey): TopRow[] {
  const byName = (a: TopRow, b: TopRow): number => a.name.localeCompare(b.name);
  return key === 'name' ? [...rows].sort(byName) : sortLargestFirst(rows, BY[key], byName);
}
