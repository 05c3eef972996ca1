/** Deployment HTTP policy validation and the CLI's --allow-http flag (runtime/src/http/policy.ts, allow-flag.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@caxton/core';
import { HTTP_POLICY_MAXIMA, checkPem, nodeDefaultHttpPolicy, resolveHttpPolicy } from '../../src/http/policy.js';
import { parseAllowHttpFlag } from '../../src/http/allow-flag.js';

test('omitted fields take the node defaults; rules are normalised', () => {
  const p = resolveHttpPolicy({ allow: [{ host: 'API.Example.COM.', methods: ['get', 'GET'], ports: [443, 443] }] }, 'http');
  assert.deepEqual(p.allow, [{ host: 'api.example.com', methods: ['GET'], ports: [443] }]);
  const d = nodeDefaultHttpPolicy();
  assert.equal(p.timeoutMs, d.timeoutMs);
  assert.ok(p.maxResponseBytes <= HTTP_POLICY_MAXIMA.maxResponseBytes);
  assert.equal(p.extraCaPem, undefined);
});

test('out-of-range values are refused naming the field', () => {
  const bad: [object, RegExp][] = [
    [{ allow: [{ host: 'a.example', ports: [0] }] }, /allow\[0\]\.ports/],
    [{ allow: [{ host: 'a.example', ports: [65536] }] }, /allow\[0\]\.ports/],
    [{ allow: [{ host: 'a.example', methods: ['TRACE'] }] }, /methods/],
    [{ allow: [{ host: 'a.example', pathPrefixes: ['v1/'] }] }, /path_prefixes/],
    [{ allow: [{ host: 'bad host' }] }, /allow\[0\]\.host/],
    [{ allow: [{ host: '*.com' }] }, /top-level/],
    [{ allow: [{}] }, /host/],
    [{ timeoutMs: HTTP_POLICY_MAXIMA.timeoutMs + 1 }, /timeout_ms/],
    [{ maxResponseBytes: HTTP_POLICY_MAXIMA.maxResponseBytes + 1 }, /max_response_bytes/],
    [{ maxInFlight: -1 }, /max_in_flight/],
    [{ extraCaPem: 'not a pem' }, /extra_ca_pem/],
    [{ extraCaPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, /does not parse/],
  ];
  for (const [input, field] of bad) {
    assert.throws(
      () => resolveHttpPolicy(input, 'http'),
      (e: unknown) => e instanceof InvalidArgumentError && field.test(e.message),
      JSON.stringify(input),
    );
  }
});

test('maxRedirects 0 is meaningful (no redirects), not "default"', () => {
  assert.equal(resolveHttpPolicy({ maxRedirects: 0 }, 'http').maxRedirects, 0);
});

test('IP literals and wildcards are accepted hosts', () => {
  const p = resolveHttpPolicy(
    { allow: [{ host: '[2001:db8::1]' }, { host: '10.0.0.5', allowPrivate: true }, { host: '*.example.com' }] },
    'http',
  );
  assert.deepEqual(
    p.allow.map((r) => r.host),
    ['2001:db8::1', '10.0.0.5', '*.example.com'],
  );
  assert.equal(p.allow[1]!.allowPrivate, true);
});

test('checkPem refuses an empty PEM', () => {
  assert.throws(() => checkPem('', 'f'), /no PEM certificate/);
});

test('--allow-http host[:port][/pathprefix]', () => {
  assert.deepEqual(parseAllowHttpFlag('api.example.com'), { host: 'api.example.com' });
  assert.deepEqual(parseAllowHttpFlag('api.example.com:8443/v1/'), { host: 'api.example.com', ports: [8443], pathPrefixes: ['/v1/'] });
  assert.deepEqual(parseAllowHttpFlag('*.example.com/'), { host: '*.example.com' });
  assert.deepEqual(parseAllowHttpFlag('[2001:db8::1]:8080'), { host: '2001:db8::1', ports: [8080] });
  assert.throws(() => parseAllowHttpFlag('https://api.example.com'), /scheme/);
  assert.throws(() => parseAllowHttpFlag('api.example.com:99999'), /not a port/);
  assert.throws(() => parseAllowHttpFlag('api.example.com:http'), /not a port/);
});

test('path prefixes are normalised like request paths; ones no path could be judged against are refused', () => {
  const resolve = resolveHttpPolicy;
  const ok = resolve({ allow: [{ host: 'a.example', pathPrefixes: ['/api', '/über/', '/api'] }] }, 'header.http');
  assert.deepEqual(ok.allow[0]!.pathPrefixes, ['/api', '/%C3%BCber/']);
  for (const [prefix, why] of [
    ['/api/../admin', /\. or \.\. segments.*/],
    ['/a%2fb', /encoded/],
    ['/a//b', /empty segment/],
    ['/a?x=1', /query/],
    ['/a/..;/b', /dot segment/],
  ] as const) {
    assert.throws(
      () => resolve({ allow: [{ host: 'a.example', pathPrefixes: [prefix] }] }, 'header.http'),
      (err: Error & { hint?: string }) => why.test(err.message) && (err.hint ?? '') !== '',
      prefix,
    );
  }
  assert.throws(() => parseAllowHttpFlag('api.example.com/api/../admin'), /--allow-http.*\. or \.\. segments/);
});
