import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideHttpAllow, hostMatches, parseHttpTarget, type HttpTarget } from '../../src/index.js';

function target(url: string): HttpTarget {
  const r = parseHttpTarget(url);
  assert.ok(r.ok, `expected ${url} to parse`);
  return r.target;
}

test('URLs: only absolute http(s), no credentials; host normalised, default ports', () => {
  assert.deepEqual(target('https://API.Example.com./v1/x?q=1'), {
    scheme: 'https',
    host: 'api.example.com',
    port: 443,
    path: '/v1/x',
    href: 'https://api.example.com./v1/x?q=1',
  });
  assert.equal(target('http://[::1]:8080/').host, '::1');
  assert.equal(target('http://[::1]:8080/').port, 8080);
  for (const bad of ['ftp://x/', 'file:///etc/passwd', '/relative', 'http://user:pw@x/', 'javascript:alert(1)', 'not a url']) {
    assert.equal(parseHttpTarget(bad).ok, false, bad);
  }
});

test('hosts: exact names, case-insensitive; wildcards match subdomains only', () => {
  assert.ok(hostMatches('API.example.com', 'api.example.com'));
  assert.ok(hostMatches('*.example.com', 'a.b.example.com'));
  assert.ok(!hostMatches('*.example.com', 'example.com'));
  assert.ok(!hostMatches('*.example.com', 'evilexample.com'));
  assert.ok(!hostMatches('example.com', 'example.com.evil.net'));
  assert.ok(hostMatches('[::1]', '::1'));
});

test('the first rule that allows the method, port and path wins; the refusal names the nearest reason', () => {
  const policy = {
    allow: [
      { host: 'api.example.com', methods: ['GET'], pathPrefixes: ['/v1/'] },
      { host: 'localhost', ports: [8080], allowPrivate: true },
    ],
  };
  assert.equal(decideHttpAllow(policy, 'get', target('https://api.example.com/v1/items')).allowed, true);
  const post = decideHttpAllow(policy, 'POST', target('https://api.example.com/v1/items'));
  assert.ok(!post.allowed && /POST to api.example.com is not allowed/.test(post.reason));
  const path = decideHttpAllow(policy, 'GET', target('https://api.example.com/admin'));
  assert.ok(!path.allowed && /path \/admin/.test(path.reason));
  const port = decideHttpAllow(policy, 'GET', target('http://api.example.com:8443/v1/'));
  assert.ok(!port.allowed && /port 8443/.test(port.reason));
  const other = decideHttpAllow(policy, 'GET', target('https://evil.net/'));
  assert.ok(!other.allowed && /not on the agent's allow-list/.test(other.reason));
  assert.equal(decideHttpAllow(policy, 'GET', target('http://localhost:8080/x')).allowed, true);
  assert.equal(decideHttpAllow(policy, 'GET', target('http://localhost/x')).allowed, false);
  const none = decideHttpAllow({ allow: [] }, 'GET', target('https://api.example.com/'));
  assert.ok(!none.allowed && /allows no hosts/.test(none.reason));
  assert.equal(decideHttpAllow(policy, 'CONNECT', target('https://api.example.com/v1/')).allowed, false);
});
