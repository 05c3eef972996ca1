import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleNodeOptions } from '../src/commands/serve-console-options.js';

const noBundle = (): undefined => undefined;

test('--http is off by default; its companions without it are a usage error', () => {
  assert.equal(consoleNodeOptions({}, '/srv', undefined, noBundle), undefined);
  assert.throws(() => consoleNodeOptions({ httpInsecure: true }, '/srv', undefined, noBundle), /need --http/);
});

test('--http host:port, IPv6 in brackets; bad addresses are usage errors with an example', () => {
  assert.deepEqual(consoleNodeOptions({ http: '127.0.0.1:8080' }, '/srv', undefined, noBundle), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(consoleNodeOptions({ http: '[::1]:0' }, '/srv', undefined, noBundle), { host: '::1', port: 0 });
  for (const bad of ['8080', 'localhost:', 'h:70000', ':80'])
    assert.throws(() => consoleNodeOptions({ http: bad }, '/srv', undefined, noBundle), /not host:port/, bad);
});

test("TLS: its own pair, else the API's; --http-budget bounded; the bundle directory passed on", () => {
  const apiTls = { certFile: '/srv/api.pem', keyFile: '/srv/api.key' };
  assert.deepEqual(consoleNodeOptions({ http: '0.0.0.0:8443' }, '/srv', apiTls, noBundle)?.tls, apiTls);
  assert.deepEqual(consoleNodeOptions({ http: '0.0.0.0:8443', httpCert: 'c.pem', httpKey: 'k.pem' }, '/srv', apiTls, noBundle)?.tls, {
    certFile: '/srv/c.pem',
    keyFile: '/srv/k.pem',
  });
  assert.throws(() => consoleNodeOptions({ http: '0.0.0.0:8443', httpCert: 'c.pem' }, '/srv', undefined, noBundle), /go together/);
  assert.deepEqual(
    consoleNodeOptions({ http: '127.0.0.1:1', httpBudget: 200, httpInsecure: true }, '/srv', undefined, () => '/opt/console/dist'),
    { host: '127.0.0.1', port: 1, insecure: true, stream: { budget: 200 }, bundleDir: '/opt/console/dist' },
  );
  assert.throws(() => consoleNodeOptions({ http: '127.0.0.1:1', httpBudget: 0 }, '/srv', undefined, noBundle), /--http-budget/);
});
