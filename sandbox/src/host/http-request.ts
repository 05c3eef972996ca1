/**
 * The checks `fetch` makes before a request becomes an effect (decision 1601). Pure: a request in
 * the world's shape and the agent's policy in, a normalised request or a typed refusal out. The
 * allow-list decision itself is core's (`parseHttpTarget`, `decideHttpAllow`), shared with the
 * node's gateway, which asks again for every redirect.
 */
import type { HttpErrorKind, HttpPolicy, HttpRequestSpec } from '@caxton/core';
import { HTTP_METHODS, decideHttpAllow, isForbiddenRequestHeader, parseHttpTarget, utf8ByteLength } from '@caxton/core';

/** The WIT `request` record as both binding paths hand it over. */
export interface WitHttpRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body?: string | null | undefined;
  timeoutMs?: number | null | undefined;
  context?: string | null | undefined;
}

export interface HttpRefusal {
  kind: HttpErrorKind;
  message: string;
}

/** Most headers one request may carry (a list the host lifts entry by entry). */
export const MAX_HTTP_HEADERS = 100;

/**
 * Headers the gateway writes itself. Letting an agent set them would let it talk to another
 * virtual host than the one the allow-list checked (Host), or desynchronise the framing
 * (Content-Length, Transfer-Encoding: request smuggling).
 */

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: no CR, LF or NUL (no header injection). */
const BAD_VALUE = /[\r\n\0]/;

export type CheckedRequest = { ok: true; request: HttpRequestSpec } | { ok: false; refusal: HttpRefusal };

const refuse = (kind: HttpErrorKind, message: string): CheckedRequest => ({ ok: false, refusal: { kind, message } });

/**
 * Validates `req` against `policy` (absent: the deployment allows no HTTP). `maxContextBytes`: the
 * context is echoed as a message parameter, so it is held to the bus's field limit.
 */
export function checkHttpRequest(req: WitHttpRequest, policy: HttpPolicy | undefined, maxContextBytes: number): CheckedRequest {
  if (policy === undefined) {
    return refuse(
      'denied',
      'this agent may not make HTTP calls: its deployment has no HTTP policy (deploy it with an allow-list of hosts)',
    );
  }
  const method = req.method.toUpperCase();
  if (!HTTP_METHODS.includes(method))
    return refuse('invalid-request', `method ${clip(req.method)} is not supported (${HTTP_METHODS.join(', ')})`);
  const parsed = parseHttpTarget(req.url);
  if (!parsed.ok) return refuse('invalid-request', parsed.reason);
  let size = utf8ByteLength(parsed.target.href);
  for (const [name, value] of req.headers) {
    if (!TOKEN.test(name)) return refuse('invalid-request', `header name ${clip(JSON.stringify(name))} is not a token`);
    if (BAD_VALUE.test(value)) return refuse('invalid-request', `header ${clip(name)} has a CR, LF or NUL in its value`);
    if (isForbiddenRequestHeader(name)) return refuse('invalid-request', `header ${clip(name)} is set by the runtime, not by the agent`);
    size += utf8ByteLength(name) + utf8ByteLength(value) + 4; // ": " and CRLF, as on the wire
  }
  const body = req.body ?? undefined;
  if (body !== undefined) {
    if (method === 'GET' || method === 'HEAD') return refuse('invalid-request', `a ${method} request has no body`);
    size += utf8ByteLength(body);
  }
  if (size > policy.maxRequestBytes) {
    return refuse(
      'quota-exceeded',
      `the request has ${size} bytes (URL, headers and body), more than the deployment's ${policy.maxRequestBytes}`,
    );
  }
  const context = req.context ?? undefined;
  if (context !== undefined && utf8ByteLength(context) > maxContextBytes) {
    return refuse('invalid-request', `the context has more than ${maxContextBytes} bytes (it comes back as a message parameter)`);
  }
  const timeout = req.timeoutMs ?? undefined;
  if (timeout !== undefined && timeout <= 0) return refuse('invalid-request', 'timeout-ms must be positive');
  const decision = decideHttpAllow(policy, method, parsed.target);
  if (!decision.allowed) return refuse('denied', decision.reason);
  const request: HttpRequestSpec = { method, url: parsed.target.href, headers: req.headers.map(([k, v]) => [k, v]) };
  if (body !== undefined) request.body = body;
  // Never longer than the deployment's timeout: the gateway enforces that one anyway.
  if (timeout !== undefined) request.timeoutMs = Math.min(timeout, policy.timeoutMs);
  if (context !== undefined) request.context = context;
  return { ok: true, request };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
