// Reading the answers to HTTP calls (decision 1601). They arrive as ordinary messages from
// `http@<platform>`: `inform` for any HTTP status (content = body, `X-caxton-http-status`),
// `failure` when there was no response (`X-caxton-failure`: timeout, connect-failed, interrupted…).
// `in-reply-to` is the id `http.fetch` returned; `X-caxton-http-context` echoes the request's
// context. Pure message reading: this module imports no WIT interface.
import { self } from './agent.js';
import { param } from './message.js';

/** `http@<platform>` of this agent's platform: the sender of HTTP responses. */
export function httpAgentName() {
  const name = self().name;
  const at = name.lastIndexOf('@');
  return `http@${at < 0 ? '' : name.slice(at + 1)}`;
}

/** Whether `msg` is the response (or failure) to an HTTP call this agent made. */
export function isHttpResponse(msg) {
  return Boolean(msg.sender) && msg.sender.name === httpAgentName() && typeof msg.inReplyTo === 'string' &&
    (msg.performative === 'inform' || msg.performative === 'failure');
}

/**
 * `msg` read as an HTTP response, or null when it is not one:
 * { requestId, answered, status (null without a response), failure, context, body, bodyIsBase64, header(name) }.
 */
export function httpResponse(msg) {
  if (!isHttpResponse(msg)) return null;
  const status = param(msg, 'X-caxton-http-status');
  return {
    requestId: msg.inReplyTo,
    answered: msg.performative === 'inform',
    status: status === undefined ? null : Number(status),
    failure: param(msg, 'X-caxton-failure') ?? null,
    context: param(msg, 'X-caxton-http-context') ?? null,
    body: msg.content ?? '',
    bodyIsBase64: msg.encoding === 'base64',
    header: (name) => param(msg, `X-caxton-http-header-${name.toLowerCase()}`) ?? null,
  };
}
