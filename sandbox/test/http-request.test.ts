/**
 * The checks `fetch` makes before a request becomes an effect (host/http-request.ts), pure: every
 * refusal is typed (denied / invalid-request / quota-exceeded) with a reason, and an accepted
 * request comes back normalised.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HTTP_POLICY } from '@caxton/core';
import type { HttpPolicy } from '@caxton/core';
import { checkHttpRequest } from '../src/host/http-request.js';
import type { WitHttpRequest } from '../src/host/http-request.js';

const policy: HttpPolicy = {
  ...DEFAULT_HTTP_POLICY,
  allow: [{ host: 'api.example.com', methods: ['GET', 'POST'], pathPrefixes: ['/v1/'] }],
  maxRequestBytes: 200,
};
const req = (extra: Partial<WitHttpRequest> = {}): WitHttpRequest => ({
  method: 'get',
  url: 'https://API.example.com/v1/quote?x=1',
  headers: [],
  ...extra,
});
const refusal = (r: ReturnType<typeof checkHttpRequest>): [string, string] => (r.ok ? ['ok', ''] : [r.refusal.kind, r.refusal.message]);

describe('fetch request checks', () => {
  it("accepts an allowed request, normalised (method upper case, URL as parsed, timeout at most the policy's)", () => {
    const r = checkHttpRequest(req({ headers: [['Accept', 'text/plain']], timeoutMs: 99_999, context: 'ctx' }), policy, 8192);
    assert.ok(r.ok);
    assert.deepEqual(r.request, {
      method: 'GET',
      url: 'https://api.example.com/v1/quote?x=1',
      headers: [['Accept', 'text/plain']],
      timeoutMs: DEFAULT_HTTP_POLICY.timeoutMs,
      context: 'ctx',
    });
  });

  it('denies everything without a policy, and what the allow-list does not allow', () => {
    assert.deepEqual(refusal(checkHttpRequest(req(), undefined, 8192))[0], 'denied');
    assert.match(refusal(checkHttpRequest(req(), undefined, 8192))[1], /no HTTP policy/);
    assert.deepEqual(refusal(checkHttpRequest(req({ url: 'https://evil.example.net/v1/' }), policy, 8192))[0], 'denied');
    assert.match(refusal(checkHttpRequest(req({ method: 'DELETE' }), policy, 8192))[1], /DELETE to api\.example\.com is not allowed/);
    assert.match(refusal(checkHttpRequest(req({ url: 'https://api.example.com/admin' }), policy, 8192))[1], /path \/admin/);
  });

  it('refuses invalid requests with the reason', () => {
    const cases: [Partial<WitHttpRequest>, RegExp][] = [
      [{ method: 'TRACE' }, /method TRACE is not supported/],
      [{ url: 'ftp://api.example.com/v1/' }, /scheme ftp: is not allowed/],
      [{ url: 'https://user:pw@api.example.com/v1/' }, /credentials/],
      [{ url: '/v1/relative' }, /not an absolute URL/],
      [{ headers: [['Bad Name', 'x']] }, /not a token/],
      [{ headers: [['X-Inject', 'a\r\nHost: internal']] }, /CR, LF or NUL/],
      [{ headers: [['Host', 'internal']] }, /set by the runtime/],
      [{ headers: [['Transfer-Encoding', 'chunked']] }, /set by the runtime/],
      [{ body: 'x' }, /a GET request has no body/],
      [{ timeoutMs: 0 }, /timeout-ms must be positive/],
      [{ context: 'c'.repeat(20) }, /context has more than 16 bytes/],
    ];
    for (const [extra, reason] of cases) {
      const [kind, message] = refusal(checkHttpRequest(req(extra), policy, 16));
      assert.equal(kind, 'invalid-request', JSON.stringify(extra));
      assert.match(message, reason);
    }
  });

  it('refuses a request larger than maxRequestBytes (URL + headers + body, UTF-8) as quota-exceeded', () => {
    const [kind, message] = refusal(checkHttpRequest(req({ method: 'POST', body: 'é'.repeat(90) }), policy, 8192));
    assert.equal(kind, 'quota-exceeded');
    assert.match(message, /more than the deployment's 200/);
    assert.ok(checkHttpRequest(req({ method: 'POST', body: 'x'.repeat(100) }), policy, 8192).ok);
  });
});
