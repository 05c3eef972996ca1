// Building and sending replies the FIPA way, and the answers of the fipa-request/fipa-query
// participant (agree, refuse, inform-done, inform-result, failure, not-understood).
import { AclMessage, AgentId } from "./types";
import { Performative } from "./performative";
import { newId, sendLowered } from "./host";
import { lowerReply } from "./abi/lower";

/**
 * A reply to `to` with the conversation bookkeeping filled in: receivers are `to`'s reply-to (or
 * its sender), conversation-id and protocol are kept, in-reply-to is `to`'s reply-with, and
 * language/ontology/encoding are kept so the reply speaks the same content language.
 */
export function createReply(to: AclMessage, performative: Performative, content: string | null = null): AclMessage {
  const r = new AclMessage(performative);
  const replyTo = to._replyTo;
  if (replyTo !== null && replyTo.length > 0) {
    for (let i = 0; i < replyTo.length; i++) r.receivers.push(replyTo[i]);
  } else {
    const sender = to.sender;
    if (sender !== null) r.receivers.push(sender);
  }
  r.content = content;
  r.conversationId = to.conversationId;
  r.inReplyTo = to.replyWith;
  r.protocol = to.protocol;
  r.language = to.language;
  r.ontology = to.ontology;
  r.encoding = to.encoding;
  return r;
}

/**
 * Sends the reply `createReply` would build, without building it (decision 2107). Returns null when
 * queued, else why it is invalid.
 */
export function reply(to: AclMessage, performative: Performative, content: string | null = null): string | null {
  // The same message as send(createReply(...)), lowered without building it (lowerReply).
  return sendLowered(lowerReply(to, performative, content));
}

/**
 * A new message opening a conversation: fresh conversation-id and reply-with, the given protocol.
 * Pass `protocol = null` for a one-off message outside any interaction protocol.
 */
export function initiate(
  performative: Performative, receivers: AgentId[], content: string | null, protocol: string | null,
): AclMessage {
  const m = new AclMessage(performative);
  m.receivers = receivers;
  m.content = content;
  m.protocol = protocol;
  m.conversationId = newId();
  m.replyWith = newId();
  return m;
}

// --- fipa-request / fipa-query participant answers ---------------------------------------------

/** The request will be carried out; a final inform-done/inform-result/failure follows. */
export function agree(request: AclMessage, content: string | null = null): string | null {
  return reply(request, Performative.Agree, content);
}

/** The request/query/cfp is declined, with a reason. */
export function refuse(request: AclMessage, reason: string): string | null {
  return reply(request, Performative.Refuse, reason);
}

/** The requested action is done (no result to report). */
export function informDone(request: AclMessage, content: string | null = null): string | null {
  return reply(request, Performative.Inform, content !== null ? content : "done");
}

/** The requested action produced `result` (also the answer to a query-ref). */
export function informResult(request: AclMessage, result: string): string | null {
  return reply(request, Performative.Inform, result);
}

/** The agreed action failed. */
export function failure(request: AclMessage, reason: string): string | null {
  return reply(request, Performative.Failure, reason);
}

/** The message was not understood (unknown performative, content or protocol). */
export function notUnderstood(msg: AclMessage, reason: string): string | null {
  return reply(msg, Performative.NotUnderstood, reason);
}

/** True when `msg` has a reply-by deadline that has passed at `nowMs`. */
export function isExpired(msg: AclMessage, nowMs: u64): bool {
  return msg.hasReplyBy && nowMs > msg.replyBy;
}
