/** `caxton top --conversations`: each refresh's query, rows, JSON object and table (decision 2184). */
import { CONVERSATION_COST_LIMITS, type ConversationCostsQuery, type ConversationCostsView } from '@caxton/core';
import { CliError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import {
  SERVER_SORT,
  conversationRows,
  sortConversationRows,
  type ConversationSnapshot,
  type ConversationSortKey,
} from './conversation-rows.js';
import { formatConversations } from './format-conversations.js';

export const CONVERSATION_LIMITS_TEXT = `1 to ${CONVERSATION_COST_LIMITS.maxListed}`;

export interface ConversationsLook {
  query: ConversationCostsQuery;
  /** One refresh: the node's answer at `at`, against the previous one. */
  next(view: ConversationCostsView, at: number): { json: unknown; text: string };
}

export function conversationsLook(sort: ConversationSortKey, limit: number): ConversationsLook {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > CONVERSATION_COST_LIMITS.maxListed)
    throw new CliError(EXIT.USAGE, `--limit ${limit}: not a whole number from ${CONVERSATION_LIMITS_TEXT}`, 'e.g. --limit 50');
  let before: ConversationSnapshot | undefined;
  return {
    query: { sort: SERVER_SORT[sort], limit },
    next(view, at) {
      const now: ConversationSnapshot = { at, view };
      const rows = sortConversationRows(conversationRows(now, before), sort);
      const intervalMs = before === undefined ? 0 : at - before.at;
      const heading = `${new Date(at).toISOString()}  conversations sorted by ${sort}${before === undefined ? '  (rates from the next refresh)' : ''}`;
      before = now;
      return {
        json: {
          at,
          intervalMs,
          conversations: rows,
          conversationCount: view.conversationCount,
          noConversation: view.noConversation,
          evicted: view.evicted,
          totals: view.totals,
        },
        text: formatConversations(rows, view, heading),
      };
    },
  };
}
