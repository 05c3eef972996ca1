/**
 * Messages the platform itself sends on an agent's behalf: `failure` when a message cannot be routed
 * or handled, `not-understood` when it breaks a protocol. Pure functions: the bus decides when.
 *
 * They go to the message's stamped sender only, never to its `reply-to` list: that list is chosen
 * by the (possibly hostile) sender, and honouring it let one send make the platform deliver
 * receivers × reply-to failures, carrying the sender's conversation-id, into other agents'
 * mailboxes.
 */
import type { AclMessage, AgentId, Performative } from '@caxton/core';

/** A platform reply to `original`'s sender, threading conversation, protocol and in-reply-to. */
export function replyTo(original: AclMessage, from: AgentId, performative: Performative, content: string): AclMessage {
  const to = original.sender ? [original.sender] : [];
  const reply: AclMessage = { performative, sender: from, receivers: to, content };
  if (original.conversationId !== undefined) reply.conversationId = original.conversationId;
  if (original.protocol !== undefined) reply.protocol = original.protocol;
  if (original.replyWith !== undefined) reply.inReplyTo = original.replyWith;
  if (original.language !== undefined) reply.language = original.language;
  if (original.ontology !== undefined) reply.ontology = original.ontology;
  return reply;
}

/** FIPA failure content: `(<action> "<reason>")` would need SL; a plain reason string is what agents read. */
export function failureReply(original: AclMessage, platform: AgentId, reason: string, kind: string): AclMessage {
  const reply = replyTo(original, platform, 'failure', reason);
  reply.userParams = { 'X-caxton-failure': kind };
  return reply;
}

export function notUnderstoodReply(original: AclMessage, platform: AgentId, reason: string): AclMessage {
  const reply = replyTo(original, platform, 'not-understood', reason);
  reply.userParams = { 'X-caxton-failure': 'protocol-violation' };
  return reply;
}

/** Receivers named in one routing failure; the rest are counted, so its size stays bounded. */
export const MAX_NAMED_RECEIVERS = 8;

/** `a, b, c` or `a, b, … (and 56 more)`. */
export function receiverList(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMED_RECEIVERS).join(', ');
  return names.length > MAX_NAMED_RECEIVERS ? `${shown} (and ${names.length - MAX_NAMED_RECEIVERS} more)` : shown;
}
