// Calling A2A agents (A2A 1.0 JSON-RPC `message/send`, decision 1951) over the deployment's
// allow-listed outbound HTTP (http.ts, decision 1601): the AssemblyScript twin of sdk-js's a2a.js.
//
//   const sent = A2a.send(new A2aCall(url, "hello").withToken(token).withContext("whom to answer"));
//   if (!sent.ok) … sent.error.kind == A2aErrorKind.Refused
//   … later, in onMessage: const r = a2aResponse(msg);
//   if (r !== null) { r.context; if (r.ok) r.result!.state, r.result!.text; else r.error!.message }
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message; `context` travels with it. `url` is the agent's JSON-RPC
// endpoint (its card's JSONRPC interface); its host must be on the allow-list.
import { AclMessage } from "./types";
import { newId } from "./host";
import { Http, HttpRequest, HttpResponse, httpErrorKindName, httpResponse } from "./http";
import { JsonKind, JsonValue, jsonQuote, parseJson } from "./json";

/** Why an A2A call has no usable result. */
export enum A2aErrorKind {
  /** The call never left: not allow-listed, invalid, quota (`fetch` refused it). */
  Refused = 0,
  /** No response: timeout, connect-failed… (`failure`). */
  NoResponse = 1,
  /** A status other than 2xx (`status`). */
  HttpStatus = 2,
  /** A JSON-RPC error (`code`). */
  RpcError = 3,
  /** Not a JSON-RPC answer with a Task or a Message. */
  Malformed = 4,
}

const KIND_NAMES: StaticArray<string> = ["refused", "no-response", "http-status", "rpc-error", "malformed"];

export function a2aErrorKindName(kind: A2aErrorKind): string {
  return KIND_NAMES[<i32>kind];
}

export class A2aError {
  /** HTTP status for HttpStatus, JSON-RPC code for RpcError, else 0. */
  status: i32 = 0;
  code: i32 = 0;
  /** Why there was no response (NoResponse). */
  failure: string | null = null;

  constructor(public kind: A2aErrorKind, public reason: string) {}

  get message(): string {
    return "a2a: " + a2aErrorKindName(this.kind) + ": " + this.reason;
  }
}

/** One `message/send`; the setters return `this` so calls chain. */
export class A2aCall {
  token: string | null = null;
  /** "1.0" (SendMessage, A2A-Version: 1.0) or "0.3" (message/send). */
  version: string = "1.0";
  contextId: string | null = null;
  context: string | null = null;
  timeoutMs: u32 = 0;
  hasTimeout: bool = false;

  constructor(public url: string, public text: string) {}

  withToken(token: string): A2aCall {
    this.token = token;
    return this;
  }

  withVersion(version: string): A2aCall {
    this.version = version;
    return this;
  }

  withContextId(contextId: string): A2aCall {
    this.contextId = contextId;
    return this;
  }

  /** Echoed back with the answer (e.g. whom to answer). */
  withContext(context: string): A2aCall {
    this.context = context;
    return this;
  }

  withTimeout(ms: u32): A2aCall {
    this.timeoutMs = ms;
    this.hasTimeout = true;
    return this;
  }
}

/** Marks the HTTP context of an A2A call, so its answer is told from the agent's other HTTP answers. */
const MARK = "caxton-a2a:";
let sequence: i32 = 0;

