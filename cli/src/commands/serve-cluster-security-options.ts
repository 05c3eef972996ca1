/**
 * `caxton serve` flags for encrypted, authenticated cluster traffic (decision 1404): TLS and
 * SASL/SCRAM to Kafka, TLS and user/password to etcd, and `--insecure-cluster`. Every flag has an
 * environment variable (a Kubernetes Secret maps onto those); a flag wins over its variable.
 * Passwords are never flags: a file (`--…-password-file`) or a variable, so they stay out of `ps`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { EtcdConnectionSpec, KafkaConnectionSpec, KafkaSaslMechanism, StartNodeOptions, TlsFiles } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';

export interface ClusterSecurityArgs {
  kafkaTls?: boolean;
  kafkaCa?: string;
  kafkaCert?: string;
  kafkaKey?: string;
  kafkaSaslMechanism?: string;
  kafkaSaslUsername?: string;
  kafkaSaslPasswordFile?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUsername?: string;
  etcdPasswordFile?: string;
  insecureCluster?: boolean;
  clusterRecordKeyFile?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const MECHANISMS: readonly KafkaSaslMechanism[] = ['scram-sha-256', 'scram-sha-512', 'plain'];

/** Flag → the variable that stands in for it. */
export const CLUSTER_SECURITY_ENV = {
  kafkaTls: 'CAXTON_KAFKA_TLS',
  kafkaCa: 'CAXTON_KAFKA_CA',
  kafkaCert: 'CAXTON_KAFKA_CERT',
  kafkaKey: 'CAXTON_KAFKA_KEY',
  kafkaSaslMechanism: 'CAXTON_KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'CAXTON_KAFKA_SASL_USERNAME',
  kafkaSaslPasswordFile: 'CAXTON_KAFKA_SASL_PASSWORD_FILE',
  etcdCa: 'CAXTON_ETCD_CA',
  etcdCert: 'CAXTON_ETCD_CERT',
  etcdKey: 'CAXTON_ETCD_KEY',
  etcdUsername: 'CAXTON_ETCD_USERNAME',
  etcdPasswordFile: 'CAXTON_ETCD_PASSWORD_FILE',
  insecureCluster: 'CAXTON_INSECURE_CLUSTER',
  clusterRecordKeyFile: 'CAXTON_CLUSTER_RECORD_KEY_FILE',
} as const satisfies Record<keyof ClusterSecurityArgs, string>;

export function clusterSecurityFlags<T>(y: Argv<T>): Argv<T> {
  return y
    .option('kafka-tls', {
      type: 'boolean',
      describe: "TLS to Kafka with the system's trusted CAs (implied by --kafka-ca) [CAXTON_KAFKA_TLS]",
    })
    .option('kafka-ca', {
      type: 'string',
      describe: "CA certificate (PEM) that signed the brokers' certificates; turns TLS on [CAXTON_KAFKA_CA]",
    })
    .option('kafka-cert', { type: 'string', describe: 'Client certificate (PEM) for brokers that require one [CAXTON_KAFKA_CERT]' })
    .option('kafka-key', { type: 'string', describe: 'Private key (PEM) of --kafka-cert [CAXTON_KAFKA_KEY]' })
    .option('kafka-sasl-mechanism', {
      type: 'string',
      describe: `SASL mechanism: ${MECHANISMS.join(', ')} (default scram-sha-512) [CAXTON_KAFKA_SASL_MECHANISM]`,
    })
    .option('kafka-sasl-username', {
      type: 'string',
      describe: 'SASL user; the password comes from --kafka-sasl-password-file or CAXTON_KAFKA_SASL_PASSWORD [CAXTON_KAFKA_SASL_USERNAME]',
    })
    .option('kafka-sasl-password-file', { type: 'string', describe: 'File holding the SASL password [CAXTON_KAFKA_SASL_PASSWORD_FILE]' })
    .option('etcd-ca', {
      type: 'string',
      describe: "CA certificate (PEM) that signed etcd's certificate; endpoints become https:// [CAXTON_ETCD_CA]",
    })
    .option('etcd-cert', {
      type: 'string',
      describe: 'Client certificate (PEM) for an etcd run with --client-cert-auth [CAXTON_ETCD_CERT]',
    })
    .option('etcd-key', { type: 'string', describe: 'Private key (PEM) of --etcd-cert [CAXTON_ETCD_KEY]' })
    .option('etcd-username', {
      type: 'string',
      describe: 'etcd user; the password comes from --etcd-password-file or CAXTON_ETCD_PASSWORD [CAXTON_ETCD_USERNAME]',
    })
    .option('etcd-password-file', { type: 'string', describe: 'File holding the etcd password [CAXTON_ETCD_PASSWORD_FILE]' })
    .option('insecure-cluster', {
      type: 'boolean',
      describe: 'Allow Kafka/etcd beyond loopback without TLS or authentication (refused otherwise) [CAXTON_INSECURE_CLUSTER]',
    })
    .option('cluster-record-key-file', {
      type: 'string',
      describe:
        'File of `<keyId> <base64 secret>` lines (32+ bytes each): every Kafka record is signed with the first and checked against all; records without a valid tag are refused, dead-lettered and audited [CAXTON_CLUSTER_RECORD_KEY_FILE]',
    });
}

