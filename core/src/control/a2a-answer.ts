/**
 * The answer to an agent's A2A call read by the host (decision 2193), pure: the HTTP outcome in —
 * a status and a body, or why there was none — and out either a result (a Task or a Message, in
 * either version's JSON, or a stream's events folded into one) or a typed failure, as the user
 * parameters and content of the message the agent gets. The agent parses no JSON: what a hostile
 * or broken server sends is read here once, under bounds, for every language.
 */
import { toWellFormedUnicode, utf8ByteLength } from '../acl/lexical.js';
import type { A2aAnswerForm, HttpFailureKind } from './http.js';

export type A2aFailureKind = 'no-response' | 'http-status' | 'rpc-error' | 'malformed';

export type A2aResult =
  | { kind: 'task'; taskId: string; contextId?: string; state: string; final: boolean; text: string; states?: string[] }
  | { kind: 'message'; messageId?: string; contextId?: string; text: string; states?: string[] };

export interface A2aFailure {
  kind: A2aFailureKind;
  reason: string;
  /** http-status: the HTTP status. */
  status?: number;
  /** rpc-error: the JSON-RPC error's code. */
  code?: number;
  /** no-response: why (`X-caxton-failure`). */
  failure?: HttpFailureKind;
}

export type A2aAnswer = { ok: true; result: A2aResult } | { ok: false; failure: A2aFailure };

/** The HTTP outcome of the call: a response (the body as received), or none. */
export type A2aHttpOutcome = { status: number; body: Uint8Array } | { failure: HttpFailureKind; reason: string };

/** How deep an answer may nest (objects and arrays); A2A answers nest about ten deep. */
export const A2A_MAX_DEPTH = 64;
/** Artifacts one task may carry, in an answer or folded from a stream. */
export const A2A_MAX_ARTIFACTS = 1000;
/** Events one stream may carry. */
export const A2A_MAX_EVENTS = 1000;
/** An id (task, context, message) the answer carries, in UTF-8 bytes: it becomes a message parameter. */
export const A2A_MAX_ID_BYTES = 1024;
/** A reason quoting the server's words, in UTF-8 bytes. */
export const A2A_MAX_REASON_BYTES = 512;
/** The states a stream's answer lists (the last ones). */
export const A2A_MAX_STATES = 64;

class Malformed extends Error {}
const malformed = (why: string): Malformed => new Malformed(why);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FINAL = new Set(['completed', 'failed', 'canceled', 'rejected']);

/**
 * The outcome read as `form` says. Never throws: whatever the server sent is a result or a
 * failure, and every string in it is well-formed Unicode (the answer must pass the bus's checks,
 * or the agent would get nothing).
 */
export function readA2aAnswer(form: A2aAnswerForm, outcome: A2aHttpOutcome): A2aAnswer {
  try {
    return readOutcome(form, outcome);
  } catch {
    // A shape no rule above foresaw: still an answer, never a fault of the node.
    return fail({ kind: 'malformed', reason: 'the answer could not be read as an A2A answer' });
  }
}

function readOutcome(form: A2aAnswerForm, outcome: A2aHttpOutcome): A2aAnswer {
  if ('failure' in outcome) {
    return fail({ kind: 'no-response', reason: `no response: ${outcome.failure}`, failure: outcome.failure });
  }
  let body: string;
  try {
    body = utf8.decode(outcome.body);
  } catch {
    return fail({ kind: 'malformed', reason: 'the answer is not UTF-8 text' });
  }
  if (outcome.status < 200 || outcome.status > 299) {
    const rpc = rpcErrorOf(body);
    const said = rpc ?? excerpt(body, 200);
    return fail({ kind: 'http-status', reason: clip(`HTTP ${outcome.status}: ${said}`), status: outcome.status });
  }
  try {
    return { ok: true, result: form === 'a2a-stream' ? resultOfSse(body) : resultOfBody(body) };
  } catch (e) {
    if (e instanceof RpcError)
      return fail({ kind: 'rpc-error', reason: clip(e.message), ...(e.code !== undefined ? { code: e.code } : {}) });
    if (e instanceof Malformed) return fail({ kind: 'malformed', reason: clip(e.message) });
    throw e;
  }
}

function fail(failure: A2aFailure): A2aAnswer {
  return { ok: false, failure };
}

class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

