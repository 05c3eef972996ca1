// Outbound HTTP through the deployment's allow-list (interface `http` in wit/agent.wit, decision
// 1601), and reading the responses.
//
// A call never blocks: `Http.fetch` checks the request and returns its id at once; the request
// leaves only if this handling completes (like a sent message). The response arrives later as a
// message from `http@<platform>`: `inform` for any HTTP status, `failure` when there was no
// response. Its `in-reply-to` is the id `fetch` returned; whatever the request carried in
// `context` comes back, so an agent can remember whom to answer without keeping state.
import * as raw from "./abi/wit/http";
import { arenaAlloc, arenaReset } from "./abi/arena";
import { liftStringAt } from "./abi/lift";
import { lowerPairListAt } from "./abi/lower";
import * as L from "./abi/wit/layout";
import { AclMessage, KeyValue } from "./types";
import { Performative } from "./performative";
import { self } from "./context";

/** Why `fetch` refused a request at once (WIT `http-error-kind`, in the same order). */
export enum HttpErrorKind {
  /** The host, method or path is not on the deployment's allow-list. */
  Denied = 0,
  /** Not a valid request (URL, method, header). */
  InvalidRequest = 1,
  /** Too many calls in flight or in this handling, or the request is too large. */
  QuotaExceeded = 2,
}

const KIND_NAMES: StaticArray<string> = ["denied", "invalid-request", "quota-exceeded"];

export function httpErrorKindName(kind: HttpErrorKind): string {
  return KIND_NAMES[<i32>kind];
}

export class HttpError {
  constructor(public kind: HttpErrorKind, public message: string) {}

  toString(): string {
    return "http " + httpErrorKindName(this.kind) + ": " + this.message;
  }
}

/** A request for `Http.fetch`; the setters return `this` so calls chain. */
export class HttpRequest {
  headers: KeyValue[] = [];
  body: string | null = null;
  /** Shorter than the deployment's timeout; meaningful only when `hasTimeout`. */
  timeoutMs: u32 = 0;
  hasTimeout: bool = false;
  /** Echoed back on the response as `X-caxton-http-context`. */
  context: string | null = null;

  /** `method`: GET, POST, PUT, PATCH, DELETE or HEAD; `url`: absolute http(s) URL. */
  constructor(public method: string, public url: string) {}

  header(name: string, value: string): HttpRequest {
    this.headers.push(new KeyValue(name, value));
    return this;
  }

  withBody(body: string): HttpRequest {
    this.body = body;
    return this;
  }

  withTimeout(ms: u32): HttpRequest {
    this.timeoutMs = ms;
    this.hasTimeout = true;
    return this;
  }

  withContext(context: string): HttpRequest {
    this.context = context;
    return this;
  }
}

/** What `Http.fetch` returned: the request id, or why the request was refused. */
export class FetchResult {
  constructor(public id: string | null, public error: HttpError | null) {}

  get ok(): bool {
    return this.error === null;
  }
}

/** Reads a result<string, http-error> at `ret`. */
export function liftFetchResult(ret: usize): FetchResult {
  const d = load<u8>(ret);
  const payload = ret + L.RESULT_STRING_HTTP_ERROR_PAYLOAD;
  if (d == 0) return new FetchResult(liftStringAt(payload), null);
  if (d != 1) unreachable();
  const kind = <u32>load<u8>(payload + L.HTTP_ERROR_KIND);
  if (kind >= L.HTTP_ERROR_KIND_CASES) unreachable(); // the host broke the ABI
  return new FetchResult(null, new HttpError(<HttpErrorKind>kind, liftStringAt(payload + L.HTTP_ERROR_MESSAGE)));
}

export class Http {
  /** Starts `request`; the response's `in-reply-to` is the returned id. */
  static fetch(request: HttpRequest): FetchResult {
    const headers = arenaAlloc(L.SLICE_SIZE, L.SLICE_ALIGN);
    lowerPairListAt(headers, request.headers);
    const body = request.body;
    const context = request.context;
    const ret = arenaAlloc(L.RESULT_STRING_HTTP_ERROR_SIZE, L.RESULT_STRING_HTTP_ERROR_ALIGN);
    raw.fetch(
      changetype<usize>(request.method), <u32>request.method.length,
      changetype<usize>(request.url), <u32>request.url.length,
      load<u32>(headers), load<u32>(headers, 4),
      body === null ? 0 : 1, body === null ? 0 : changetype<usize>(body), body === null ? 0 : <u32>body.length,
      request.hasTimeout ? 1 : 0, request.timeoutMs,
      context === null ? 0 : 1, context === null ? 0 : changetype<usize>(context), context === null ? 0 : <u32>context.length,
      ret,
    );
    const result = liftFetchResult(ret);
    arenaReset();
    return result;
  }
}

/** `http@<platform>` of this agent's platform: the sender of HTTP responses. */
export function httpAgentName(): string {
  const name = self().name;
  const at = name.lastIndexOf("@");
  return "http@" + (at < 0 ? "" : name.substring(at + 1));
}

/** Whether `msg` is the response (or failure) to an HTTP call this agent made. */
export function isHttpResponse(msg: AclMessage): bool {
  const sender = msg.sender;
  if (sender === null || msg.inReplyTo === null) return false;
  if (msg.performative != Performative.Inform && msg.performative != Performative.Failure) return false;
  return sender.name == httpAgentName();
}

/** An HTTP response message, read. */
export class HttpResponse {
  constructor(private msg: AclMessage) {}

  /** The id `Http.fetch` returned for the request. */
  get requestId(): string {
    const id = this.msg.inReplyTo;
    return id !== null ? id : "";
  }

  /** True when the service answered (any status); false when there is no response (`failure`). */
  get answered(): bool {
    return this.msg.performative == Performative.Inform;
  }

  /** The HTTP status, or -1 when there is no response. */
  get status(): i32 {
    const s = this.msg.param("X-caxton-http-status");
    return s === null ? -1 : I32.parseInt(s);
  }

  /** Why there is no response (`timeout`, `connect-failed`, `interrupted`…), or null. */
  get failure(): string | null {
    return this.msg.param("X-caxton-failure");
  }

  /** The request's `context`, or null when it had none. */
  get context(): string | null {
    return this.msg.param("X-caxton-http-context");
  }

  /** The body as text; base64 when `bodyIsBase64` (the service sent bytes that are not UTF-8). */
  get body(): string {
    const c = this.msg.content;
    return c !== null ? c : "";
  }

  get bodyIsBase64(): bool {
    const e = this.msg.encoding;
    return e !== null && e == "base64";
  }

  /** A response header (any case), or null. */
  header(name: string): string | null {
    return this.msg.param("X-caxton-http-header-" + name.toLowerCase());
  }
}

/** Reads `msg` as an HTTP response, or null when it is not one (see `isHttpResponse`). */
export function httpResponse(msg: AclMessage): HttpResponse | null {
  return isHttpResponse(msg) ? new HttpResponse(msg) : null;
}
