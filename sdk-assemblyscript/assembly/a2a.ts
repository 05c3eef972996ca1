// Calling A2A agents (interface `a2a` in wit/agent.wit, decision 2193): the AssemblyScript twin of
// sdk-js's a2a.js. The host speaks A2A's JSON-RPC binding over the deployment's allow-listed
// outbound HTTP and reads the answer, so this module builds and parses no JSON.
//
//   const sent = A2a.send(new A2aCall(url, "hello").withToken(token).withContext("whom to answer"));
//   if (!sent.ok) … sent.error!.kind == A2aErrorKind.Refused
//   A2a.stream(call);                          // as send, read whole: result.states
//   A2a.get(new A2aCall(url, taskId));         // the task's state now
//   A2a.cancel(new A2aCall(url, taskId));      // the task as the cancel left it
//   … later, in onMessage: const r = a2aResponse(msg);
//   if (r !== null) { r.context; if (r.ok) r.result!.state, r.result!.text; else r.error!.message }
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message from `http@<platform>`; `context` travels with it. `url`
// is the agent's JSON-RPC endpoint (its card's JSONRPC interface); its host must be allowed.
import * as raw from "./abi/wit/a2a";
import { arenaAlloc, arenaReset } from "./abi/arena";
import { lowerPairListAt } from "./abi/lower";
import * as L from "./abi/wit/layout";
import { AclMessage, KeyValue } from "./types";
import { Performative } from "./performative";
import { httpErrorKindName, isHttpResponse, liftFetchResult } from "./http";

/** Why an A2A call has no usable result. */
export enum A2aErrorKind {
  /** The call never left: not allow-listed, invalid, quota (`start` refused it). */
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
  /** The HTTP status (HttpStatus), else 0. */
  status: i32 = 0;
  /** The JSON-RPC error code (RpcError, when `hasCode`). */
  code: i64 = 0;
  hasCode: bool = false;
  /** Why there was no response (NoResponse). */
  failure: string | null = null;

  constructor(public kind: A2aErrorKind, public reason: string) {}

  get message(): string {
    return "a2a: " + a2aErrorKindName(this.kind) + ": " + this.reason;
  }
}

/**
 * One call; the setters return `this` so calls chain. `subject` is the message's text for
 * `A2a.send`/`A2a.stream`, the task's id for `A2a.get`/`A2a.cancel`.
 */
export class A2aCall {
  token: string | null = null;
  /** "1.0" (SendMessage…, A2A-Version: 1.0) or "0.3" (message/send…). */
  version: string = "1.0";
  /** send/stream: the A2A context to continue. */
  contextId: string | null = null;
  headers: KeyValue[] = [];
  /** Echoed back with the answer (e.g. whom to answer). */
  context: string | null = null;
  timeoutMs: u32 = 0;
  hasTimeout: bool = false;

  constructor(public url: string, public subject: string) {}

  /** Sent as `authorization: Bearer <token>`. */
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

  /** Added to the request as it is; checked as an HTTP call's. */
  withHeader(name: string, value: string): A2aCall {
    this.headers.push(new KeyValue(name, value));
    return this;
  }

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

/** What `A2a.send` (…) returned: the call's id (the answer's in-reply-to), or why it could not leave. */
export class A2aSent {
  constructor(public id: string | null, public error: A2aError | null) {}

  get ok(): bool {
    return this.error === null;
  }
}

function start(operation: u32, call: A2aCall): A2aSent {
  let version: u32;
  if (call.version == "1.0") version = L.PROTOCOL_VERSION_V1;
  else if (call.version == "0.3") version = L.PROTOCOL_VERSION_V03;
  else return new A2aSent(null, new A2aError(A2aErrorKind.Refused, "invalid-request: a2a version must be 1.0 or 0.3"));
  let headers = call.headers;
  const token = call.token;
  if (token !== null) {
    headers = headers.slice(0);
    headers.push(new KeyValue("authorization", "Bearer " + token));
  }
  const list = arenaAlloc(L.SLICE_SIZE, L.SLICE_ALIGN);
  lowerPairListAt(list, headers);
  const contextId = call.contextId;
  const context = call.context;
  const ret = arenaAlloc(L.RESULT_STRING_HTTP_ERROR_SIZE, L.RESULT_STRING_HTTP_ERROR_ALIGN);
  raw.start(
    operation,
    changetype<usize>(call.url), <u32>call.url.length,
    version,
    changetype<usize>(call.subject), <u32>call.subject.length,
    contextId === null ? 0 : 1, contextId === null ? 0 : changetype<usize>(contextId), contextId === null ? 0 : <u32>contextId.length,
    load<u32>(list), load<u32>(list, 4),
    call.hasTimeout ? 1 : 0, call.timeoutMs,
    context === null ? 0 : 1, context === null ? 0 : changetype<usize>(context), context === null ? 0 : <u32>context.length,
    ret,
  );
  const r = liftFetchResult(ret);
  arenaReset();
  const e = r.error;
  if (e !== null) return new A2aSent(null, new A2aError(A2aErrorKind.Refused, httpErrorKindName(e.kind) + ": " + e.message));
  return new A2aSent(r.id, null);
}

export class A2a {
  /** Sends `call.subject` as a message and waits for the task to end (`SendMessage` / `message/send`). */
  static send(call: A2aCall): A2aSent {
    return start(L.OPERATION_SEND, call);
  }