/** A JSON-RPC error's words in a body, if it is one (for a non-2xx status's reason). */
function rpcErrorOf(body: string): string | undefined {
  try {
    resultOfBody(body);
  } catch (e) {
    if (e instanceof RpcError) return e.message;
  }
  return undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a JSON-RPC 2.0 response after bounding its nesting (a hostile answer cannot exhaust the stack). */
function rpcDocument(text: string, what: string): Json {
  if (nestingExceeds(text, A2A_MAX_DEPTH)) throw malformed(`${what} nests deeper than ${A2A_MAX_DEPTH} levels`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed(`${what} is not JSON: ${excerpt(text, 120)}`);
  }
  if (!isObject(doc) || doc.jsonrpc !== '2.0') throw malformed(`${what} is not a JSON-RPC 2.0 response`);
  if (isObject(doc.error)) {
    const e = doc.error;
    const hint = isObject(e.data) && typeof e.data.hint === 'string' ? ` (${e.data.hint})` : '';
    const message = typeof e.message === 'string' ? e.message : 'error';
    throw new RpcError(`${message}${hint}`, typeof e.code === 'number' && Number.isSafeInteger(e.code) ? e.code : undefined);
  }
  return doc;
}

/** Whether `text` opens more than `max` objects/arrays at once, brackets inside strings aside. */
function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** One JSON-RPC answer: 1.0 wraps SendMessage's oneof ({task} | {message}); GetTask/CancelTask answer the Task; 0.3 has `kind`. */
function resultOfBody(body: string): A2aResult {
  const r = rpcDocument(body, 'the answer').result;
  if (!isObject(r)) throw malformed('the JSON-RPC response has no result');
  const task = isObject(r.task)
    ? r.task
    : r.kind === 'task' || (r.kind === undefined && typeof r.id === 'string' && isObject(r.status))
      ? r
      : null;
  if (task) return taskResult(task);
  const msg = isObject(r.message) ? r.message : r.kind === 'message' ? r : null;
  if (msg) return messageResult(msg);
  throw malformed('the result is neither a Task nor a Message');
}

function messageResult(msg: Json): A2aResult {
  const out: A2aResult = { kind: 'message', text: partsText(msg.parts) };
  const messageId = optionalId(msg.messageId, 'message id');
  if (messageId !== undefined) out.messageId = messageId;
  const contextId = optionalId(msg.contextId, 'context id');
  if (contextId !== undefined) out.contextId = contextId;
  return out;
}

function taskResult(task: Json): A2aResult {
  if (typeof task.id !== 'string') throw malformed('the task has no id');
  const artifacts = Array.isArray(task.artifacts) ? task.artifacts : [];
  if (artifacts.length > A2A_MAX_ARTIFACTS) throw tooManyArtifacts();
  const status = isObject(task.status) ? task.status : {};
  const state = stateName(status.state);
  const texts = artifacts.map((a) => (isObject(a) ? partsText(a.parts) : '')).filter((t) => t !== '');
  const text = texts.length > 0 ? texts.join('\n') : partsText(isObject(status.message) ? status.message.parts : undefined);
  return withContext({ kind: 'task', taskId: id(task.id, 'task id'), state, final: FINAL.has(state), text }, task);
}

function withContext(result: A2aResult & { kind: 'task' }, task: Json): A2aResult {
  const contextId = optionalId(task.contextId, 'context id');
  if (contextId !== undefined) result.contextId = contextId;
  return result;
}

const tooManyArtifacts = (): Malformed => malformed(`the task has more than ${A2A_MAX_ARTIFACTS} artifacts`);

/**
 * A stream's events folded: the task as its events left it — the last status's state, the
 * artifacts' text (appended where an update says so), else the last status message's — with
 * `states`, each state passed through in order; or the Message the agent answered with.
 */
function resultOfSse(body: string): A2aResult {
  const events = body
    .split(/\r?\n\r?\n/)
    .map((block) =>
      block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n'),
    )
    .filter((d) => d !== '');
  if (events.length > A2A_MAX_EVENTS) throw malformed(`the stream has ${events.length} events, more than ${A2A_MAX_EVENTS}`);
  let task: Json | null = null;
  let message: Json | null = null;
  const states: string[] = [];
  const artifacts = new Map<string, string>();
  const setArtifact = (key: string, text: string): void => {
    if (!artifacts.has(key) && artifacts.size >= A2A_MAX_ARTIFACTS) throw tooManyArtifacts();
    artifacts.set(key, text);
  };
  let statusText = '';
  for (const data of events) {
    const r = rpcDocument(data, 'an event').result;
    if (!isObject(r)) throw malformed('an event has no result');
    const t = isObject(r.task) ? r.task : r.kind === 'task' ? r : null;
    const m = isObject(r.message) ? r.message : r.kind === 'message' ? r : null;
    const status = isObject(r.statusUpdate) ? r.statusUpdate : r.kind === 'status-update' ? r : null;
    const artifact = isObject(r.artifactUpdate) ? r.artifactUpdate : r.kind === 'artifact-update' ? r : null;
    if (t) {
      task = t;
      if (Array.isArray(t.artifacts)) {
        if (t.artifacts.length > A2A_MAX_ARTIFACTS) throw tooManyArtifacts();
        // A snapshot's artifacts replace what an earlier snapshot listed at the same place.
        t.artifacts.forEach((a: unknown, i: number) => {
          if (isObject(a)) setArtifact(artifactKey(a, `@${i}`), partsText(a.parts));
        });
      }
      if (isObject(t.status)) {
        states.push(stateName(t.status.state));
        statusText = partsText(isObject(t.status.message) ? t.status.message.parts : undefined);
      }
    } else if (m) {
      message = m;
    } else if (status && isObject(status.status)) {
      states.push(stateName(status.status.state));
      const text = partsText(isObject(status.status.message) ? status.status.message.parts : undefined);
      if (text !== '') statusText = text;
    } else if (artifact && isObject(artifact.artifact)) {
      const key = artifactKey(artifact.artifact, `#${artifacts.size}`);
      const text = partsText(artifact.artifact.parts);
      setArtifact(key, artifact.append === true ? `${artifacts.get(key) ?? ''}${text}` : text);
    }
  }
  const passed = states.filter((s, i) => s !== states[i - 1]).slice(-A2A_MAX_STATES);
  if (task) {
    const state = states.at(-1) ?? 'unknown';
    const texts = [...artifacts.values()].filter((t) => t !== '');
    const text = texts.length > 0 ? texts.join('\n') : statusText;
    if (typeof task.id !== 'string') throw malformed('the task has no id');
    return withContext({ kind: 'task', taskId: id(task.id, 'task id'), state, final: FINAL.has(state), text, states: passed }, task);
  }
  if (message) return { ...messageResult(message), states: [] };
  throw malformed('the stream carried neither a Task nor a Message');
}

/** An artifact's id, or where it stands (ids are the server's text: prefixed so none can clash with a place). */
function artifactKey(a: Json, place: string): string {
  return typeof a.artifactId === 'string' ? `=${a.artifactId}` : place;
}

/** The text parts of a message or artifact, joined by newlines (1.0: `{text}`; 0.3: `{kind:'text', text}`). */
function partsText(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  const out: string[] = [];
  for (const p of parts) if (isObject(p) && typeof p.text === 'string') out.push(p.text);
  return toWellFormedUnicode(out.join('\n'));
}

/**
 * `TASK_STATE_INPUT_REQUIRED` (1.0) and `input-required` (0.3) alike: `input-required`. A state
 * that is not a short name of letters and dashes is `unknown`: it becomes a message parameter.
 */
function stateName(s: unknown): string {
  if (typeof s !== 'string' || s.length > 64) return 'unknown';
  const name = s
    .replace(/^TASK_STATE_/, '')
    .toLowerCase()
    .replace(/_/g, '-');
  return /^[a-z][a-z-]*$/.test(name) ? name : 'unknown';
}

/** Control characters (C0, DEL, C1): never in an id the agent is handed. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An id the answer carries: a string of 1 to A2A_MAX_ID_BYTES bytes of well-formed text without control characters. */
function id(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw malformed(`the ${what} is not a string`);
  if (utf8ByteLength(v) > A2A_MAX_ID_BYTES) throw malformed(`the ${what} is longer than ${A2A_MAX_ID_BYTES} bytes`);
  if (CONTROL.test(v) || toWellFormedUnicode(v) !== v) throw malformed(`the ${what} holds control characters or ill-formed text`);
  return v;
}

/** An id the answer may leave out (or leave empty). */
function optionalId(v: unknown, what: string): string | undefined {
  return typeof v === 'string' && v !== '' ? id(v, what) : undefined;
}

/** The first `n` code units of a server's text, as well-formed text. */
function excerpt(s: string, n: number): string {
  return toWellFormedUnicode(s.slice(0, n));
}

/** `s` cut to A2A_MAX_REASON_BYTES of UTF-8, between characters, as well-formed text. */
function clip(text: string): string {
  const s = toWellFormedUnicode(text);
  if (utf8ByteLength(s) <= A2A_MAX_REASON_BYTES) return s;
  let out = s.slice(0, A2A_MAX_REASON_BYTES);
  while (utf8ByteLength(out) > A2A_MAX_REASON_BYTES) out = out.slice(0, -1);
  // A lone high surrogate left at the cut is no character.
  const last = out.charCodeAt(out.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? out.slice(0, -1) : out;
}

/** The user parameters an answer's message carries (the call's context is the gateway's to add). */
export function a2aAnswerParams(answer: A2aAnswer): Record<string, string> {
  if (!answer.ok) {
    const f = answer.failure;
    const params: Record<string, string> = { [A2A_PARAMS.error]: f.kind };
    if (f.code !== undefined) params[A2A_PARAMS.code] = String(f.code);
    return params;
  }
  const r = answer.result;
  const params: Record<string, string> = { [A2A_PARAMS.result]: r.kind };
  if (r.kind === 'task') {
    params[A2A_PARAMS.state] = r.state;
    params[A2A_PARAMS.final] = String(r.final);
    params[A2A_PARAMS.taskId] = r.taskId;
  } else if (r.messageId !== undefined) params[A2A_PARAMS.messageId] = r.messageId;
  if (r.contextId !== undefined) params[A2A_PARAMS.contextId] = r.contextId;
  if (r.states !== undefined) params[A2A_PARAMS.states] = r.states.join(',');
  return params;
}

/** The names of those parameters, as wit/agent.wit documents them. */
export const A2A_PARAMS = Object.freeze({
  result: 'X-caxton-a2a-result',
  state: 'X-caxton-a2a-state',
  final: 'X-caxton-a2a-final',
  taskId: 'X-caxton-a2a-task-id',
  contextId: 'X-caxton-a2a-context-id',
  messageId: 'X-caxton-a2a-message-id',
  states: 'X-caxton-a2a-states',
  error: 'X-caxton-a2a-error',
  code: 'X-caxton-a2a-code',
});
