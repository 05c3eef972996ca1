/**
 * Redirects, followed by hand (decision 1601): every hop is a new request, checked against the
 * allow-list like the first (and, when it connects, against the address guard), so a listed service
 * cannot bounce an agent to an unlisted one. Pure.
 */
import { decideHttpAllow, parseHttpTarget, type HttpAllowRule, type HttpPolicy, type HttpTarget } from '@caxton/core';

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** One hop of a call: what is sent where, and the rule that allowed it. */
export interface OutboundRequest {
  method: string;
  target: HttpTarget;
  headers: [string, string][];
  body?: string;
  rule: HttpAllowRule;
}

export type RedirectStep = { kind: 'follow'; request: OutboundRequest } | { kind: 'denied'; reason: string };

/** Headers that carry credentials: not forwarded to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
/** Headers that describe a body: dropped when the redirect turns the request into a GET. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location']);

/**
 * What to do with a redirect response to `current`: follow it (the next hop) or refuse. The caller
 * handles non-redirect statuses and a missing Location (both are answers the agent gets as is).
 * `followed`: redirects already followed in this call.
 */
export function planRedirect(
  policy: Pick<HttpPolicy, 'allow' | 'maxRedirects'>,
  current: OutboundRequest,
  status: number,
  location: string,
  followed: number,
): RedirectStep {
  if (followed >= policy.maxRedirects) return { kind: 'denied', reason: `more than ${policy.maxRedirects} redirects` };
  let href: string;
  try {
    href = new URL(location, current.target.href).href;
  } catch {
    return { kind: 'denied', reason: `redirect to an invalid location: ${location.slice(0, 200)}` };
  }
  const parsed = parseHttpTarget(href);
  if (!parsed.ok) return { kind: 'denied', reason: `redirect refused: ${parsed.reason}` };
  const target = parsed.target;
  if (current.target.scheme === 'https' && target.scheme === 'http') {
    return { kind: 'denied', reason: `redirect from https to http (${target.host}) refused: it would send the request in clear text` };
  }
  const method = redirectMethod(current.method, status);
  const allowed = decideHttpAllow(policy, method, target);
  if (!allowed.allowed) return { kind: 'denied', reason: `redirect to ${target.href.slice(0, 200)} refused: ${allowed.reason}` };
  const keepBody = method === current.method;
  const sameOrigin = target.scheme === current.target.scheme && target.host === current.target.host && target.port === current.target.port;
  const headers = current.headers.filter(([name]) => {
    const n = name.toLowerCase();
    if (!sameOrigin && CREDENTIAL_HEADERS.has(n)) return false;
    return keepBody || !BODY_HEADERS.has(n);
  });
  const next: OutboundRequest = { method, target, headers, rule: allowed.rule };
  if (keepBody && current.body !== undefined) next.body = current.body;
  return { kind: 'follow', request: next };
}

/**
 * 303 turns anything but HEAD into GET (RFC 9110 15.4.4); 301 and 302 turn POST into GET, as every
 * browser and the fetch standard do; 307 and 308 keep method and body.
 */
export function redirectMethod(method: string, status: number): string {
  if (status === 303) return method === 'HEAD' ? 'HEAD' : 'GET';
  if ((status === 301 || status === 302) && method === 'POST') return 'GET';
  return method;
}
