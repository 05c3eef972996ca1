/**
 * The protocol state a sniffed message leaves its conversation in, from the node's conversation
 * tracker (pure over a lookup). The tracker keys a conversation by its initiator and id; a message
 * may come from either side, so the sender and then each receiver is tried as the initiator. The
 * state shown is the phase of the branch(es) the message belongs to — the receivers' when the
 * initiator speaks (a cfp: "called"), the sender's otherwise (a proposal: "proposed") — or `ended`.
 */
import type { AclMessage, ConversationView } from '@caxton/core';

export type ConversationLookup = (initiator: string, conversationId: string) => ConversationView | undefined;

export function protocolStateOf(lookup: ConversationLookup, message: AclMessage): string | undefined {
  const id = message.conversationId;
  if (id === undefined || message.protocol === undefined) return undefined;
  const candidates = [message.sender?.name, ...message.receivers.map((r) => r.name)].filter((n): n is string => n !== undefined);
  for (const initiator of candidates) {
    const view = lookup(initiator, id);
    if (!view) continue;
    if (view.ended) return 'ended';
    const fromInitiator = message.sender?.name === view.initiator;
    const names = new Set(fromInitiator ? message.receivers.map((r) => r.name) : [message.sender?.name]);
    const phases = [...new Set(view.participants.filter((p) => names.has(p.name)).map((p) => p.phase))];
    return phases.length > 0 ? phases.join(',') : undefined;
  }
  return undefined;
}
