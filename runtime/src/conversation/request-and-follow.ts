/**
 * Send a FIPA `request` for a client and follow its conversation to the agent's answer: the one way
 * the MCP endpoint's tool calls (decision 1900) and the A2A endpoint's tasks (decision 1950) reach
 * agents. The tail for the fresh conversation is open *before* the send, so no reply can slip
 * between the send and the subscription; the agent's messages before its answer (an `agree`) are
 * passed on as steps; the answer is reply-rule.ts's.
 */
import type { MessageEvent, NodeControl } from '@caxton/core';
import { isFromAgent, replyVerdict } from './reply-rule.js';

export interface FollowedRequest {
  /** Where the conversation is read (the tail). */
  control: NodeControl;
  /** Where the request is sent: the audited control surface as the caller. */
  sender: NodeControl;
  lane: 'operator' | 'client';
  /** The local name of the agent the request goes to. */
  agent: string;
  content: string;
  /** The content is of this ontology the agent declares (decision 2183): sent with it and `language` (default `json`). */
  ontology?: string;
  /** The content's language with `ontology`: `xml` for an ontology declared by an XML Schema (decision 2190). */
  language?: 'json' | 'xml';
  /** Fresh for each request: it is how the answer is told apart. */
  conversationId: string;
  timeoutMs: number;
  /** The agent's messages in the conversation before its answer (e.g. `agree`). */
  onStep?: (e: MessageEvent) => void;
  /** Stop following (the client gave up or canceled); the outcome is then `stopped`. */
  signal?: AbortSignal;
}

export type FollowedOutcome =
  | { kind: 'answered'; verdict: 'result' | 'error'; event: MessageEvent }
  | { kind: 'not-accepted'; reason: string }
  | { kind: 'timed-out' }
  | { kind: 'tail-ended'; reason: string }
  | { kind: 'stopped' };

export async function requestAndFollow(r: FollowedRequest): Promise<FollowedOutcome> {
  const call = { conversationId: r.conversationId, agent: r.agent };
  let settle!: (o: FollowedOutcome) => void;
  const outcome = new Promise<FollowedOutcome>((resolve) => {
    settle = resolve;
  });
  const stop = r.control.tail(
    { conversationId: r.conversationId },
    {
      next: (e) => {
        const verdict = replyVerdict(e.message, call);
        if (verdict !== 'not-yet') settle({ kind: 'answered', verdict, event: e });
        else if (isFromAgent(e.message, call)) r.onStep?.(e);
      },
      end: (err) => settle({ kind: 'tail-ended', reason: err?.message ?? 'ended' }),
    },
  );
  const timer = setTimeout(() => settle({ kind: 'timed-out' }), r.timeoutMs);
  const onAbort = (): void => settle({ kind: 'stopped' });
  r.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (r.signal?.aborted) return { kind: 'stopped' };
    const sent = await r.sender.send(
      {
        performative: 'request',
        receivers: [{ name: r.agent }],
        content: r.content,
        ...(r.ontology !== undefined ? { ontology: r.ontology, language: r.language ?? 'json' } : {}),
        protocol: 'fipa-request',
        conversationId: r.conversationId,
        replyWith: `${r.conversationId}-req`,
      },
      { lane: r.lane },
    );
    if (sent.accepted.length === 0) {
      return { kind: 'not-accepted', reason: sent.refused.map((x) => `${x.receiver}: ${x.reason}`).join('; ') };
    }
    return await outcome;
  } finally {
    clearTimeout(timer);
    r.signal?.removeEventListener('abort', onAbort);
    stop();
  }
}

/** What a client reads when the agent gave no answer: the same words on every endpoint. */
export function unansweredText(
  o: Exclude<FollowedOutcome, { kind: 'answered' }>,
  r: { agent: string; conversationId: string; timeoutMs: number },
): string {
  switch (o.kind) {
    case 'not-accepted':
      return `the request was not accepted: ${o.reason}`;
    case 'timed-out':
      return `${r.agent} did not answer within ${r.timeoutMs / 1000} s (conversation ${r.conversationId}); it may still answer later: caxton tail --conversation ${r.conversationId}`;
    case 'tail-ended':
      return `the node stopped following the conversation: ${o.reason}`;
    case 'stopped':
      return `the node stopped following conversation ${r.conversationId} at the client's request`;
  }
}
