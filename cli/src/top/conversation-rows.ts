/**
 * `caxton top --conversations`' arithmetic (pure; unit-tested): what each conversation cost — its
 * sums, and handlings and fuel a second between two looks — sorted by a chosen column, beside the
 * node's sums they add up to (decision 2184).
 */
import type { ConversationCostSort, ConversationCosts, ConversationCostsView, HandlingCosts } from '@caxton/core';
import { COST_ORDER, COST_SORT_KEYS, sortLargestFirst } from './top-rows.js';

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
export const CONVERSATION_SORT_KEYS = [...COST_SORT_KEYS, 'recent', 'name'] as const;
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
  ...COST_ORDER,
  recent: (r) => [1, r.lastAt],
};

/** Largest first (ids in order for `name`), ties by id. */
export function sortConversationRows(rows: readonly ConversationRow[], key: ConversationSortKey): ConversationRow[] {
  const byId = (a: ConversationRow, b: ConversationRow): number =>
    a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0;
  return key === 'name' ? [...rows].sort(byId) : sortLargestFirst(rows, BY[key], byId);
}
