/**
 * Conversation costs (decision 2184) between the node's model and caxton.v1: the server uses the
 * `to` direction, the client the `from` direction, kept together so they stay symmetric.
 */
import { zeroCosts, type ConversationCosts, type ConversationCostsView, type HandlingCosts } from '@caxton/core';
import type { WireConversationCostsInfo, WireGetConversationCostsResponse, WireHandlingCosts } from './wire.js';
import { costsFromWire } from './convert-agent.js';

const costsOrZero = (w: WireHandlingCosts | null | undefined): HandlingCosts => (w ? costsFromWire(w) : zeroCosts());

/** Only the seven figures: a view's rows carry more fields than the wire's HandlingCosts. */
export function costsToWire(c: HandlingCosts): WireHandlingCosts {
  return {
    handled: c.handled,
    fuel: c.fuel,
    handlerUs: c.handlerUs,
    messagesSent: c.messagesSent,
    bytesSent: c.bytesSent,
    stateBytesWritten: c.stateBytesWritten,
    httpCalls: c.httpCalls,
  };
}

function conversationToWire(c: ConversationCosts): WireConversationCostsInfo {
  return {
    conversationId: c.conversationId,
    costs: costsToWire(c),
    firstAtUnixMs: c.firstAt,
    lastAtUnixMs: c.lastAt,
    agents: c.agents.map((a) => ({ agent: a.agent, costs: costsToWire(a) })),
    otherAgents: c.otherAgents ? costsToWire(c.otherAgents) : null,
  };
}

export function conversationCostsToWire(v: ConversationCostsView): WireGetConversationCostsResponse {
  return {
    atUnixMs: v.at,
    conversationCount: v.conversationCount,
    conversations: v.conversations.map(conversationToWire),
    noConversation: costsToWire(v.noConversation),
    evicted: costsToWire(v.evicted),
    evictedConversations: v.evicted.conversations,
    totals: costsToWire(v.totals),
  };
}

function conversationFromWire(w: WireConversationCostsInfo): ConversationCosts {
  const out: ConversationCosts = {
    conversationId: w.conversationId,
    ...costsOrZero(w.costs),
    firstAt: Number(w.firstAtUnixMs),
    lastAt: Number(w.lastAtUnixMs),
    agents: w.agents.map((a) => ({ agent: a.agent, ...costsOrZero(a.costs) })),
  };
  if (w.otherAgents) out.otherAgents = costsFromWire(w.otherAgents);
  return out;
}

export function conversationCostsFromWire(w: WireGetConversationCostsResponse): ConversationCostsView {
  return {
    at: Number(w.atUnixMs),
    conversationCount: w.conversationCount,
    conversations: w.conversations.map(conversationFromWire),
    noConversation: costsOrZero(w.noConversation),
    evicted: { ...costsOrZero(w.evicted), conversations: Number(w.evictedConversations) },
    totals: costsOrZero(w.totals),
  };
}