/** The HTTP request of `call` (pure but for the message id, which the host makes). */
export function a2aSendRequest(call: A2aCall): HttpRequest {
  sequence++;
  const v1 = call.version != "0.3";
  const contextId = call.contextId;
  const ctxPart = contextId !== null ? ",\"contextId\":" + jsonQuote(contextId) : "";
  const message = v1
    ? "{\"messageId\":" + jsonQuote(newId()) + ",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":" + jsonQuote(call.text) + "}]" + ctxPart + "}"
    : "{\"kind\":\"message\",\"messageId\":" + jsonQuote(newId()) + ",\"role\":\"user\",\"parts\":[{\"kind\":\"text\",\"text\":" + jsonQuote(call.text) + "}]" + ctxPart + "}";
  const configuration = v1 ? "{\"returnImmediately\":false}" : "{\"blocking\":true}";
  const body = "{\"jsonrpc\":\"2.0\",\"id\":" + sequence.toString() + ",\"method\":\"" + (v1 ? "SendMessage" : "message/send") +
    "\",\"params\":{\"message\":" + message + ",\"configuration\":" + configuration + "}}";
  const req = new HttpRequest("POST", call.url)
    .header("content-type", "application/json")
    .header("accept", "application/json")
    .withBody(body);
  if (v1) req.header("a2a-version", "1.0");
  const token = call.token;
  if (token !== null) req.header("authorization", "Bearer " + token);
  if (call.hasTimeout) req.withTimeout(call.timeoutMs);
  const context = call.context;
  req.withContext(MARK + (context !== null ? context : ""));
  return req;
}

/** What `A2a.send` returned: the HTTP request id, or why the call could not leave. */
export class A2aSent {
  constructor(public id: string | null, public error: A2aError | null) {}

  get ok(): bool {
    return this.error === null;
  }
}

export class A2a {
  static send(call: A2aCall): A2aSent {
    const r = Http.fetch(a2aSendRequest(call));
    const e = r.error;
    if (e !== null) return new A2aSent(null, new A2aError(A2aErrorKind.Refused, httpErrorKindName(e.kind) + ": " + e.message));
    return new A2aSent(r.id, null);
  }
}

/** A Task (`isTask`) or a Message the A2A agent answered with. */
export class A2aResult {
  isTask: bool = false;
  taskId: string = "";
  messageId: string = "";
  contextId: string = "";
  /** The task's state in lower case with dashes (completed, failed, rejected, working…); "" for a Message. */
  state: string = "";
  /** Whether the task ended (completed, failed, canceled, rejected); true for a Message. */
  final: bool = true;
  /** The artifacts' text, else the status message's (a Message: its text), parts joined by newlines. */
  text: string = "";
}

/** A result or an error: what reading an answer gives. */
export class A2aOutcome {
  constructor(public result: A2aResult | null, public error: A2aError | null) {}
}

function partsText(parts: JsonValue | null): string {
  if (parts === null || !parts.isArray) return "";
  const out: string[] = [];
  for (let i = 0; i < parts.items.length; i++) {
    const p = parts.items[i];
    const t = p.getString("text");
    if (t !== null) out.push(t);
  }
  return out.join("\n");
}

function stateName(s: string): string {
  let n = s.startsWith("TASK_STATE_") ? s.substring(11) : s;
  return n.toLowerCase().replaceAll("_", "-");
}

/** Artifacts one task may carry (the same limit and reason in every SDK): a task has a few. */
export const MAX_ARTIFACTS = 1000;

function malformed(reason: string): A2aOutcome {
  return new A2aOutcome(null, new A2aError(A2aErrorKind.Malformed, reason));
}

