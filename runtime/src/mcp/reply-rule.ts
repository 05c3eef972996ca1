/**
 * Which message answers a tool call (pure). The call sent `request` with its own conversation id
 * and reply-with; the agent may first `agree` (fipa-request) and then answer. The answer is the
 * first message in that conversation from the agent to the operator that ends the request:
 * `inform`/`inform-if`/`inform-ref` (a result), or `failure`/`refuse`/`not-understood` (an
 * error the model sees as such).
 */
import type { AclMessage } from '@caxton/core';

const RESULTS = new Set(['inform', 'inform-if', 'inform-ref']);
const ERRORS = new Set(['failure', 'refuse', 'not-understood']);

export type ReplyVerdict = 'result' | 'error' | 'not-yet';

export function replyVerdict(m: AclMessage, call: { conversationId: string; agent: string }): ReplyVerdict {
  if (m.conversationId !== call.conversationId) return 'not-yet';
  const sender = m.sender?.name ?? '';
  if (sender !== call.agent && !sender.startsWith(`${call.agent}@`)) return 'not-yet';
  if (RESULTS.has(m.performative)) return 'result';
  if (ERRORS.has(m.performative)) return 'error';
  return 'not-yet';
}
