/**
 * ACL messages between the model (acl/message.ts) and caxton.v1 `AclMessage`. Both directions are
 * plain copies: validation of what comes in happens in request-parsing.ts with the ACL layer's own
 * validator, so the API accepts exactly what the bus accepts.
 */
import type { AclMessage, AgentId, Performative } from '@caxton/core';
import type { WireAclMessage, WireAgentIdentifier } from './wire.js';

export function agentIdToWire(id: AgentId): WireAgentIdentifier {
  return {
    name: id.name,
    addresses: id.addresses ?? [],
    resolvers: (id.resolvers ?? []).map(agentIdToWire),
    userParams: id.userParams ?? {},
  };
}

export function agentIdFromWire(id: WireAgentIdentifier): AgentId {
  const out: AgentId = { name: id.name };
  if (id.addresses.length > 0) out.addresses = [...id.addresses];
  if (id.resolvers.length > 0) out.resolvers = id.resolvers.map(agentIdFromWire);
  if (Object.keys(id.userParams).length > 0) out.userParams = { ...id.userParams };
  return out;
}

export function aclToWire(msg: AclMessage): WireAclMessage {
  const wire: WireAclMessage = {
    performative: msg.performative,
    sender: msg.sender ? agentIdToWire(msg.sender) : null,
    receivers: msg.receivers.map(agentIdToWire),
    replyTo: (msg.replyTo ?? []).map(agentIdToWire),
    userParams: msg.userParams ?? {},
  };
  if (msg.content !== undefined) wire.content = msg.content;
  if (msg.language !== undefined) wire.language = msg.language;
  if (msg.encoding !== undefined) wire.encoding = msg.encoding;
  if (msg.ontology !== undefined) wire.ontology = msg.ontology;
  if (msg.protocol !== undefined) wire.protocol = msg.protocol;
  if (msg.conversationId !== undefined) wire.conversationId = msg.conversationId;
  if (msg.replyWith !== undefined) wire.replyWith = msg.replyWith;
  if (msg.inReplyTo !== undefined) wire.inReplyTo = msg.inReplyTo;
  if (msg.replyBy !== undefined) wire.replyByUnixMs = msg.replyBy;
  return wire;
}

/**
 * Copy only: the performative is taken as sent (lower-cased, since FIPA is case-insensitive) and
 * must still be checked by the caller (validateAclMessage does).
 */
export function aclFromWire(wire: WireAclMessage): AclMessage {
  const msg: AclMessage = {
    performative: wire.performative.toLowerCase() as Performative,
    receivers: wire.receivers.map(agentIdFromWire),
  };
  if (wire.sender) msg.sender = agentIdFromWire(wire.sender);
  if (wire.replyTo.length > 0) msg.replyTo = wire.replyTo.map(agentIdFromWire);
  if (wire.content != null) msg.content = wire.content;
  if (wire.language != null) msg.language = wire.language;
  if (wire.encoding != null) msg.encoding = wire.encoding;
  if (wire.ontology != null) msg.ontology = wire.ontology;
  if (wire.protocol != null) msg.protocol = wire.protocol;
  if (wire.conversationId != null) msg.conversationId = wire.conversationId;
  if (wire.replyWith != null) msg.replyWith = wire.replyWith;
  if (wire.inReplyTo != null) msg.inReplyTo = wire.inReplyTo;
  if (wire.replyByUnixMs != null) msg.replyBy = wire.replyByUnixMs;
  if (Object.keys(wire.userParams).length > 0) msg.userParams = { ...wire.userParams };
  return msg;
}
