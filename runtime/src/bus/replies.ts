/**
 * Messages the platform itself sends on an agent's behalf: `failure` when a message cannot be routed
 * or handled, `not-understood` when it breaks a protocol. Pure functions: the bus decides when.
 */
import type { AclMessage, AgentId, Performative } from '../acl/message.js';

/** Build a reply to `original` from `from`, threading conversation, protocol and in-reply-to. */
export function replyTo(original: AclMessage, from: AgentId, performative: Performative, content: string): AclMessage {
  const to = original.replyTo !== undefined && original.replyTo.length > 0 ? original.replyTo : original.sender ? [original.sender] : [];
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
