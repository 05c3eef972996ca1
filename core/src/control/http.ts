/**
 * Outbound HTTP through a deployment's allow-list (the WIT `caxton:agent/http` interface, decision
 * 1601): the shapes the sandbox, the bus and the node's HTTP gateway share. An agent's `fetch`
 * becomes an `HttpCall` effect, applied (the request leaves) only when its handling completes; the
 * response comes back into the agent as a message from `http@<platform>`.
 */

/** What the agent asked for, as the WIT `request` record (validated by the sandbox). */
export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: [string, string][];
  body?: string;
  timeoutMs?: number;
  context?: string;
  /**
   * Set for an A2A call (`caxton:agent/a2a`, decision 2193): the gateway reads the answer as one
   * JSON-RPC response (`a2a`) or a stream of server-sent events (`a2a-stream`) before the agent
   * gets it. Absent: the answer is the HTTP response as it is.
   */
  a2a?: A2aAnswerForm;
}

/** How the gateway reads an A2A call's answer: one JSON-RPC response, or a stream's events read whole. */
export type A2aAnswerForm = 'a2a' | 'a2a-stream';

/** A request an agent made while handling one piece of work; `id` is the response's in-reply-to. */
export interface HttpCall {
  id: string;
  request: HttpRequestSpec;
}

/**
 * One entry of the allow-list. `host` is a DNS name (`api.example.com`), a wildcard for its
 * subdomains (`*.example.com`) or an IP literal. Absent fields allow everything of that kind.
 */
export interface HttpAllowRule {
  host: string;
  /** Allowed ports (default: 80 for http, 443 for https). */
  ports?: number[];
  /** Allowed methods, upper case. */
  methods?: string[];
  /** Allowed path prefixes (`/v1/`). */
  pathPrefixes?: string[];
  /**
   * The host may resolve to loopback, link-local or private addresses. Off by default: a name on
   * the list that resolves there is refused at connect time (DNS rebinding, SSRF).
   */
  allowPrivate?: boolean;
}

/** What a deployment allows an agent to call, and the bounds of every call. Deny by default. */
export interface HttpPolicy {
  allow: HttpAllowRule[];
  /** Per request, from sending to the last byte of the response. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Request body + headers + URL, UTF-8 bytes. */
  maxRequestBytes: number;
  /** Calls of one agent waiting for their response at once. */
  maxInFlight: number;
  /** Calls one handling may start. */
  maxCallsPerHandling: number;
  maxRedirects: number;
  /** PEM of extra CA certificates trusted besides the system's store. */
  extraCaPem?: string;
}

/** A policy as a client sent it, unvalidated: any field may be missing (the node fills defaults and checks it). */
export type HttpPolicyInput = Partial<Omit<HttpPolicy, 'allow'>> & { allow?: Partial<HttpAllowRule>[] };

export const DEFAULT_HTTP_POLICY: HttpPolicy = Object.freeze({
  allow: [],
  timeoutMs: 10_000,
  maxResponseBytes: 1024 * 1024,
  maxRequestBytes: 256 * 1024,
  maxInFlight: 16,
  maxCallsPerHandling: 8,
  maxRedirects: 5,
}) as HttpPolicy;

/** The WIT `http-error-kind`s: refusals `fetch` returns at once. */
export type HttpErrorKind = 'denied' | 'invalid-request' | 'quota-exceeded';

/**
 * Why a call that was started has no response (`X-caxton-failure` of the `failure` message the
 * agent gets). `interrupted`: the node stopped while the call was in flight; it is not repeated,
 * since the service may have acted on it.
 */
export type HttpFailureKind =
  | 'timeout'
  | 'too-large'
  | 'redirect-denied'
  | 'address-denied'
  | 'connect-failed'
  | 'tls'
  | 'protocol'
  | 'quota-exceeded'
  | 'interrupted';

/**
 * The node's instrumentation event for one outbound call, when its answer was sent to the agent
 * (decision 1601): what an operator needs to see which agent called what and how it went.
 * `status` when the service answered, `failure` when it did not.
 */
export interface HttpCallEvent {
  type: 'http-call';
  agent: string;
  callId: string;
  method: string;
  /** Host of the URL the agent asked for (not of a redirect). */
  host: string;
  status?: number;
  failure?: HttpFailureKind;
  durationMs: number;
  /** Response body bytes received. */
  bytes: number;
}
