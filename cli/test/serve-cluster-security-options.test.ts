/** `caxton serve` flags and variables for TLS/SASL to Kafka and TLS/auth to etcd (serve-cluster-security-options.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { clusterSecurityOptions } from '../src/commands/serve-cluster-security-options.js';
import { unsignedRecordsWarning } from '../src/commands/serve-plaintext-warning.js';

const dir = mkdtempSync(path.join(tmpdir(), 'caxton-cli-cluster-sec-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'kafka-pw'), 'k-secret\n');
writeFileSync(path.join(dir, 'etcd-pw'), 'e-secret');
writeFileSync(path.join(dir, 'empty'), '\n');

describe('serve: cluster security flags', () => {
  it('no flags: plain specs, nothing added', () => {
    assert.deepEqual(clusterSecurityOptions({}, {}, dir, ['k:9092'], ['e:2379']), {
      kafka: { brokers: ['k:9092'] },
      etcd: { endpoints: ['e:2379'] },
    });
  });

  it('flags become TLS files (resolved against the working directory), SASL and etcd auth; passwords from files without the trailing newline', () => {
    const o = clusterSecurityOptions(
      {
        kafkaCa: 'ca.pem',
        kafkaCert: 'c.pem',
        kafkaKey: 'k.pem',
        kafkaSaslMechanism: 'scram-sha-256',
        kafkaSaslUsername: 'caxton',
        kafkaSaslPasswordFile: 'kafka-pw',
        etcdCa: 'ca.pem',
        etcdUsername: 'node',
        etcdPasswordFile: 'etcd-pw',
      },
      {},
      dir,
      ['k:9093'],
      ['e:2379'],
    );
    assert.deepEqual(o, {
      kafka: {
        brokers: ['k:9093'],
        tls: { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'c.pem'), keyFile: path.join(dir, 'k.pem') },
        sasl: { mechanism: 'scram-sha-256', username: 'caxton', password: 'k-secret' },
      },
      etcd: { endpoints: ['e:2379'], tls: { caFile: path.join(dir, 'ca.pem') }, auth: { username: 'node', password: 'e-secret' } },
    });
  });

  it('every flag has a variable; a flag wins over its variable; passwords may come from variables', () => {
    const env = {
      CAXTON_KAFKA_TLS: 'true',
      CAXTON_KAFKA_SASL_USERNAME: 'env-user',
      CAXTON_KAFKA_SASL_PASSWORD: 'env-pw',
      CAXTON_ETCD_CA: '/etc/ca.pem',
      CAXTON_ETCD_USERNAME: 'env-etcd',
      CAXTON_ETCD_PASSWORD: 'env-etcd-pw',
      CAXTON_INSECURE_CLUSTER: '1',
    };
    const o = clusterSecurityOptions({ kafkaSaslUsername: 'flag-user' }, env, dir, ['k:9093'], ['e:2379']);
    assert.deepEqual(o.kafka, {
      brokers: ['k:9093'],
      tls: {},
      sasl: { mechanism: 'scram-sha-512', username: 'flag-user', password: 'env-pw' },
    });
    assert.deepEqual(o.etcd, {
      endpoints: ['e:2379'],
      tls: { caFile: '/etc/ca.pem' },
      auth: { username: 'env-etcd', password: 'env-etcd-pw' },
    });
    assert.equal(o.insecureCluster, true);
  });

  it('refuses what cannot work, saying what to pass', () => {
    const cases: Array<[Parameters<typeof clusterSecurityOptions>[0], RegExp]> = [
      [{ kafkaSaslUsername: 'u' }, /Kafka SASL needs a user and a password/],
      [{ kafkaSaslPasswordFile: 'kafka-pw' }, /Kafka SASL needs a user and a password/],
      [{ kafkaSaslMechanism: 'gssapi' }, /not one of scram-sha-256, scram-sha-512, plain/],
      [
        { kafkaSaslMechanism: 'plain', kafkaSaslUsername: 'u', kafkaSaslPasswordFile: 'kafka-pw' },
        /SASL PLAIN sends the password as it is: it needs TLS/,
      ],
      [{ kafkaCert: 'c.pem' }, /--kafka-cert and --kafka-key go together/],
      [{ etcdUsername: 'u' }, /etcd authentication needs a user and a password/],
      [{ etcdUsername: 'u', etcdPasswordFile: 'missing' }, /cannot read the etcd password file missing/],
      [{ etcdUsername: 'u', etcdPasswordFile: 'empty' }, /the etcd password file empty is empty/],
    ];
    for (const [argv, re] of cases) assert.throws(() => clusterSecurityOptions(argv, {}, dir, ['k:9092'], ['e:2379']), re);
    assert.throws(() => clusterSecurityOptions({ kafkaCa: 'ca.pem' }, {}, dir, undefined, undefined), /Kafka TLS\/SASL flags need --kafka/);
    assert.throws(
      () => clusterSecurityOptions({}, { CAXTON_INSECURE_CLUSTER: 'maybe' }, dir, ['k:9092'], ['e:2379']),
      /CAXTON_INSECURE_CLUSTER=maybe is not true or false/,
    );
  });

  it('--cluster-record-key-file (or CAXTON_CLUSTER_RECORD_KEY_FILE) names the record key file, resolved; it needs --kafka', () => {
    assert.deepEqual(clusterSecurityOptions({ clusterRecordKeyFile: 'keys' }, {}, dir, ['k:9092'], undefined).kafka, {
      brokers: ['k:9092'],
      recordKeyFile: path.join(dir, 'keys'),
    });
    assert.equal(
      clusterSecurityOptions({}, { CAXTON_CLUSTER_RECORD_KEY_FILE: '/etc/caxton/keys' }, dir, ['k:9092'], undefined).kafka?.recordKeyFile,
      '/etc/caxton/keys',
    );
    assert.equal(
      clusterSecurityOptions({ clusterRecordKeyFile: 'flag' }, { CAXTON_CLUSTER_RECORD_KEY_FILE: '/env' }, dir, ['k:9092'], undefined).kafka
        ?.recordKeyFile,
      path.join(dir, 'flag'),
      'the flag wins over its variable',
    );
    assert.throws(() => clusterSecurityOptions({ clusterRecordKeyFile: 'keys' }, {}, dir, undefined, undefined), /needs --kafka/);
  });

  it('unsigned records are warned about when Kafka is beyond loopback and no record key is given', () => {
    assert.match(
      unsignedRecordsWarning({ kafka: { brokers: ['10.0.0.5:9092'] } }) ?? '',
      /NOT authenticated \(no --cluster-record-key-file\)/,
    );
    assert.match(unsignedRecordsWarning({ kafka: { brokers: ['127.0.0.1:9092', 'kafka.example:9092'] } }) ?? '', /forge/);
    assert.equal(unsignedRecordsWarning({ kafka: { brokers: ['10.0.0.5:9092'], recordKeyFile: '/k' } }), undefined);
    assert.equal(unsignedRecordsWarning({ kafka: { brokers: ['127.0.0.1:9092', '[::1]:9092', 'localhost:9092'] } }), undefined);
    assert.equal(unsignedRecordsWarning({}), undefined, 'no cluster, no warning');
  });
});
