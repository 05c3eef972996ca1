/** The plaintext-beyond-loopback check and etcd URL rules (topology/cluster/transport-security.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaxtonError } from '@caxton/core';
import {
  etcdUrls,
  etcdUsesTls,
  hostOf,
  insecureClusterError,
  insecureLinks,
  isLoopbackHost,
} from '../../../src/topology/cluster/transport-security.js';
import { securityFailure } from '../../../src/log/kafka/client.js';
import { isTlsFailure } from '../../../src/registry/etcd/connection.js';

const sasl = { mechanism: 'scram-sha-512' as const, username: 'caxton', password: 'pw' };

describe('cluster transport security', () => {
  it('finds the host in host:port, [v6]:port and URLs', () => {
    assert.equal(hostOf('kafka-0.kafka:9092'), 'kafka-0.kafka');
    assert.equal(hostOf('[::1]:9092'), '::1');
    assert.equal(hostOf('https://etcd.internal:2379'), 'etcd.internal');
    assert.equal(hostOf('http://127.0.0.1:2379/'), '127.0.0.1');
    assert.equal(hostOf('::1'), '::1');
  });

  it('trusts only loopback addresses and localhost as local', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1', '192.168.1.2', 'kafka', 'localhost.evil.example', '127.0.0.1.nip.io', '0.0.0.0'])
      assert.ok(!isLoopbackHost(h), h);
  });

  it('loopback links may stay plaintext', () => {
    assert.deepEqual(insecureLinks({ brokers: ['127.0.0.1:9092', 'localhost:9093'] }, { endpoints: ['http://127.0.0.1:2379'] }), []);
  });

  it('names every non-loopback link without TLS or authentication', () => {
    const links = insecureLinks({ brokers: ['kafka-0:9092', '127.0.0.1:9092'] }, { endpoints: ['http://etcd:2379', 'etcd-1:2379'] });
    assert.deepEqual(links, [
      { service: 'kafka', address: 'kafka-0:9092', missing: ['tls', 'authentication'] },
      { service: 'etcd', address: 'http://etcd:2379', missing: ['tls', 'authentication'] },
      { service: 'etcd', address: 'http://etcd-1:2379', missing: ['tls', 'authentication'] },
    ]);
  });

  it('TLS alone is not enough: authentication (SASL, a password or a client certificate) is required too', () => {
    assert.deepEqual(
      insecureLinks({ brokers: ['k:9093'], tls: { caFile: 'ca.pem' } }, { endpoints: ['e:2379'], tls: { caFile: 'ca.pem' } }).map(
        (l) => l.missing,
      ),
      [['authentication'], ['authentication']],
    );
    assert.deepEqual(
      insecureLinks({ brokers: ['k:9093'], tls: {}, sasl }, { endpoints: ['e:2379'], tls: {}, auth: { username: 'u', password: 'p' } }),
      [],
    );
    assert.deepEqual(
      insecureLinks(
        { brokers: ['k:9093'], tls: { certFile: 'c', keyFile: 'k' } },
        { endpoints: ['e:2379'], tls: { certFile: 'c', keyFile: 'k' } },
      ),
      [],
    );
    // SASL without TLS: SCRAM keeps the password off the wire, but the traffic is still readable.
    assert.deepEqual(
      insecureLinks({ brokers: ['k:9092'], sasl }, { endpoints: ['https://e:2379'], auth: { username: 'u', password: 'p' } }).map(
        (l) => `${l.service}:${l.missing.join('+')}`,
      ),
      ['kafka:tls'],
    );
  });

  it('etcd endpoints take their scheme from the TLS setting, and a contradiction is refused', () => {
    assert.deepEqual(etcdUrls({ endpoints: ['e:2379'] }), ['http://e:2379']);
    assert.deepEqual(etcdUrls({ endpoints: ['e:2379'], tls: {} }), ['https://e:2379']);
    assert.deepEqual(etcdUrls({ endpoints: ['https://e:2379'] }), ['https://e:2379']);
    assert.ok(etcdUsesTls({ endpoints: ['https://e:2379'] }));
    assert.ok(!etcdUsesTls({ endpoints: ['http://e:2379'] }));
    assert.throws(
      () => etcdUrls({ endpoints: ['http://e:2379'], tls: { caFile: 'ca' } }),
      (e: CaxtonError) => e.code === 'node.cluster-config' && /https:\/\/e:2379/.test(e.hint ?? ''),
    );
    assert.throws(() => etcdUrls({ endpoints: ['unix://e'] }), /scheme unix/);
  });

  it('the refusal is typed, lists the links and names the way out', () => {
    const e = insecureClusterError(insecureLinks({ brokers: ['10.1.1.1:9092'] }, { endpoints: ['10.1.1.2:2379'] }));
    assert.equal(e.code, 'node.insecure-cluster');
    assert.equal(e.kind, 'failed-precondition');
    assert.match(
      e.message,
      /kafka at 10\.1\.1\.1:9092 without tls or authentication; etcd at http:\/\/10\.1\.1\.2:2379 without tls or authentication/,
    );
    assert.match(e.hint ?? '', /--insecure-cluster/);
  });

  it('classifies Kafka connect failures: SASL credentials, TLS, or neither', () => {
    const sasl = Object.assign(new Error('SASL SCRAM SHA256 authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    assert.equal(securityFailure(sasl), 'auth');
    assert.equal(
      securityFailure(
        new Error('x', {
          cause: Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
        }),
      ),
      'tls',
    );
    assert.equal(securityFailure(new Error('Client network socket disconnected before secure TLS connection was established')), 'tls');
    assert.equal(securityFailure(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092')), undefined);
  });

  it("recognises a TLS failure inside grpc's UNAVAILABLE", () => {
    assert.ok(
      isTlsFailure(new Error('14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate.')),
    );
    assert.ok(!isTlsFailure(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379')));
  });
});
