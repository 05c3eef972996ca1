// Calling A2A agents (interface `a2a` in wit/agent.wit, decision 2193): the host speaks A2A's
// JSON-RPC binding over the deployment's allow-listed outbound HTTP and reads the answer, so this
// module builds and parses no JSON.
//
//   import { a2a, a2aResponse, A2aError } from '@caxton/sdk-js/a2a';
//   a2a.send({ url: 'https://agent.example/a2a/jsonrpc', text: 'hello', token, context: 'whom to answer' });
//   a2a.stream({ … as send … });              // read whole: result.states lists each state passed
//   a2a.get({ url, taskId, token });           // the task's state now
//   a2a.cancel({ url, taskId, token });        // the task as the cancel left it
//   … later, in onMessage: const r = a2aResponse(msg);
//   if (r) { r.context; if (r.ok) r.result.state, r.result.text; else r.error.kind, r.error.message }
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message; `context` travels with it. The host must be on the
// deployment's allow-list (`caxton deploy --allow-http`).
import host from 'caxton:agent/a2a@0.1.0';
import { isHttpResponse } from './http-response.js';
import { param } from './message.js';

/**
 * Why an A2A call has no usable result. kind: `refused` (the call never left: not allow-listed,
 * invalid, quota), `no-response` (`failure`: timeout, connect-failed…), `http-status` (`status`),
 * `rpc-error` (the JSON-RPC error's `code`), `malformed` (no A2A answer).
 */
export class A2aError extends Error {
  constructor(kind, reason, extra = {}) {
    super(`a2a: ${kind}: ${reason}`);
    this.name = 'A2aError';
    this.kind = kind;
    this.reason = reason;
    this.status = extra.status ?? null;
    this.code = extra.code ?? null;
    this.failure = extra.failure ?? null;
  }
}

const VERSIONS = { '1.0': 'v1', '0.3': 'v03' };

function optional(what, v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new TypeError(`a2a ${what} must be a string, got ${typeof v}`);
  return v;
}

const KINDS = new Set(['no-response', 'http-status', 'rpc-error', 'malformed']);

function start(operation, subject, { url, token, version = '1.0', contextId, headers = [], timeoutMs, context }) {
  if (typeof url !== 'string') throw new TypeError('a2a url must be a string');
  if (typeof subject !== 'string') throw new TypeError(`a2a ${operation.endsWith('task') ? 'taskId' : 'text'} must be a string`);
  const v = VERSIONS[version];
  if (v === undefined) throw new A2aError('refused', `invalid-request: the A2A version must be 1.0 or 0.3, got ${String(version).slice(0, 40)}`);
  if (timeoutMs !== undefined && timeoutMs !== null && !(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 0xffffffff)) {
    throw new A2aError('refused', 'invalid-request: timeoutMs must be a whole number of milliseconds above 0');
  }
  const sent = (Array.isArray(headers) ? headers : Object.entries(headers)).map(([k, val]) => [String(k), String(val)]);
  if (optional('token', token) !== undefined) sent.push(['authorization', `Bearer ${token}`]);
  const call = {
    operation, url, version: v, subject, headers: sent,
    // A context id belongs to a message (send, stream); a task is named by its id alone.
    contextId: operation.endsWith('task') ? undefined : optional('contextId', contextId),
    timeoutMs: timeoutMs ?? undefined,
    context: optional('context', context),
  };
  try {
    return host.start(call);
  } catch (e) {
    const err = e?.payload ?? e;
    if (err && typeof err === 'object' && typeof err.kind === 'string') throw new A2aError('refused', `${err.kind}: ${String(err.message ?? '')}`);
    throw e;
  }
}

export const a2a = {
  /** Sends `text` to the A2A agent at `url`: { url, text, token?, version ('1.0' | '0.3'), contextId?, headers?, timeoutMs?, context? }. Returns the call's id. */
  send: (args = {}) => start('send', args.text, args),
  /** As `send`, as `message/stream`: the result carries `states`, each state the task passed through. */
  stream: (args = {}) => start('stream', args.text, args),
  /** `tasks/get` of { url, taskId, token?, version?, timeoutMs?, context? }. */
  get: (args = {}) => start('get-task', args.taskId, args),
  /** `tasks/cancel` of { url, taskId, … }: the task as the cancel left it. */
  cancel: (args = {}) => start('cancel-task', args.taskId, args),
};

/**
 * `msg` read as the answer to an A2A call, or null when it is none: { requestId, context, ok: true,
 * result } or { requestId, context, ok: false, error: A2aError }. The host read the A2A answer;
 * this reads its message parameters.
 */
export function a2aResponse(msg) {
  if (!isHttpResponse(msg)) return null;
  const kind = param(msg, 'X-caxton-a2a-result');
  const failed = param(msg, 'X-caxton-a2a-error');
  if (kind === undefined && failed === undefined) return null;
  const requestId = msg.inReplyTo;
  const context = param(msg, 'X-caxton-http-context') ?? '';
  if (failed !== undefined) {
    const status = param(msg, 'X-caxton-http-status');
    const code = Number(param(msg, 'X-caxton-a2a-code'));
    const error = new A2aError(KINDS.has(failed) ? failed : 'malformed', msg.content ?? '', {
      status: failed === 'http-status' && status !== undefined ? Number(status) : null,
      code: Number.isSafeInteger(code) ? code : null,
      failure: param(msg, 'X-caxton-failure') ?? null,
    });
    return { requestId, context, ok: false, error };
  }
  const states = param(msg, 'X-caxton-a2a-states');
  const result = {
    kind: kind === 'task' ? 'task' : 'message',
    contextId: param(msg, 'X-caxton-a2a-context-id') ?? null,
    text: msg.content ?? '',
    ...(states !== undefined ? { states: states === '' ? [] : states.split(',') } : {}),
  };
  if (result.kind === 'task') {
    const state = param(msg, 'X-caxton-a2a-state') ?? 'unknown';
    Object.assign(result, { taskId: param(msg, 'X-caxton-a2a-task-id') ?? '', state, final: param(msg, 'X-caxton-a2a-final') === 'true' });
  } else {
    Object.assign(result, { messageId: param(msg, 'X-caxton-a2a-message-id') ?? null, state: null, final: true });
  }
  return { requestId, context, ok: true, result };
}
