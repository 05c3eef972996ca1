/**
 * `caxton top --conversations`' arithmetic (pure; unit-tested): what each conversation cost — its
 * sums, and handlings and fuel a second between two looks — sorted by a chosen column, beside the
 * node's sums they add up to (decision 2184).
 */
import type { ConversationCostSort, ConversationCosts, ConversationCostsView, HandlingCosts } from '@caxton/core';
import type { TopSortKey } from './top-rows.js';

export interface ConversationRow extends HandlingCosts {
  conversationId: string;
  /** Handlings and fuel a second since the previous look; absent on the first, or for a conversation not listed then. */
  handledPerS?: number;
  fuelPerS?: number;
  firstAt: number;
  lastAt: number;
  agents: ConversationCosts['agents'];
  otherAgents?: HandlingCosts;
}

/** The keys that sort conversations: those of the agents' view that are figures of a conversation, and `recent`. */
export const CONVERSATION_SORT_KEYS = [
  'fuel-rate',
  'msg-rate',
  'fuel',
  'handled',
  'handler-time',
  'sent',
  'bytes-sent',
  'state-bytes',
  'http',
  'recent',
  'name',
] as const satisfies readonly (TopSortKey | 'recent')[];
export type ConversationSortKey = (typeof CONVERSATION_SORT_KEYS)[number];

/**
 * What the node is asked to sort by: a figure's own order, else the most recently handled (a rate
 * is of the conversations going on; their ids, of those too).
 */
export const SERVER_SORT: Record<ConversationSortKey, ConversationCostSort> = {
  'fuel-rate': 'recent',
  'msg-rate': 'recent',
  fuel: 'fuel',
  handled: 'handled',
  'handler-time': 'handlerUs',
  sent: 'messagesSent',
  'bytes-sent': 'bytesSent',
  'state-bytes': 'stateBytesWritten',
  http: 'httpCalls',
  recent: 'recent',
  name: 'recent',
};

/** A look at the node's conversation costs: when, and what it answered. */
export interface ConversationSnapshot {
  at: number;
  view: ConversationCostsView;
}

/**
 * The rows of `now` against `before`. A conversation not listed before, or whose figures went down
 * (evicted and seen again), has no rate this time.
 */
export function conversationRows(now: ConversationSnapshot, before?: ConversationSnapshot): ConversationRow[] {
  const seconds = before === undefined ? 0 : (now.at - before.at) / 1000;
  const previous = new Map(before?.view.conversations.map((c) => [c.conversationId, c]));
  return now.view.conversations.map((c) => {
    const row: ConversationRow = { ...c };
    const p = previous.get(c.conversationId);
    if (seconds > 0 && p !== undefined && p.handled <= c.handled && p.fuel <= c.fuel) {
      row.handledPerS = (c.handled - p.handled) / seconds;
      row.fuelPerS = (c.fuel - p.fuel) / seconds;
    }
    return row;
  });
}

const BY: Record<Exclude<ConversationSortKey, 'name'>, (r: ConversationRow) => [number, number]> = {
  'fuel-rate': (r) => (r.fuelPerS === undefined ? [0, r.fuel] : [1, r.fuelPerS]),
  'msg-rate': (r) => (r.handledPerS === undefined ? [0, r.handled] : [1, r.handledPerS]),
  fuel: (r) => [1, r.fuel],
  handled: (r) => [1, r.handled],
  'handler-time': (r) => [1, r.handlerUs],
  sent: (r) => [1, r.messagesSent],
  'bytes-sent': (r) => [1, r.bytesSent],
  'state-bytes': (r) => [1, r.stateBytesWritten],
  http: (r) => [1, r.httpCalls],
  recent: (r) => [1, r.lastAt],
};

/** Largest first (ids in order for `name`), ties by id: a stable order from one refresh to the next. */
export function sortConversationRows(rows: readonly ConversationRow[], key: ConversationSortKey): ConversationRow[] {
  const byId = (a: ConversationRow, b: ConversationRow): number =>
    a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0;
  if (key === 'name') return [...rows].sort(byId);
  const by = BY[key];
  return [...rows].sort((a, b) => {
    const [ra, x] = by(a);
    const [rb, y] = by(b);
    return rb - ra || y - x || byId(a, b);
  });
}
