// Calling A2A agents (A2A 1.0 JSON-RPC `message/send`, `message/stream`, `tasks/get`,
// `tasks/cancel`; decisions 1951, 2040) over the deployment's allow-listed outbound HTTP (http.js,
// decision 1601):
//
//   import { a2a, a2aResponse, A2aError } from '@caxton/sdk-js/a2a';
//   a2a.send({ url: 'https://agent.example/a2a/jsonrpc', text: 'hello', token, context: 'whom to answer' });
//   a2a.stream({ … as send … });              // the stream read whole: result.states lists each state passed
//   a2a.get({ url, taskId, token });           // the task's state now
//   a2a.cancel({ url, taskId, token });        // the task as the cancel left it
//   … later, in onMessage: const r = a2aResponse(msg);
//   if (r) { r.context; if (r.ok) r.result.state, r.result.text; else r.error.kind, r.error.message }
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message; `context` travels with it. The host must be on the
// deployment's allow-list (`caxton deploy --allow-http`). A separate entry point: importing it
// imports caxton:agent/http, as http.js does.
import { http, httpResponse, HttpError } from './http.js';
import { A2aError, a2aCancelTaskRequest, a2aGetTaskRequest, a2aResultFromHttp, a2aSendRequest, a2aStreamRequest } from './a2a-codec.js';

export { A2aError, a2aCancelTaskRequest, a2aGetTaskRequest, a2aResultFromBody, a2aResultFromSse, a2aSendRequest, a2aStreamRequest } from './a2a-codec.js';

/** Marks the HTTP context of an A2A call, so its answer is told from the agent's other HTTP answers. */
const MARK = 'caxton-a2a:';
/** …and of a streamed one, whose answer is server-sent events. */
const STREAM_MARK = 'caxton-a2a-sse:';

function call(build, mark, { context, ...args }) {
  if (context !== undefined && context !== null && typeof context !== 'string') throw new TypeError('a2a context must be a string');
  const request = build({ ...args, context: `${mark}${context ?? ''}` });
  try {
    return http.fetch(request);
  } catch (e) {
    if (e instanceof HttpError) throw new A2aError('refused', `${e.kind}: ${e.reason}`);
    throw e;
  }
}

export const a2a = {
  /**
   * Sends `text` to the A2A agent whose JSON-RPC endpoint is `url`: { url, text, token?,
   * version ('1.0' | '0.3'), contextId?, messageId?, timeoutMs?, context? }. Returns the HTTP
   * request id (the answer's inReplyTo). Throws A2aError `refused` when the call cannot leave.
   */
  send(args = {}) {
    return call(a2aSendRequest, MARK, args);
  },
  /**
   * As `send`, as `message/stream`: the answer (server-sent events, read whole when the stream
   * ends with the task) comes back as one result with `states`, each state the task passed through.
   */
  stream(args = {}) {
    return call(a2aStreamRequest, STREAM_MARK, args);
  },
  /** `tasks/get` of { url, taskId, token?, version?, historyLength?, timeoutMs?, context? }. */
  get(args = {}) {
    return call(a2aGetTaskRequest, MARK, args);
  },
  /** `tasks/cancel` of { url, taskId, token?, version?, timeoutMs?, context? }: the task as the cancel left it. */
  cancel(args = {}) {
    return call(a2aCancelTaskRequest, MARK, args);
  },
};

/**
 * `msg` read as the answer to an `a2a.send`, or null when it is none (any other message, or the
 * answer to a plain `http.fetch`): { requestId, context, ok: true, result } or
 * { requestId, context, ok: false, error: A2aError }.
 */
export function a2aResponse(msg) {
  const r = httpResponse(msg);
  if (!r || typeof r.context !== 'string') return null;
  const stream = r.context.startsWith(STREAM_MARK);
  if (!stream && !r.context.startsWith(MARK)) return null;
  const context = r.context.slice(stream ? STREAM_MARK.length : MARK.length);
  try {
    return { requestId: r.requestId, context, ok: true, result: a2aResultFromHttp(r, { stream }) };
  } catch (e) {
    if (e instanceof A2aError) return { requestId: r.requestId, context, ok: false, error: e };
    throw e;
  }
}
