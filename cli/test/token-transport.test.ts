/**
 * Where the CLI may send a token (decision 1401): the loopback test, the plaintext refusal and
 * serve's warning, as pure decisions (the e2e test covers the real refusal when the machine has a
 * non-loopback address).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressHost, checkTokenTransport, isLoopbackHost, PlaintextTokenError } from '../src/token-transport.js';
import { noAuthApiWarning, plaintextApiWarning } from '../src/commands/serve-plaintext-warning.js';
import { EXIT } from '../src/exit-codes.js';

describe('token transport', () => {
  it('finds the host of every address form', () => {
    assert.equal(addressHost('127.0.0.1:50051'), '127.0.0.1');
    assert.equal(addressHost('[::1]:50051'), '::1');
    assert.equal(addressHost('LocalHost:1'), 'localhost');
    assert.equal(addressHost('dns:caxton.example.com:443'), 'caxton.example.com');
    assert.equal(addressHost('dns://8.8.8.8/caxton.example.com:443'), 'caxton.example.com');
    assert.equal(addressHost('ipv4:10.0.0.5:50051'), '10.0.0.5');
    assert.equal(addressHost('unix:/run/caxton.sock'), 'unix');
  });

  it('counts loopback names, 127/8, ::1 and unix sockets as loopback, nothing else', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'unix']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '10.0.0.5', '192.168.1.2', 'caxton.example.com', '::', 'localhost.example.com', '127.0.0.1.nip.io'])
      assert.ok(!isLoopbackHost(h), h);
  });

  it('refuses a plaintext token to a non-loopback address unless TLS or --insecure', () => {
    const refused = (e: unknown): boolean =>
      e instanceof PlaintextTokenError &&
      e.exitCode === EXIT.USAGE &&
      /--insecure/.test(e.hint ?? '') &&
      /10\.0\.0\.5:50051/.test(e.message);
    assert.throws(() => checkTokenTransport({ address: '10.0.0.5:50051', tls: false, hasToken: true, insecure: false }), refused);
    checkTokenTransport({ address: '10.0.0.5:50051', tls: true, hasToken: true, insecure: false });
    checkTokenTransport({ address: '10.0.0.5:50051', tls: false, hasToken: true, insecure: true });
    checkTokenTransport({ address: '10.0.0.5:50051', tls: false, hasToken: false, insecure: false });
    checkTokenTransport({ address: '127.0.0.1:50051', tls: false, hasToken: true, insecure: false });
  });

  it('serve warns about a plaintext API beyond loopback only', () => {
    assert.match(plaintextApiWarning({ apiHost: '0.0.0.0' }) ?? '', /PLAINTEXT \(no TLS\)/);
    assert.match(plaintextApiWarning({ apiHost: '10.1.2.3' }) ?? '', /--cert\/--key/);
    assert.equal(plaintextApiWarning({ apiHost: '127.0.0.1' }), undefined);
    assert.equal(plaintextApiWarning({ apiHost: '::1' }), undefined);
    assert.equal(plaintextApiWarning({ apiHost: '0.0.0.0', tls: { certFile: 'c', keyFile: 'k' } }), undefined);
  });

  it("uses core's one loopback predicate: a DNS name starting with 127. is not loopback (issue 26)", () => {
    for (const h of ['127.example.com', 'localhost.evil.com', '0x7f.1']) {
      assert.equal(isLoopbackHost(h), false, h);
      assert.match(plaintextApiWarning({ apiHost: h }) ?? '', /PLAINTEXT/, h);
      assert.match(noAuthApiWarning({ apiHost: h, auth: { mode: 'none' } }) ?? '', /accepts calls from anyone/, h);
      assert.throws(
        () => checkTokenTransport({ address: `${h}:50051`, tls: false, hasToken: true, insecure: false }),
        PlaintextTokenError,
        h,
      );
    }
    for (const h of ['127.0.0.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      assert.equal(plaintextApiWarning({ apiHost: h }), undefined, h);
      assert.equal(noAuthApiWarning({ apiHost: h, auth: { mode: 'none' } }), undefined, h);
    }
    assert.equal(noAuthApiWarning({ apiHost: '0.0.0.0', auth: { mode: 'token' } as never }), undefined);
  });
});
