/**
 * Path prefixes on segment boundaries (core/src/control/http-path.ts, issue 26), through the
 * allow-list decision the sandbox and the gateway both ask: `/api` admits `/api` and `/api/x`,
 * not `/api-admin`; what the URL parser leaves for a server to reinterpret is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideHttpAllow, parseHttpTarget, pathUnderPrefix, type HttpTarget } from '../../src/index.js';

function target(url: string): HttpTarget {
  const t = parseHttpTarget(url);
  assert.ok(t.ok, url);
  return t.target;
}

const policy = {
  allow: [
    { host: 'svc.example', pathPrefixes: ['/api'] },
    { host: 'v1.example', pathPrefixes: ['/v1/'] },
  ],
};
const allowed = (url: string): boolean => decideHttpAllow(policy, 'GET', target(url)).allowed;

test('/api admits /api and below it, on segment boundaries only', () => {
  for (const url of [
    'https://svc.example/api',
    'https://svc.example/api/',
    'https://svc.example/api/x',
    'https://svc.example/api/x/y?q=1',
    'https://svc.example/api/a-b',
  ]) {
    assert.ok(allowed(url), url);
  }
  for (const url of [
    'https://svc.example/api-admin',
    'https://svc.example/apix',
    'https://svc.example/ap',
    'https://svc.example/',
    'https://svc.example/admin/api',
  ]) {
    const d = decideHttpAllow(policy, 'GET', target(url));
    assert.ok(!d.allowed && /not allowed \(allowed prefixes: \/api\)/.test(d.reason), url);
  }
});

test('a prefix written with a trailing slash admits the directory itself and below it', () => {
  assert.ok(allowed('https://v1.example/v1'));
  assert.ok(allowed('https://v1.example/v1/items'));
  assert.ok(!allowed('https://v1.example/v10/items'));
  assert.ok(!allowed('https://v1.example/v1-beta/items'));
});

test('dot segments are resolved by the URL parser before matching (in every spelling)', () => {
  for (const url of [
    'https://svc.example/api/../admin',
    'https://svc.example/api/%2e%2e/admin',
    'https://svc.example/api/.%2E/admin',
    'https://svc.example/api/x/../../admin',
    'https://svc.example/api\\..\\admin',
  ]) {
    assert.equal(target(url).path, '/admin', url);
    assert.ok(!allowed(url), url);
  }
  assert.ok(allowed('https://svc.example/x/../api/y'), 'a path that ends up under the prefix is under it');
});

test('encoded separators, empty segments and dot segments with parameters are refused under a prefix', () => {
  for (const [url, why] of [
    ['https://svc.example/api/x%2f..%2f..%2fadmin', /encoded/],
    ['https://svc.example/api/x%2F..%2Fadmin', /encoded/],
    ['https://svc.example/api/x%5c..%5cadmin', /encoded/],
    ['https://svc.example/api/x%252f..%252fadmin', /encoded/],
    ['https://svc.example/api//x', /empty segment/],
    ['https://svc.example//api/x', /empty segment/],
    ['https://svc.example/api/..;/admin', /dot segment with parameters/],
    ['https://svc.example/api/.;x/y', /dot segment with parameters/],
  ] as const) {
    const d = decideHttpAllow(policy, 'GET', target(url));
    assert.ok(!d.allowed && why.test(d.reason), `${url}: ${d.allowed ? 'allowed' : d.reason}`);
  }
  // Without path prefixes the rule does not look at the path at all.
  assert.ok(decideHttpAllow({ allow: [{ host: 'svc.example' }] }, 'GET', target('https://svc.example/a%2fb//c')).allowed);
});

test('pathUnderPrefix', () => {
  assert.ok(pathUnderPrefix('/anything', '/'));
  assert.ok(pathUnderPrefix('/a/b', '/a/b'));
  assert.ok(!pathUnderPrefix('/a/bc', '/a/b'));
  assert.ok(pathUnderPrefix('/a/b/c', '/a/b/'));
});
