// The A2A JSON-RPC wire of the outbound A2A helper (a2a.js, decisions 1951, 2040), pure: no WIT
// import, no I/O. Builds the calls in A2A 1.0's JSON-RPC binding (`SendMessage`,
// `SendStreamingMessage`, `GetTask`, `CancelTask`, header `A2A-Version: 1.0`) or 0.3's
// (`message/send`, `message/stream`, `tasks/get`, `tasks/cancel`), and reads what comes back — a
// Task or a Message, in either version's JSON, or a stream's server-sent events — into one shape,
// or an A2aError saying what went wrong.

/** Why an A2A call has no usable result. */
export class A2aError extends Error {
  /**
   * kind: `refused` (the call never left: not allow-listed, invalid, quota), `no-response`
   * (timeout, connect-failed… : `failure`), `http-status` (`status`), `rpc-error` (the JSON-RPC
   * error's `code`), `malformed` (not a JSON-RPC answer with a Task or a Message).
   */
  constructor(kind, message, extra = {}) {
    super(`a2a: ${kind}: ${message}`);
    this.name = 'A2aError';
    this.kind = kind;
    this.reason = message;
    this.status = extra.status ?? null;
    this.code = extra.code ?? null;
    this.failure = extra.failure ?? null;
  }
}

export const A2A_VERSIONS = ['1.0', '0.3'];
let sequence = 0;

function requireString(what, v) {
  if (typeof v !== 'string') throw new TypeError(`a2a ${what} must be a string, got ${typeof v}`);
  return v;
}

/** One JSON-RPC call as an HTTP request: { method, url, headers, body, timeoutMs, context }. */
function rpcRequest({ url, token, version, timeoutMs, context, accept = 'application/json' }, methods, params) {
  requireString('url', url);
  if (!A2A_VERSIONS.includes(version)) throw new TypeError(`a2a version must be one of ${A2A_VERSIONS.join(', ')}`);
  sequence += 1;
  const v1 = version === '1.0';
  const headers = [['content-type', 'application/json'], ['accept', accept]];
  if (v1) headers.push(['a2a-version', '1.0']);
  if (token !== undefined && token !== null) headers.push(['authorization', `Bearer ${requireString('token', token)}`]);
  return { method: 'POST', url, headers, body: JSON.stringify({ jsonrpc: '2.0', id: sequence, method: v1 ? methods[0] : methods[1], params }), timeoutMs, context };
}

/**
 * The HTTP request of one `message/send`: { method, url, headers, body }. `url` is the agent's
 * JSON-RPC endpoint (its card's JSONRPC interface), `text` the message's one text part.
 */
export function a2aSendRequest(call = {}) {
  return messageRequest(call, ['SendMessage', 'message/send'], 'application/json');
}

/**
 * The HTTP request of one `message/stream` (`SendStreamingMessage`): the answer is a stream of
 * server-sent events that ends with the task; the agent's HTTP call reads it whole (a2aResultFromSse).
 */
export function a2aStreamRequest(call = {}) {
  return messageRequest(call, ['SendStreamingMessage', 'message/stream'], 'text/event-stream');
}

/** The HTTP request of one `tasks/get` (`GetTask`) of task `taskId`; `historyLength` optional. */
export function a2aGetTaskRequest({ taskId, historyLength, version = '1.0', ...call } = {}) {
  requireString('taskId', taskId);
  const params = { id: taskId };
  if (historyLength !== undefined && historyLength !== null) {
    if (!Number.isSafeInteger(historyLength) || historyLength < 0) throw new TypeError('a2a historyLength must be a whole number');
    params.historyLength = historyLength;
  }
  return rpcRequest({ ...call, version }, ['GetTask', 'tasks/get'], params);
}

/** The HTTP request of one `tasks/cancel` (`CancelTask`) of task `taskId`. */
export function a2aCancelTaskRequest({ taskId, version = '1.0', ...call } = {}) {
  requireString('taskId', taskId);
  return rpcRequest({ ...call, version }, ['CancelTask', 'tasks/cancel'], { id: taskId });
}

function messageRequest({ url, text, token, version = '1.0', messageId, contextId, timeoutMs, context } = {}, methods, accept) {
  requireString('text', text);
  if (!A2A_VERSIONS.includes(version)) throw new TypeError(`a2a version must be one of ${A2A_VERSIONS.join(', ')}`);
  const id = messageId ?? `caxton-${sequence + 1}-${Math.floor(Math.random() * 0x7fffffff).toString(36)}`;
  const v1 = version === '1.0';
  const message = v1
    ? { messageId: id, role: 'ROLE_USER', parts: [{ text }] }
    : { kind: 'message', messageId: id, role: 'user', parts: [{ kind: 'text', text }] };
  if (contextId !== undefined && contextId !== null) message.contextId = requireString('contextId', contextId);
  const params = v1 ? { message, configuration: { returnImmediately: false } } : { message, configuration: { blocking: true } };
  return rpcRequest({ url, token, version, timeoutMs, context, accept }, methods, params);
}

