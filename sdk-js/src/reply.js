// Replies the FIPA way, new conversations, and the answers of a fipa-request / fipa-query
// participant (agree, refuse, inform-done, inform-result, failure, not-understood).
import { newId, send } from './host.js';
import { message } from './message.js';

/**
 * A reply to `to`: receivers are its reply-to (or its sender), conversation-id, protocol,
 * language, ontology and encoding are kept, in-reply-to is its reply-with.
 */
export function createReply(to, performative, content = null) {
  const receivers = to.replyTo?.length ? to.replyTo : to.sender ? [to.sender] : [];
  return message({
    performative,
    receivers,
    content,
    conversationId: to.conversationId,
    inReplyTo: to.replyWith,
    protocol: to.protocol,
    language: to.language,
    ontology: to.ontology,
    encoding: to.encoding,
  });
}

/** Builds and sends a reply; returns the message sent. */
export function reply(to, performative, content = null) {
  const r = createReply(to, performative, content);
  send(r);
  return r;
}

/** A message opening a conversation: fresh conversation-id and reply-with. */
export function initiate(performative, receivers, content = null, { protocol = null, replyBy = null, ...rest } = {}) {
  return message({
    ...rest,
    performative,
    receivers,
    content,
    protocol,
    replyBy,
    conversationId: newId(),
    replyWith: newId(),
  });
}

export const agree = (request, content = null) => reply(request, 'agree', content);
export const refuse = (request, reason) => reply(request, 'refuse', reason);
export const informDone = (request, content = 'done') => reply(request, 'inform', content);
export const informResult = (request, result) => reply(request, 'inform', result);
export const failure = (request, reason) => reply(request, 'failure', reason);
export const notUnderstood = (msg, reason) => reply(msg, 'not-understood', reason);
