/**
 * The console's JSON views of what the node knows (pure): agent rows and details from AgentStatus,
 * sniffed messages from bus messages, conversation summaries from a page of history.
 */
import {
  encodeAclJson,
  encodeAclString,
  redactConfig,
  toSniffedMessage,
  type AgentDetail,
  type AgentRow,
  type AgentStatus,
  type AclMessage,
  principalMay,
  type Principal,
  type ConversationSummary,
  type DfAgentDescription,
  type SniffedMessage,
  WASM_PAGE_BYTES,
  formatStrategy,
  type RolloutView,
} from '@caxton/core';

export function agentRow(status: AgentStatus): AgentRow {
  return {
    name: status.name,
    // The deployer's label for the artifact's source language; older deployments have none.
    language: status.language ?? 'unknown',
    // An instance another node holds: its state is known there only (decision 2060), so say where.
    state:
      status.elsewhere !== undefined
        ? status.nodeId !== ''
          ? `on ${status.nodeId} (partition ${status.elsewhere.partition})`
          : `partition ${status.elsewhere.partition}, no live node`
        : status.state,
    node: status.nodeId,
    version: status.version,
    handled: status.messagesHandled,
    fuelPerMessage: status.messagesHandled > 0 ? Math.round(status.fuelUsed / status.messagesHandled) : 0,
    memoryBytes: status.memoryPages * WASM_PAGE_BYTES,
    mailboxDepth: status.mailboxDepth,
    restarts: status.restarts,
    ...(status.breaker ? { breaker: status.breaker.state } : {}),
    ...(status.rollout ? { rollout: rolloutLine(status.rollout) } : {}),
    ...(status.costs ? { costs: status.costs } : {}),
  };
}

export function agentDetail(status: AgentStatus, principal: Principal, directory: readonly DfAgentDescription[]): AgentDetail {
  const protocols = new Set<string>();
  for (const d of directory) {
    for (const p of d.protocols) protocols.add(p);
    for (const s of d.services) for (const p of s.protocols) protocols.add(p);
  }
  return {
    ...agentRow(status),
    config: principalMay(principal, 'config.read') ? { ...status.config } : redactConfig(status.config),
    ...(protocols.size > 0 ? { protocols: [...protocols].sort() } : {}),
  };
}

export function sniffed(messageId: string, acceptedAt: number, message: AclMessage, protocolState?: string): SniffedMessage {
  return toSniffedMessage({
    id: messageId,
    acceptedAt,
    message,
    aclJson: encodeAclJson(message),
    fipa: encodeAclString(message),
    ...(protocolState !== undefined ? { protocolState } : {}),
  });
}

/** Conversations in `messages` (oldest first), newest conversation first. */
export function conversationSummaries(messages: readonly SniffedMessage[]): ConversationSummary[] {
  const byId = new Map<string, ConversationSummary & { seen: Set<string> }>();
  for (const m of messages) {
    if (m.conversationId === undefined) continue;
    let c = byId.get(m.conversationId);
    if (!c) {
      c = {
        conversationId: m.conversationId,
        participants: [],
        messages: 0,
        lastPerformative: m.performative,
        lastAt: m.time,
        seen: new Set(),
      };
      byId.set(m.conversationId, c);
    }
    c.messages++;
    c.lastPerformative = m.performative;
    c.lastAt = m.time;
    if (m.protocol !== undefined) c.protocol = m.protocol;
    if (m.protocolState !== undefined) c.protocolState = m.protocolState;
    for (const name of [m.sender, ...m.receivers]) {
      if (name !== '' && !c.seen.has(name)) {
        c.seen.add(name);
        c.participants.push(name);
      }
    }
  }
  return [...byId.values()]
    .map(({ seen: _seen, ...summary }) => summary)
    .sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0));
}

/** `canary:10 baking v3: 120 handled, 0 crashed, 1 failed` (and why it ended, once it did). */
export function rolloutLine(r: RolloutView): string {
  const c = r.counts;
  return `${formatStrategy(r.strategy)} ${r.phase} v${r.candidateVersion}: ${c.handled} handled, ${c.crashes} crashed, ${c.failures} failed${r.reason ? ` (${r.reason})` : ''}`;
}