  /** As `send`, as a stream read whole: the result's `states` lists each state the task passed through. */
  static stream(call: A2aCall): A2aSent {
    return start(L.OPERATION_STREAM, call);
  }

  /** The task `call.subject` as it is now (`GetTask` / `tasks/get`). */
  static get(call: A2aCall): A2aSent {
    return start(L.OPERATION_GET_TASK, call);
  }

  /** Cancels the task `call.subject`; the answer is the task as the cancel left it (`CancelTask` / `tasks/cancel`). */
  static cancel(call: A2aCall): A2aSent {
    return start(L.OPERATION_CANCEL_TASK, call);
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
  /** `A2a.stream` only: each state the task passed through, in order; else null. */
  states: string[] | null = null;
}

/** The answer to an A2A call, read. */
export class A2aResponse {
  constructor(public requestId: string, public context: string, public result: A2aResult | null, public error: A2aError | null) {}

  get ok(): bool {
    return this.error === null;
  }
}

function orEmpty(s: string | null): string {
  return s !== null ? s : "";
}

/** An optional `-` then 1 to 16 digits: within a safe integer, so i64 holds it exactly. */
function isDecimal(s: string): bool {
  const start = s.length > 0 && s.charCodeAt(0) == 45 ? 1 : 0;
  if (s.length - start < 1 || s.length - start > 16) return false;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function errorKind(name: string): A2aErrorKind {
  for (let i = 1; i < KIND_NAMES.length; i++) if (KIND_NAMES[i] == name) return <A2aErrorKind>i;
  return A2aErrorKind.Malformed;
}

/**
 * `msg` read as the answer to an A2A call, or null when it is none (another message, or a plain
 * `Http.fetch`'s answer). The host read the A2A answer; this reads its message parameters.
 */
export function a2aResponse(msg: AclMessage): A2aResponse | null {
  if (!isHttpResponse(msg)) return null;
  const kind = msg.param("X-caxton-a2a-result");
  const failed = msg.param("X-caxton-a2a-error");
  if (kind === null && failed === null) return null;
  const requestId = orEmpty(msg.inReplyTo);
  const context = orEmpty(msg.param("X-caxton-http-context"));
  if (failed !== null || msg.performative != Performative.Inform) {
    const e = new A2aError(failed !== null ? errorKind(failed) : A2aErrorKind.Malformed, orEmpty(msg.content));
    const status = msg.param("X-caxton-http-status");
    if (e.kind == A2aErrorKind.HttpStatus && status !== null) e.status = I32.parseInt(status);
    const code = msg.param("X-caxton-a2a-code");
    // The host writes a safe integer; anything else is no code (never a silent 0 or a cut value).
    if (code !== null && isDecimal(code)) {
      e.code = I64.parseInt(code);
      e.hasCode = true;
    }
    e.failure = msg.param("X-caxton-failure");
    return new A2aResponse(requestId, context, null, e);
  }
  const out = new A2aResult();
  out.contextId = orEmpty(msg.param("X-caxton-a2a-context-id"));
  out.text = orEmpty(msg.content);
  const states = msg.param("X-caxton-a2a-states");
  if (states !== null) out.states = states.length == 0 ? [] : states.split(",");
  if (kind == "task") {
    out.isTask = true;
    out.taskId = orEmpty(msg.param("X-caxton-a2a-task-id"));
    const state = msg.param("X-caxton-a2a-state");
    out.state = state !== null ? state : "unknown";
    const final = msg.param("X-caxton-a2a-final");
    out.final = final !== null && final == "true";
  } else {
    out.messageId = orEmpty(msg.param("X-caxton-a2a-message-id"));
  }
  return new A2aResponse(requestId, context, out, null);
}
