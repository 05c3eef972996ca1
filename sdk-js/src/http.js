// Outbound HTTP through the deployment's allow-list (interface `http` in wit/agent.wit, decision
// 1601):
//
//   import { http, httpResponse } from '@caxton/sdk-js/http';
//   const id = http.fetch({ method: 'GET', url: 'https://api.example.com/v1/x', context: 'whom to answer' });
//   … later, in onMessage: const r = httpResponse(msg); if (r) { r.status, r.body, r.context }
//
// A call never blocks: `fetch` checks the request and returns its id at once; the request leaves
// only if this handling completes (like a sent message), and the response comes back later as a
// message (see http-response.js). A separate entry point on purpose: importing it is what makes the
// component import caxton:agent/http.
import net from 'caxton:agent/http@0.1.0';

export { httpResponse, isHttpResponse, httpAgentName } from './http-response.js';

/** A request `fetch` refused at once; `kind` is denied, invalid-request or quota-exceeded. */
export class HttpError extends Error {
  constructor(method, url, kind, reason) {
    super(`http ${method} ${url}: ${kind}: ${reason}`);
    this.name = 'HttpError';
    this.kind = kind;
    this.reason = reason;
  }
}

function optionalString(what, v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new TypeError(`http request ${what} must be a string, got ${typeof v}`);
  return v;
}

export const http = {
  /**
   * Starts a request: { method = 'GET', url, headers ([[name, value]] or an object), body?,
   * timeoutMs?, context? }. Returns its id (the response's inReplyTo); throws HttpError when refused.
   */
  fetch({ method = 'GET', url, headers = [], body, timeoutMs, context } = {}) {
    if (typeof url !== 'string') throw new TypeError('http request url must be a string');
    const request = {
      method: String(method).toUpperCase(),
      url,
      headers: (Array.isArray(headers) ? headers : Object.entries(headers)).map(([k, v]) => [String(k), String(v)]),
      body: optionalString('body', body),
      timeoutMs: timeoutMs === undefined || timeoutMs === null ? undefined : timeoutMs >>> 0,
      context: optionalString('context', context),
    };
    try {
      return net.fetch(request);
    } catch (e) {
      const err = e?.payload ?? e;
      if (err && typeof err === 'object' && typeof err.kind === 'string') {
        throw new HttpError(request.method, url, err.kind, String(err.message ?? ''));
      }
      throw e;
    }
  },
};
