/**
 * What holding a message costs in memory, in UTF-16 code units: the length of each of its strings
 * plus one per value, so a thousand one-letter names still count (pure, no allocation: it runs
 * once per send on the bus thread). One measure for everything that keeps messages: the bus's
 * mailboxes (their text budget) and the shard hand-off's kept wide messages, whose two sides must
 * measure alike.
 */
import type { AclMessage, AgentId } from './message.js';

function paramUnits(params: Record<string, string> | undefined): number {
  if (params === undefined) return 0;
  let units = 0;
  for (const key in params) units += 2 + key.length + (params[key]?.length ?? 0);
  return units;
}

function agentIdUnits(id: AgentId): number {
  let units = 1 + id.name.length;
  const addresses = id.addresses;
  if (addresses !== undefined) for (let i = 0; i < addresses.length; i++) units += 1 + addresses[i]!.length;
  const resolvers = id.resolvers;
  if (resolvers !== undefined) for (let i = 0; i < resolvers.length; i++) units += agentIdUnits(resolvers[i]!);
  return units + paramUnits(id.userParams);
}

function agentListUnits(ids: readonly AgentId[] | undefined): number {
  if (ids === undefined) return 0;
  let units = 0;
  for (let i = 0; i < ids.length; i++) units += agentIdUnits(ids[i]!);
  return units;
}

function textUnits(value: string | undefined): number {
  return value === undefined ? 0 : 1 + value.length;
}

/** The message's text in code units (an upper bound of what its strings hold, a lower bound of its encodings). */
export function messageTextUnits(m: AclMessage): number {
  let units = 2 + m.performative.length + (m.replyBy === undefined ? 0 : 1);
  if (m.sender !== undefined) units += agentIdUnits(m.sender);
  units += agentListUnits(m.receivers) + agentListUnits(m.replyTo);
  units += textUnits(m.content) + textUnits(m.language) + textUnits(m.encoding) + textUnits(m.ontology);
  units += textUnits(m.protocol) + textUnits(m.conversationId) + textUnits(m.replyWith) + textUnits(m.inReplyTo);
  return units + paramUnits(m.userParams);
}
