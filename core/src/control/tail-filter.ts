/**
 * The rule TailMessages filters by, as one pure function so the node (which filters at the source)
 * and tests agree on it.
 *
 * Agent names: a filter without `@` ("echo") matches the local part of senders and receivers, so
 * it finds `echo` and `echo@<platform>`; a filter with `@` must match the full name exactly.
 */
import type { AgentId } from '../acl/message.js';
import type { MessageEvent, TailFilter } from './node-control.js';

function localPart(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

function nameMatches(id: AgentId | undefined, agent: string, qualified: boolean): boolean {
  if (!id) return false;
  return qualified ? id.name === agent : localPart(id.name) === agent;
}

export function matchesTailFilter(filter: TailFilter, event: MessageEvent): boolean {
  const msg = event.message;
  if (filter.conversationId !== undefined && msg.conversationId !== filter.conversationId) return false;
  if (filter.performatives && filter.performatives.length > 0 && !filter.performatives.includes(msg.performative)) return false;
  if (filter.agent !== undefined) {
    const qualified = filter.agent.includes('@');
    const agent = filter.agent;
    if (!nameMatches(msg.sender, agent, qualified) && !msg.receivers.some((r) => nameMatches(r, agent, qualified))) return false;
  }
  return true;
}