/** A JSON-RPC answer's body read (pure). */
export function a2aResultFromBody(body: string): A2aOutcome {
  const doc = parseJson(body);
  if (doc === null) return malformed("the answer is not JSON");
  if (!doc.isObject || doc.getString("jsonrpc") != "2.0") return malformed("the answer is not a JSON-RPC 2.0 response");
  const err = doc.get("error");
  if (err !== null && err.isObject) {
    const m = err.getString("message");
    let reason = m !== null ? m : "error";
    const data = err.get("data");
    if (data !== null) {
      const hint = data.getString("hint");
      if (hint !== null) reason += " (" + hint + ")";
    }
    const e = new A2aError(A2aErrorKind.RpcError, reason);
    const code = err.get("code");
    if (code !== null && code.kind == JsonKind.Number) e.code = <i32>code.num;
    return new A2aOutcome(null, e);
  }
  const r = doc.get("result");
  if (r === null || !r.isObject) return malformed("the JSON-RPC response has no result");
  // 1.0 wraps the oneof: { task } or { message }; 0.3 sends the object with `kind`.
  const kind = r.getString("kind");
  let task = r.get("task");
  if (task === null && kind !== null && kind == "task") task = r;
  let msg = r.get("message");
  if (msg === null && kind !== null && kind == "message") msg = r;
  const out = new A2aResult();
  if (task !== null && task.isObject) {
    const id = task.getString("id");
    if (id === null) return malformed("the task has no id");
    out.isTask = true;
    out.taskId = id;
    const ctx = task.getString("contextId");
    if (ctx !== null) out.contextId = ctx;
    const status = task.get("status");
    const state = status !== null ? status.getString("state") : null;
    out.state = stateName(state !== null ? state : "unknown");
    out.final = out.state == "completed" || out.state == "failed" || out.state == "canceled" || out.state == "rejected";
    const texts: string[] = [];
    const artifacts = task.get("artifacts");
    if (artifacts !== null && artifacts.isArray) {
      if (artifacts.items.length > MAX_ARTIFACTS) return malformed("the task has more than " + MAX_ARTIFACTS.toString() + " artifacts");
      for (let i = 0; i < artifacts.items.length; i++) {
        const t = partsText(artifacts.items[i].get("parts"));
        if (t.length > 0) texts.push(t);
      }
    }
    if (texts.length > 0) out.text = texts.join("\n");
    else if (status !== null) {
      const sm = status.get("message");
      if (sm !== null) out.text = partsText(sm.get("parts"));
    }
    return new A2aOutcome(out, null);
  }
  if (msg !== null && msg.isObject) {
    const id = msg.getString("messageId");
    if (id !== null) out.messageId = id;
    const ctx = msg.getString("contextId");
    if (ctx !== null) out.contextId = ctx;
    out.text = partsText(msg.get("parts"));
    return new A2aOutcome(out, null);
  }
  return malformed("the result is neither a Task nor a Message");
}

/** An HTTP answer to an A2A call read: no response, a non-2xx status, or the body's result (pure). */
export function a2aResultFromHttp(r: HttpResponse): A2aOutcome {
  if (!r.answered) {
    const f = r.failure;
    const e = new A2aError(A2aErrorKind.NoResponse, "no response: " + (f !== null ? f : "unknown"));
    e.failure = f;
    return new A2aOutcome(null, e);
  }
  if (r.bodyIsBase64) return malformed("the answer is not text");
  const status = r.status;
  if (status < 200 || status > 299) {
    const body = r.body;
    let reason = body.length > 200 ? body.substring(0, 200) : body;
    const read = a2aResultFromBody(body);
    const re = read.error;
    if (re !== null && re.kind == A2aErrorKind.RpcError) reason = re.reason;
    const e = new A2aError(A2aErrorKind.HttpStatus, "HTTP " + status.toString() + ": " + reason);
    e.status = status;
    return new A2aOutcome(null, e);
  }
  return a2aResultFromBody(r.body);
}

/** The answer to an `A2a.send`, read. */
export class A2aResponse {
  constructor(public requestId: string, public context: string, public result: A2aResult | null, public error: A2aError | null) {}

  get ok(): bool {
    return this.error === null;
  }
}

/** `msg` read as the answer to an `A2a.send`, or null when it is none (another message, or a plain `Http.fetch`'s answer). */
export function a2aResponse(msg: AclMessage): A2aResponse | null {
  const r = httpResponse(msg);
  if (r === null) return null;
  const ctx = r.context;
  if (ctx === null || !ctx.startsWith(MARK)) return null;
  const outcome = a2aResultFromHttp(r);
  return new A2aResponse(r.requestId, ctx.substring(MARK.length), outcome.result, outcome.error);
}
