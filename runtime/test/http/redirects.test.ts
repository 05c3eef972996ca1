/** Redirect planning (runtime/src/http/redirects.ts): re-checked against the allow-list, methods, credentials, counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpTarget, type HttpPolicy } from '@caxton/core';
import { planRedirect, redirectMethod, type OutboundRequest } from '../../src/http/redirects.js';

const policy: Pick<HttpPolicy, 'allow' | 'maxRedirects'> = {
  allow: [{ host: 'api.example.com' }, { host: '*.cdn.example.com', methods: ['GET'] }, { host: 'plain.example.com', ports: [80, 443] }],
  maxRedirects: 2,
};

function request(url: string, method = 'GET', extra: Partial<OutboundRequest> = {}): OutboundRequest {
  const t = parseHttpTarget(url);
  assert.ok(t.ok);
  return {
    method,
    target: t.target,
    headers: [
      ['authorization', 'Bearer x'],
      ['content-type', 'application/json'],
      ['accept', '*/*'],
    ],
    rule: { host: t.target.host },
    ...extra,
  };
}

test('a relative redirect on an allowed host is followed, credentials kept (same origin)', () => {
  const step = planRedirect(policy, request('https://api.example.com/a'), 302, '/b?x=1', 0);
  assert.equal(step.kind, 'follow');
  assert.ok(step.kind === 'follow');
  assert.equal(step.request.target.href, 'https://api.example.com/b?x=1');
  assert.ok(step.request.headers.some(([n]) => n === 'authorization'));
});

test('a redirect to a host off the list is denied with the reason', () => {
  const step = planRedirect(policy, request('https://api.example.com/a'), 302, 'https://evil.example.net/', 0);
  assert.equal(step.kind, 'denied');
  assert.ok(step.kind === 'denied' && /evil\.example\.net/.test(step.reason) && /allow-list/.test(step.reason));
});

test('a redirect to another allowed origin drops credentials', () => {
  const step = planRedirect(policy, request('https://api.example.com/a'), 301, 'https://img.cdn.example.com/x', 0);
  assert.ok(step.kind === 'follow');
  assert.deepEqual(
    step.request.headers.map(([n]) => n),
    ['content-type', 'accept'],
  );
  assert.equal(step.request.rule.host, '*.cdn.example.com');
});

test('303 turns POST into GET without body; 307 keeps method and body', () => {
  const post = request('https://api.example.com/a', 'POST', { body: '{"a":1}' });
  const s303 = planRedirect(policy, post, 303, '/done', 0);
  assert.ok(s303.kind === 'follow');
  assert.equal(s303.request.method, 'GET');
  assert.equal(s303.request.body, undefined);
  assert.ok(!s303.request.headers.some(([n]) => n === 'content-type'));
  const s307 = planRedirect(policy, post, 307, '/again', 0);
  assert.ok(s307.kind === 'follow');
  assert.equal(s307.request.method, 'POST');
  assert.equal(s307.request.body, '{"a":1}');
});

test('the method after the redirect is checked too (the cdn rule allows GET only)', () => {
  const step = planRedirect(policy, request('https://api.example.com/a', 'PUT', { body: 'x' }), 307, 'https://a.cdn.example.com/', 0);
  assert.ok(step.kind === 'denied' && /PUT/.test(step.reason));
});

test('more than maxRedirects is denied', () => {
  assert.equal(planRedirect(policy, request('https://api.example.com/a'), 302, '/b', 1).kind, 'follow');
  const step = planRedirect(policy, request('https://api.example.com/a'), 302, '/b', 2);
  assert.ok(step.kind === 'denied' && /more than 2 redirects/.test(step.reason));
});

test('https → http downgrade and non-http schemes are denied', () => {
  const down = planRedirect(policy, request('https://plain.example.com/a'), 302, 'http://plain.example.com/a', 0);
  assert.ok(down.kind === 'denied' && /clear text/.test(down.reason));
  const ftp = planRedirect(policy, request('https://api.example.com/a'), 302, 'ftp://api.example.com/a', 0);
  assert.ok(ftp.kind === 'denied' && /scheme/.test(ftp.reason));
  const upgrade = planRedirect(policy, request('http://plain.example.com/a'), 301, 'https://plain.example.com/a', 0);
  assert.equal(upgrade.kind, 'follow');
});

test('redirectMethod follows RFC 9110 and the fetch standard', () => {
  assert.equal(redirectMethod('HEAD', 303), 'HEAD');
  assert.equal(redirectMethod('DELETE', 303), 'GET');
  assert.equal(redirectMethod('POST', 302), 'GET');
  assert.equal(redirectMethod('PUT', 302), 'PUT');
  assert.equal(redirectMethod('POST', 308), 'POST');
});
