/**
 * Reads the PEM files named by a node's Kafka and etcd connection specs, once, when the cluster
 * topology opens, into the options the Kafka log and the etcd connection take. A file that cannot
 * be read is a typed error naming the flag's file, not a TLS failure later.
 */
import { readFileSync } from 'node:fs';
import { CaxtonError } from '@caxton/core';
import type { KafkaSaslOptions, KafkaTlsOptions } from '../../log/kafka/index.js';
import type { EtcdConnectionOptions } from '../../registry/etcd/connection.js';
import { RecordKeyError } from '../../log/kafka/errors.js';
import { MAX_KEY_FILE_BYTES, readKeyFileSync } from '../../signing/key-file.js';
import { RecordKeyRing, parseRecordKeys } from '../../log/kafka/record-mac.js';
import { etcdUrls, type EtcdConnectionSpec, type KafkaConnectionSpec, type TlsFiles } from './transport-security.js';

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CaxtonError('node.cluster-config', `cannot read ${what} ${file}: ${(err as Error).message}`, {
      kind: 'internal',
      context: { file },
      hint: 'check the path and that this user may read it',
      cause: err,
    });
  }
}

function pair(tls: TlsFiles, service: string): { cert?: Buffer; key?: Buffer } {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new CaxtonError('node.cluster-config', `${service}: a client certificate and its key go together`, {
      kind: 'internal',
      hint: `pass both --${service}-cert and --${service}-key`,
    });
  }
  if (!tls.certFile || !tls.keyFile) return {};
  return { cert: read(tls.certFile, `${service} client certificate`), key: read(tls.keyFile, `${service} client key`) };
}

export function kafkaSecurity(spec: KafkaConnectionSpec): { tls?: KafkaTlsOptions; sasl?: KafkaSaslOptions } {
  const out: { tls?: KafkaTlsOptions; sasl?: KafkaSaslOptions } = {};
  if (spec.tls) {
    const { cert, key } = pair(spec.tls, 'kafka');
    out.tls = {
      ...(spec.tls.caFile ? { ca: [read(spec.tls.caFile, 'Kafka CA').toString('utf8')] } : {}),
      ...(cert && key ? { cert: cert.toString('utf8'), key: key.toString('utf8') } : {}),
    };
  }
  if (spec.sasl) out.sasl = { ...spec.sasl };
  return out;
}

export function etcdSecurity(spec: EtcdConnectionSpec): Pick<EtcdConnectionOptions, 'endpoints' | 'tls' | 'auth'> {
  const endpoints = etcdUrls(spec);
  const out: Pick<EtcdConnectionOptions, 'endpoints' | 'tls' | 'auth'> = { endpoints };
  if (spec.tls || endpoints.some((u) => u.startsWith('https://'))) {
    const tls = spec.tls ?? {};
    const { cert, key } = pair(tls, 'etcd');
    out.tls = { ...(tls.caFile ? { ca: read(tls.caFile, 'etcd CA') } : {}), ...(cert && key ? { cert, key } : {}) };
  }
  if (spec.auth) out.auth = { ...spec.auth };
  return out;
}

/** A record key file larger than this is not one (signing/key-file.ts). */
export const MAX_RECORD_KEY_FILE_BYTES = MAX_KEY_FILE_BYTES;

/**
 * The record key ring of `--cluster-record-key-file` (decision 2185), read and checked once at
 * start: an unreadable file or a bad line is `log.record-key-invalid`, before anything is opened.
 */
export function kafkaRecordKeys(spec: KafkaConnectionSpec): RecordKeyRing | undefined {
  if (spec.recordKeyFile === undefined) return undefined;
  const file = spec.recordKeyFile;
  const text = readKeyFileSync(
    file,
    'record key',
    (message, hint, context, cause) => new RecordKeyError(message, hint, { context: context ?? { file }, cause }),
    'docs/cluster.md § Signed records',
  );
  const keys = parseRecordKeys(text, spec.recordKeyFile);
  try {
    return new RecordKeyRing(keys);
  } catch (err) {
    // The ring's refusals (a short secret, an id twice) name the key: say the file too.
    if (err instanceof RecordKeyError)
      throw new RecordKeyError(`${spec.recordKeyFile}: ${err.message}`, err.hint ?? '', { context: { file: spec.recordKeyFile } });
    throw err;
  }
}
