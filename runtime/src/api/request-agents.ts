/**
 * The agents a request is about, for the scope check of a token confined to some agents (decision
 * 1760): the field the permission table names (core's RPC_ACCESS), or a message's receivers. Only
 * asked for scoped tokens. Fails closed: a request whose agents cannot be read counts as naming an
 * agent no pattern matches, so the scoped token is refused rather than let through.
 */
import { rpcAccess } from '@caxton/core';
import { aclFromSendRequest } from './acl-input.js';
import type { WireSendMessageRequest } from '@caxton/client';

/** Matches no agent-name pattern (agent names cannot contain `<`). */
const UNREADABLE = '<unreadable>';

/** The local part of `name@platform`: scopes name agents of this node. */
export function localName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

/** The agents `request` of `method` names, or undefined when the RPC is not about named agents. */
export function requestAgents(method: string, request: unknown): string[] | undefined {
  const target = rpcAccess(method)?.target;
  if (target === undefined || (target.kind !== 'agent' && target.kind !== 'receivers')) return undefined;
  const fields = request !== null && typeof request === 'object' ? (request as Record<string, unknown>) : {};
  if (target.kind === 'agent') {
    const name = fields[target.field];
    return [typeof name === 'string' ? name : UNREADABLE];
  }
  try {
    const names = aclFromSendRequest(request as WireSendMessageRequest).receivers.map((r) => localName(r.name));
    return names.length > 0 ? names : [UNREADABLE];
  } catch {
    return [UNREADABLE];
  }
}
