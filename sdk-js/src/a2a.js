// Calling A2A agents (A2A 1.0 JSON-RPC `message/send`, decision 1951) over the deployment's
// allow-listed outbound HTTP (http.js, decision 1601):
//
//   import { a2a, a2aResponse, A2aError } from '@caxton/sdk-js/a2a';
//   a2a.send({ url: 'https://agent.example/a2a/jsonrpc', text: 'hello', token, context: 'whom to answer' });
//   … later, in onMessage: const r = a2aResponse(msg);
//   if (r) { r.context; if (r.ok) r.result.state, r.result.text; else r.error.kind, r.error.message }
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message; `context` travels with it. The host must be on the
// deployment's allow-list (`caxton deploy --allow-http`). A separate entry point: importing it
// imports caxton:agent/http, as http.js does.
import { http, httpResponse, HttpError } from './http.js';
import { A2aError, a2aResultFromHttp, a2aSendRequest } from './a2a-codec.js';

export { A2aError, a2aResultFromBody, a2aSendRequest } from './a2a-codec.js';

/** Marks the HTTP context of an A2A call, so its answer is told from the agent's other HTTP answers. */
const MARK = 'caxton-a2a:';

export const a2a = {
  /**
   * Sends `text` to the A2A agent whose JSON-RPC endpoint is `url`: { url, text, token?,
   * version ('1.0' | '0.3'), contextId?, messageId?, timeoutMs?, context? }. Returns the HTTP
   * request id (the answer's inReplyTo). Throws A2aError `refused` when the call cannot leave.
   */
  send({ context, ...call } = {}) {
    if (context !== undefined && context !== null && typeof context !== 'string') throw new TypeError('a2a context must be a string');
    const request = a2aSendRequest({ ...call, context: `${MARK}${context ?? ''}` });
    try {
      return http.fetch(request);
    } catch (e) {
      if (e instanceof HttpError) throw new A2aError('refused', `${e.kind}: ${e.reason}`);
      throw e;
    }
  },
};

/**
 * `msg` read as the answer to an `a2a.send`, or null when it is none (any other message, or the
 * answer to a plain `http.fetch`): { requestId, context, ok: true, result } or
 * { requestId, context, ok: false, error: A2aError }.
 */
export function a2aResponse(msg) {
  const r = httpResponse(msg);
  if (!r || typeof r.context !== 'string' || !r.context.startsWith(MARK)) return null;
  const context = r.context.slice(MARK.length);
  try {
    return { requestId: r.requestId, context, ok: true, result: a2aResultFromHttp(r) };
  } catch (e) {
    if (e instanceof A2aError) return { requestId: r.requestId, context, ok: false, error: e };
    throw e;
  }
}
