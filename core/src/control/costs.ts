/**
 * What handlings cost (issue 61, decision 2184): the figures a node sums per agent and per
 * conversation, the shapes every layer shares (node, console, gRPC, CLI). One definition.
 */
import { DEFAULT_ACL_LIMITS } from '../acl/limits.js';
import { utf8ByteLength } from '../acl/lexical.js';
import { InvalidArgumentError } from './errors.js';
import { CONVERSATION_COST_LIMITS } from './limits/conversation-cost-limits.js';

/** Sums over handlings: each figure only grows. */
export interface HandlingCosts {
  /** Handlings counted (deliveries and timers whose code ran to an outcome, decision 2101). */
  handled: number;
  /** Fuel the handlings used. */
  fuel: number;
  /** Wall time of the handlings in the sandbox, microseconds. */
  handlerUs: number;
  /** Messages the handlings sent (committed or not: what the agent asked for). */
  messagesSent: number;
  /** UTF-8 bytes of the content of those messages. */
  bytesSent: number;
  /** UTF-8 bytes of the state keys and values the handlings wrote (a delete counts its key). */
  stateBytesWritten: number;
  /** Outbound HTTP requests the handlings started. */
  httpCalls: number;
}

/** The figures' names, in the order they are shown; each is a sort key of the cost views. */
export const HANDLING_COST_KEYS = ['fuel', 'handled', 'handlerUs', 'messagesSent', 'bytesSent', 'stateBytesWritten', 'httpCalls'] as const;
export type HandlingCostKey = (typeof HANDLING_COST_KEYS)[number];

export function zeroCosts(): HandlingCosts {
  return { handled: 0, fuel: 0, handlerUs: 0, messagesSent: 0, bytesSent: 0, stateBytesWritten: 0, httpCalls: 0 };
}

/** `into` += `from`, field by field; returns `into`. */
export function addCosts(into: HandlingCosts, from: HandlingCosts): HandlingCosts {
  into.handled += from.handled;
  into.fuel += from.fuel;
  into.handlerUs += from.handlerUs;
  into.messagesSent += from.messagesSent;
  into.bytesSent += from.bytesSent;
  into.stateBytesWritten += from.stateBytesWritten;
  into.httpCalls += from.httpCalls;
  return into;
}

/** One conversation's costs on a node: its sums, each agent's share, when it was first and last handled. */
export interface ConversationCosts extends HandlingCosts {
  conversationId: string;
  /** ms since epoch. */
  firstAt: number;
  lastAt: number;
  /** Each agent's share, largest fuel first; at most CONVERSATION_COST_LIMITS.agentsPerConversation. */
  agents: (HandlingCosts & { agent: string })[];
  /** The share of agents beyond the cap, summed; absent when none. */
  otherAgents?: HandlingCosts;
}

/**
 * A node's conversation costs at one moment. `totals` is every handling the node counted since it
 * started: the listed conversations, those not listed (beyond `limit`), those evicted, and the
 * handlings without a conversation id add up to it.
 */
export interface ConversationCostsView {
  at: number;
  /** Conversations the node holds figures for (at most CONVERSATION_COST_LIMITS.conversations). */
  conversationCount: number;
  conversations: ConversationCosts[];
  /** Handlings whose message carried no conversation id (and timers). */
  noConversation: HandlingCosts;
  /** What conversations evicted to make room cost, summed. */
  evicted: HandlingCosts & { conversations: number };
  totals: HandlingCosts;
}

/** What a read of conversation costs asks for: sorted by a figure or most recent first, at most `limit` (CONVERSATION_COST_LIMITS). */
export interface ConversationCostsQuery {
  sort?: HandlingCostKey | 'recent';
  limit?: number;
  conversationId?: string;
}

export const CONVERSATION_COST_SORTS = [...HANDLING_COST_KEYS, 'recent'] as const;
export type ConversationCostSort = (typeof CONVERSATION_COST_SORTS)[number];

/**
 * A read's query as a client gave it (the console's query string, a gRPC request), checked: `sort`
 * one of CONVERSATION_COST_SORTS (empty: fuel), `limit` a whole number up to `maxListed` (0 or
 * absent: `defaultListed`), `conversationId` at most the ACL codec's `maxFieldBytes` (what any
 * message's id can be). Throws InvalidArgumentError naming the field.
 */
export function parseConversationCostsQuery(given: { sort?: string; limit?: number; conversationId?: string }): ConversationCostsQuery {
  const out: ConversationCostsQuery = {};
  if (given.sort !== undefined && given.sort !== '') {
    if (!(CONVERSATION_COST_SORTS as readonly string[]).includes(given.sort))
      throw new InvalidArgumentError(
        'sort',
        `${JSON.stringify(given.sort.slice(0, 40))} is not a figure to sort by`,
        `one of ${CONVERSATION_COST_SORTS.join(', ')}`,
      );
    out.sort = given.sort as ConversationCostSort;
  }
  const limit = given.limit;
  if (limit !== undefined && limit !== 0) {
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > CONVERSATION_COST_LIMITS.maxListed)
      throw new InvalidArgumentError(
        'limit',
        `${String(limit)} is not a whole number from 1 to ${CONVERSATION_COST_LIMITS.maxListed}`,
        `list at most ${CONVERSATION_COST_LIMITS.maxListed} conversations a read; sort by another figure to see others`,
      );
    out.limit = limit;
  }
  if (given.conversationId !== undefined && given.conversationId !== '') {
    if (utf8ByteLength(given.conversationId) > DEFAULT_ACL_LIMITS.maxFieldBytes)
      throw new InvalidArgumentError(
        'conversationId',
        `is over ${DEFAULT_ACL_LIMITS.maxFieldBytes} bytes`,
        'no message carries a longer conversation id',
      );
    out.conversationId = given.conversationId;
  }
  return out;
}