function pick(argv: ClusterSecurityArgs, env: Env, key: keyof ClusterSecurityArgs): string | undefined {
  const given = argv[key];
  if (given !== undefined) return String(given);
  const fromEnv = env[CLUSTER_SECURITY_ENV[key]];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function flagOf(key: keyof ClusterSecurityArgs): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function bool(argv: ClusterSecurityArgs, env: Env, key: 'kafkaTls' | 'insecureCluster'): boolean {
  const v = pick(argv, env, key);
  if (v === undefined) return false;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new UsageError(`${CLUSTER_SECURITY_ENV[key]}=${v} is not true or false`);
}

function secret(file: string | undefined, variable: string, env: Env, cwd: string, what: string): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(path.resolve(cwd, file), 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
    }
    // A trailing newline is an editor's, not part of the password (Kubernetes Secrets keep bytes as given).
    const value = text.replace(/\r?\n$/, '');
    if (value === '') throw new UsageError(`the ${what} file ${file} is empty`);
    return value;
  }
  const v = env[variable];
  return v === undefined || v === '' ? undefined : v;
}

function tlsFiles(argv: ClusterSecurityArgs, env: Env, cwd: string, service: 'kafka' | 'etcd'): TlsFiles | undefined {
  const [caKey, certKey, keyKey] =
    service === 'kafka' ? (['kafkaCa', 'kafkaCert', 'kafkaKey'] as const) : (['etcdCa', 'etcdCert', 'etcdKey'] as const);
  const ca = pick(argv, env, caKey);
  const cert = pick(argv, env, certKey);
  const key = pick(argv, env, keyKey);
  if ((cert === undefined) !== (key === undefined)) throw new UsageError(`${flagOf(certKey)} and ${flagOf(keyKey)} go together`);
  if (ca === undefined && cert === undefined) return undefined;
  return {
    ...(ca !== undefined ? { caFile: path.resolve(cwd, ca) } : {}),
    ...(cert !== undefined && key !== undefined ? { certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) } : {}),
  };
}

/** `host:port,…` as a list; undefined when the flag is absent; a UsageError when it names none. */
export function hostList(text: string | undefined, flag: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} needs at least one host:port`);
  return items;
}

/** The Kafka and etcd specs for `brokers`/`endpoints` with the security flags applied; throws UsageError. */
export function clusterSecurityOptions(
  argv: ClusterSecurityArgs,
  env: Env,
  cwd: string,
  brokers: string[] | undefined,
  endpoints: string[] | undefined,
): Pick<StartNodeOptions, 'kafka' | 'etcd' | 'insecureCluster'> {
  const out: Pick<StartNodeOptions, 'kafka' | 'etcd' | 'insecureCluster'> = {};
  const kafkaTls = tlsFiles(argv, env, cwd, 'kafka') ?? (bool(argv, env, 'kafkaTls') ? {} : undefined);
  const mechanism = pick(argv, env, 'kafkaSaslMechanism');
  const kafkaUser = pick(argv, env, 'kafkaSaslUsername');
  const kafkaPassword = secret(pick(argv, env, 'kafkaSaslPasswordFile'), 'CAXTON_KAFKA_SASL_PASSWORD', env, cwd, 'Kafka SASL password');
  if (mechanism !== undefined && !MECHANISMS.includes(mechanism as KafkaSaslMechanism)) {
    throw new UsageError(`--kafka-sasl-mechanism ${mechanism} is not one of ${MECHANISMS.join(', ')}`);
  }
  if ((kafkaUser === undefined) !== (kafkaPassword === undefined)) {
    throw new UsageError(
      'Kafka SASL needs a user and a password',
      'pass --kafka-sasl-username with --kafka-sasl-password-file (or CAXTON_KAFKA_SASL_PASSWORD)',
    );
  }
  if (mechanism === 'plain' && !kafkaTls) {
    throw new UsageError('SASL PLAIN sends the password as it is: it needs TLS', 'add --kafka-ca (or --kafka-tls), or use scram-sha-512');
  }
  if (brokers) {
    const kafka: KafkaConnectionSpec = { brokers };
    if (kafkaTls) kafka.tls = kafkaTls;
    if (kafkaUser !== undefined && kafkaPassword !== undefined) {
      kafka.sasl = {
        mechanism: (mechanism as KafkaSaslMechanism | undefined) ?? 'scram-sha-512',
        username: kafkaUser,
        password: kafkaPassword,
      };
    }
    const recordKeyFile = pick(argv, env, 'clusterRecordKeyFile');
    if (recordKeyFile !== undefined) kafka.recordKeyFile = path.resolve(cwd, recordKeyFile);
    out.kafka = kafka;
  } else if (kafkaTls || kafkaUser !== undefined || mechanism !== undefined) {
    throw new UsageError('Kafka TLS/SASL flags need --kafka');
  } else if (argv.clusterRecordKeyFile !== undefined) {
    throw new UsageError('--cluster-record-key-file needs --kafka', 'the keys sign and check the records of the Kafka log of a cluster');
  }
  const etcdTls = tlsFiles(argv, env, cwd, 'etcd');
  const etcdUser = pick(argv, env, 'etcdUsername');
  const etcdPassword = secret(pick(argv, env, 'etcdPasswordFile'), 'CAXTON_ETCD_PASSWORD', env, cwd, 'etcd password');
  if ((etcdUser === undefined) !== (etcdPassword === undefined)) {
    throw new UsageError(
      'etcd authentication needs a user and a password',
      'pass --etcd-username with --etcd-password-file (or CAXTON_ETCD_PASSWORD)',
    );
  }
  if (endpoints) {
    const etcd: EtcdConnectionSpec = { endpoints };
    if (etcdTls) etcd.tls = etcdTls;
    if (etcdUser !== undefined && etcdPassword !== undefined) etcd.auth = { username: etcdUser, password: etcdPassword };
    out.etcd = etcd;
  } else if (etcdTls || etcdUser !== undefined) {
    throw new UsageError('etcd TLS/auth flags need --etcd');
  }
  if (bool(argv, env, 'insecureCluster')) out.insecureCluster = true;
  return out;
}
