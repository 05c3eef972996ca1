/**
 * One outbound call, start to last byte (decision 1601): the allow-list checked again (the gateway
 * trusts nothing the sandbox decided), the name resolved and every address checked, the connection
 * pinned to the checked address, redirects followed by hand and re-checked, one deadline over the
 * whole call (all hops), the body capped while it streams. node:http/https directly: fetch() has
 * neither a per-request lookup hook nor a way to stop reading at a byte count.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { decideHttpAllow, parseHttpTarget, type HttpPolicy } from '@caxton/core';
import { HttpCallFailure, failureOf } from './call-failure.js';
import { pinnedLookup, resolveChecked, systemResolver, type Resolver } from './checked-resolve.js';
import type { ConnectionPools } from './connection-pools.js';
import { REDIRECT_STATUSES, planRedirect, type OutboundRequest } from './redirects.js';

/** The call as the gateway hands it over: method and URL as the agent wrote them, headers already sanitised. */
export interface OutboundCall {
  method: string;
  url: string;
  headers: [string, string][];
  body?: string;
  /** The agent's own bound; the policy's timeout caps it. */
  timeoutMs?: number;
}

export interface HttpResponseData {
  status: number;
  /** Lower-case names, in the order received (repeated headers repeat). */
  headers: [string, string][];
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
  redirects: number;
}

export interface OutboundClientDeps {
  pools: ConnectionPools;
  resolve?: Resolver;
  /** Aborts the call from outside (the kill switch); its reason is what the call rejects with. */
  signal?: AbortSignal;
  /**
   * A hop's request got a connected socket: from here on the service may have seen (and acted
   * on) the request, so an aborted call must not be sent again (decision 1601).
   */
  onConnected?: () => void;
}

type HopResult = { status: number; headers: [string, string][]; body: Buffer; location?: string };

export async function performHttpCall(policy: HttpPolicy, call: OutboundCall, deps: OutboundClientDeps): Promise<HttpResponseData> {
  const parsed = parseHttpTarget(call.url);
  if (!parsed.ok) throw new HttpCallFailure('address-denied', `invalid URL: ${parsed.reason}`);
  const method = call.method.toUpperCase();
  // The sandbox asked the same question when the agent called; the deployment may have been
  // upgraded to a narrower policy since, and the gateway does not take the sandbox's word for it.
  const allowed = decideHttpAllow(policy, method, parsed.target);
  if (!allowed.allowed)
    throw new HttpCallFailure('address-denied', `not allowed by the agent's policy: ${allowed.reason}`, { url: parsed.target.href });

  const timeoutMs = Math.max(1, Math.min(call.timeoutMs ?? policy.timeoutMs, policy.timeoutMs));
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new HttpCallFailure('timeout', `no complete response within ${timeoutMs} ms`, { timeoutMs })),
    timeoutMs,
  );
  const outer = deps.signal;
  const onOuterAbort = (): void => controller.abort(outer!.reason);
  if (outer?.aborted === true) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  let current: OutboundRequest = {
    method,
    target: parsed.target,
    headers: call.headers,
    rule: allowed.rule,
    ...(call.body !== undefined ? { body: call.body } : {}),
  };
  try {
    for (let followed = 0; ; followed++) {
      const hop = await sendHop(current, policy, deps, controller.signal);
      if (hop.location === undefined) {
        return { status: hop.status, headers: hop.headers, body: hop.body, url: current.target.href, redirects: followed };
      }
      const step = planRedirect(policy, current, hop.status, hop.location, followed);
      if (step.kind === 'denied') throw new HttpCallFailure('redirect-denied', step.reason, { from: current.target.href });
      current = step.request;
    }
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason as HttpCallFailure;
    throw failureOf(err, false);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** One request/response on a connection to a checked address. */
async function sendHop(req: OutboundRequest, policy: HttpPolicy, deps: OutboundClientDeps, signal: AbortSignal): Promise<HopResult> {
  const checked = await abortable(resolveChecked(req.target.host, req.rule.allowPrivate === true, deps.resolve ?? systemResolver), signal);
  const url = new URL(req.target.href);
  const https = req.target.scheme === 'https';
  const options = {
    method: req.method,
    hostname: req.target.host,
    port: req.target.port,
    path: `${url.pathname}${url.search}`,
    headers: Object.fromEntries(groupHeaders(req.headers)),
    agent: deps.pools.pool(req.target.scheme, req.rule.allowPrivate === true, policy.extraCaPem),
    lookup: pinnedLookup(checked),
    signal,
    // SNI carries the name (an IP literal is not a valid server name), and the certificate is
    // checked against it: the pinned address changes where we connect, not whom we expect.
    ...(https && isIP(req.target.host) === 0 ? { servername: req.target.host } : {}),
  };
  return new Promise<HopResult>((resolve, reject) => {
    let responded = false;
    const outgoing = (https ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
      responded = true;
      const status = res.statusCode ?? 0;
      const headers = rawHeaderPairs(res.rawHeaders);
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && typeof location === 'string') {
        discardBody(res, outgoing);
        resolve({ status, headers, body: Buffer.alloc(0), location });
        return;
      }
      const max = policy.maxResponseBytes;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) {
        outgoing.destroy(new HttpCallFailure('too-large', `the response declares ${declared} bytes, the limit is ${max}`, { limit: max }));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > max) {
          outgoing.destroy(new HttpCallFailure('too-large', `the response exceeded ${max} bytes`, { limit: max }));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (res.complete) resolve({ status, headers, body: Buffer.concat(chunks, received) });
        else reject(new HttpCallFailure('protocol', 'the connection closed before the response was complete'));
      });
      res.on('error', (err) => reject(failureOf(err, true)));
    });
    outgoing.on('error', (err) => reject(failureOf(err, responded)));
    if (deps.onConnected !== undefined) {
      const connected = deps.onConnected;
      // A pooled socket is connected already; a new one reports it (TCP, then TLS on top).
      outgoing.once('socket', (socket) => {
        if (!socket.connecting) connected();
        else {
          // Whichever comes first; a TLS socket's bytes follow its TCP connect either way.
          socket.once('connect', connected);
          socket.once('secureConnect', connected);
        }
      });
    }
    if (req.body !== undefined) outgoing.end(req.body, 'utf8');
    else outgoing.end();
  });
}

/**
 * A redirect's body is not wanted. Draining it (`res.resume()`) would keep reading after the call
 * returned, past its deadline and byte cap (the timer is cleared and the cap counts only the final
 * response): a service could stream gigabytes into the node on the strength of one 302. So the
 * connection is closed unless the body is known to be empty already; keep-alive reuse is lost for
 * redirects with a body, which is cheap next to an unbounded read.
 */
function discardBody(res: IncomingMessage, outgoing: ClientRequest): void {
  if (res.complete || res.headers['content-length'] === '0') {
    res.resume(); // nothing (more) to read: the socket goes back to the pool
    return;
  }
  // Destroying a response mid-body makes Node report `aborted` on it; nobody is listening any more.
  res.on('error', () => {});
  res.destroy();
  outgoing.destroy();
}

/** Headers as Node wants them: one entry per name, repeated ones as an array. */
function groupHeaders(headers: readonly [string, string][]): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    const prev = out.get(n);
    out.set(n, prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
  }
  return out;
}

function rawHeaderPairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/** Settles with `p`, or rejects as soon as `signal` aborts (name resolution can hang). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
