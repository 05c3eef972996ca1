/**
 * Which message answers a request the node sent for a client (pure): an MCP tool call or an A2A
 * task. The node sent `request` with its own conversation id and reply-with; the agent may first
 * `agree` (fipa-request) and then answer. The answer is the first message in that conversation
 * from the agent that ends the request: `inform`/`inform-if`/`inform-ref` (a result), or
 * `failure`/`refuse`/`not-understood` (an error the client sees as such).
 */
import type { AclMessage } from '@caxton/core';

const RESULTS = new Set(['inform', 'inform-if', 'inform-ref']);
const ERRORS = new Set(['failure', 'refuse', 'not-understood']);

export type ReplyVerdict = 'result' | 'error' | 'not-yet';

export interface FollowedCall {
  conversationId: string;
  /** The local name of the agent the request went to. */
  agent: string;
}

/** Whether the message is the agent's, in the call's conversation (an answer or a step towards one, like `agree`). */
export function isFromAgent(m: AclMessage, call: FollowedCall): boolean {
  if (m.conversationId !== call.conversationId) return false;
  const sender = m.sender?.name ?? '';
  return sender === call.agent || sender.startsWith(`${call.agent}@`);
}

export function replyVerdict(m: AclMessage, call: FollowedCall): ReplyVerdict {
  if (!isFromAgent(m, call)) return 'not-yet';
  if (RESULTS.has(m.performative)) return 'result';
  if (ERRORS.has(m.performative)) return 'error';
  return 'not-yet';
}