/** How deep an answer may nest (objects and arrays); A2A answers nest about ten deep. */
const MAX_DEPTH = 64;

/** Whether `text` opens more than `max` objects/arrays at once, brackets inside strings aside. */
function nestingExceeds(text, max) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // the escaped character, whatever it is
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text parts of a message or artifact, joined by newlines (1.0: `{text}`; 0.3: `{kind:'text', text}`). */
function partsText(parts) {
  if (!Array.isArray(parts)) return '';
  return parts.filter((p) => isObject(p) && typeof p.text === 'string').map((p) => p.text).join('\n');
}

/** `TASK_STATE_INPUT_REQUIRED` (1.0) and `input-required` (0.3) alike: `input-required`. */
function stateName(s) {
  if (typeof s !== 'string') return 'unknown';
  return s.replace(/^TASK_STATE_/, '').toLowerCase().replace(/_/g, '-');
}

const FINAL = new Set(['completed', 'failed', 'canceled', 'rejected']);

/**
 * A JSON-RPC answer's body read: { kind: 'task', taskId, contextId, state, final, text } (text:
 * the artifacts' text, else the status message's) or { kind: 'message', messageId, contextId,
 * state: null, final: true, text }. Throws A2aError (`rpc-error`, `malformed`).
 */
export function a2aResultFromBody(body) {
  // JSON.parse recurses: an answer nested thousands deep would exhaust the engine's stack and
  // trap the handler (a hostile server could crash the caller), so nesting is bounded first.
  if (nestingExceeds(String(body), MAX_DEPTH)) throw new A2aError('malformed', `the answer nests deeper than ${MAX_DEPTH} levels`);
  let doc;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new A2aError('malformed', `the answer is not JSON: ${String(body).slice(0, 120)}`);
  }
  if (!isObject(doc) || doc.jsonrpc !== '2.0') throw new A2aError('malformed', 'the answer is not a JSON-RPC 2.0 response');
  if (isObject(doc.error)) {
    const hint = isObject(doc.error.data) && typeof doc.error.data.hint === 'string' ? ` (${doc.error.data.hint})` : '';
    throw new A2aError('rpc-error', `${String(doc.error.message ?? 'error')}${hint}`, { code: typeof doc.error.code === 'number' ? doc.error.code : null });
  }
  const r = doc.result;
  if (!isObject(r)) throw new A2aError('malformed', 'the JSON-RPC response has no result');
  // 1.0 wraps SendMessage's oneof: { task } or { message }; GetTask and CancelTask answer the Task
  // itself; 0.3 sends the object with `kind`.
  const task = isObject(r.task) ? r.task : r.kind === 'task' || (r.kind === undefined && typeof r.id === 'string' && isObject(r.status)) ? r : null;
  const msg = isObject(r.message) ? r.message : r.kind === 'message' ? r : null;
  if (task) return taskResult(task);
  if (msg) {
    return { kind: 'message', messageId: typeof msg.messageId === 'string' ? msg.messageId : null, contextId: typeof msg.contextId === 'string' ? msg.contextId : null, state: null, final: true, text: partsText(msg.parts) };
  }
  throw new A2aError('malformed', 'the result is neither a Task nor a Message');
}

/**
 * Artifacts one task may carry, in an answer or folded from a stream: a task has a few. Bounds the
 * work of the fold in every SDK (the same limit and reason in each), whatever the server sends.
 */
const MAX_ARTIFACTS = 1000;
const tooManyArtifacts = () => new A2aError('malformed', `the task has more than ${MAX_ARTIFACTS} artifacts`);

function taskResult(task) {
  if (typeof task.id !== 'string') throw new A2aError('malformed', 'the task has no id');
  if (Array.isArray(task.artifacts) && task.artifacts.length > MAX_ARTIFACTS) throw tooManyArtifacts();
  const state = stateName(task.status?.state);
  const artifacts = Array.isArray(task.artifacts) ? task.artifacts.map((a) => partsText(a?.parts)).filter((t) => t !== '') : [];
  const text = artifacts.length > 0 ? artifacts.join('\n') : partsText(task.status?.message?.parts);
  return { kind: 'task', taskId: task.id, contextId: typeof task.contextId === 'string' ? task.contextId : null, state, final: FINAL.has(state), text };
}

/** Events one stream may carry before it is refused as malformed: a task takes a handful. */
const MAX_EVENTS = 1000;

/**
 * A `message/stream` answer's body (server-sent events, read whole) folded into one result: the
 * task as its events left it — the last status's state, the artifacts' text, else the last status
 * message's — with `states`, every state it passed through in order; or the Message if the agent
 * answered with one. A JSON-RPC error event throws `rpc-error`; a stream with no task or message,
 * too many events or artifacts or an event that is no JSON-RPC answer throws `malformed`.
 */
export function a2aResultFromSse(body) {
  const events = String(body).split(/\r?\n\r?\n/).map((block) => block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n')).filter((d) => d !== '');
  if (events.length > MAX_EVENTS) throw new A2aError('malformed', `the stream has ${events.length} events, more than ${MAX_EVENTS}`);
  let task = null;
  let message = null;
  const states = [];
  const artifacts = new Map();
  const setArtifact = (id, text) => {
    if (!artifacts.has(id) && artifacts.size >= MAX_ARTIFACTS) throw tooManyArtifacts();
    artifacts.set(id, text);
  };
  let statusText = '';
  for (const data of events) {
    if (nestingExceeds(data, MAX_DEPTH)) throw new A2aError('malformed', `an event nests deeper than ${MAX_DEPTH} levels`);
    let doc;
    try {
      doc = JSON.parse(data);
    } catch {
      throw new A2aError('malformed', `an event is not JSON: ${data.slice(0, 120)}`);
    }
    if (!isObject(doc) || doc.jsonrpc !== '2.0') throw new A2aError('malformed', 'an event is not a JSON-RPC 2.0 response');
    if (isObject(doc.error)) a2aResultFromBody(data); // throws its rpc-error
    const r = doc.result;
    if (!isObject(r)) throw new A2aError('malformed', 'an event has no result');
    // 1.0: { task } | { message } | { statusUpdate } | { artifactUpdate }; 0.3: the object with `kind`.
    const t = isObject(r.task) ? r.task : r.kind === 'task' ? r : null;
    const m = isObject(r.message) ? r.message : r.kind === 'message' ? r : null;
    const status = isObject(r.statusUpdate) ? r.statusUpdate : r.kind === 'status-update' ? r : null;
    const artifact = isObject(r.artifactUpdate) ? r.artifactUpdate : r.kind === 'artifact-update' ? r : null;
    if (t) {
      task = t;
      if (Array.isArray(t.artifacts)) {
        if (t.artifacts.length > MAX_ARTIFACTS) throw tooManyArtifacts();
        for (const a of t.artifacts) if (isObject(a)) setArtifact(String(a.artifactId ?? artifacts.size), partsText(a.parts));
      }
      if (isObject(t.status)) {
        states.push(stateName(t.status.state));
        statusText = partsText(t.status.message?.parts);
      }
    } else if (m) {
      message = m;
    } else if (status && isObject(status.status)) {
      states.push(stateName(status.status.state));
      const text = partsText(status.status.message?.parts);
      if (text !== '') statusText = text;
    } else if (artifact && isObject(artifact.artifact)) {
      const id = String(artifact.artifact.artifactId ?? artifacts.size);
      const text = partsText(artifact.artifact.parts);
      setArtifact(id, artifact.append === true ? `${artifacts.get(id) ?? ''}${text}` : text);
    }
  }
  if (task) {
    const state = states.at(-1) ?? 'unknown';
    const texts = [...artifacts.values()].filter((t) => t !== '');
    return { kind: 'task', taskId: String(task.id ?? ''), contextId: typeof task.contextId === 'string' ? task.contextId : null, state, final: FINAL.has(state), text: texts.length > 0 ? texts.join('\n') : statusText, states: states.filter((s, i) => s !== states[i - 1]) };
  }
  if (message) return { ...a2aResultFromBody(JSON.stringify({ jsonrpc: '2.0', result: { message } })), states: [] };
  throw new A2aError('malformed', 'the stream carried neither a Task nor a Message');
}

/**
 * An HTTP answer (httpResponse(msg)) to an A2A call read: the result, or an A2aError for no
 * response, a non-2xx status (a JSON-RPC error in its body is read for the reason), or a body
 * that is no A2A answer. Pure.
 */
export function a2aResultFromHttp(r, { stream = false } = {}) {
  if (!r.answered) throw new A2aError('no-response', `no response: ${r.failure ?? 'unknown'}`, { failure: r.failure ?? 'unknown' });
  if (r.bodyIsBase64) throw new A2aError('malformed', 'the answer is not text');
  if (r.status < 200 || r.status > 299) {
    let reason = String(r.body).slice(0, 200);
    try {
      a2aResultFromBody(r.body);
    } catch (e) {
      if (e instanceof A2aError && e.kind === 'rpc-error') reason = e.reason;
    }
    throw new A2aError('http-status', `HTTP ${r.status}: ${reason}`, { status: r.status });
  }
  return stream ? a2aResultFromSse(r.body) : a2aResultFromBody(r.body);
}
