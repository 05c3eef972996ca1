/**
 * How a node reaches Kafka and etcd securely (decision 1404), and the check that refuses to carry
 * cluster traffic in plaintext beyond this machine. Pure: no I/O; the files named here are read by
 * transport-credentials.ts when the topology opens.
 *
 * Why refuse rather than warn: whoever can reach a plaintext Kafka or etcd can inject deliveries with
 * any sender, rewrite agent records and artifacts, and read every message. A loopback address only
 * reaches this machine, so a laptop or a test may stay plaintext; anything else must be encrypted
 * and authenticated, or the operator says `--insecure-cluster` and is warned on every start.
 */
import { CaxtonError, isLoopbackHost } from '@caxton/core';

/** PEM files; `{}` means TLS with the system's trusted roots and no client certificate. */
export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export type KafkaSaslMechanism = 'scram-sha-256' | 'scram-sha-512' | 'plain';

export interface KafkaConnectionSpec {
  brokers: string[];
  tls?: TlsFiles;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /**
   * The cluster's record keys (decision 2185): a file of `<keyId> <base64 secret>` lines, the
   * first signing every record this node produces, all of them verifying every record it reads.
   * Unset: records are neither signed nor checked.
   */
  recordKeyFile?: string;
}

export interface EtcdConnectionSpec {
  /** `http://host:port` or `https://host:port`; a bare `host:port` takes the scheme from `tls`. */
  endpoints: string[];
  tls?: TlsFiles;
  auth?: { username: string; password: string };
}

/** One link that would carry cluster traffic in plaintext (or unauthenticated) beyond loopback. */
export interface InsecureLink {
  service: 'kafka' | 'etcd';
  address: string;
  missing: Array<'tls' | 'authentication'>;
}

/** Host part of `host:port`, `[v6]:port` or a URL. */
export function hostOf(address: string): string {
  const noScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const m = /^\[([^\]]+)\]/.exec(noScheme);
  if (m) return m[1]!;
  const hostPort = noScheme.split('/')[0]!;
  const colon = hostPort.lastIndexOf(':');
  return colon > 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort;
}

/** Addresses that only reach this machine: core's one loopback test (names other than `localhost` are not trusted). */
export { isLoopbackHost };

/**
 * The etcd endpoints as URLs, with the scheme the TLS setting implies. An explicit `http://` with
 * TLS options (or `https://` refused by the caller's intent) is a contradiction, refused rather than
 * silently "fixed", because one of the two is a typo and guessing could send secrets in clear.
 */
export function etcdUrls(spec: EtcdConnectionSpec): string[] {
  return spec.endpoints.map((e) => {
    const scheme = /^([a-z]+):\/\//i.exec(e)?.[1]?.toLowerCase();
    if (scheme === undefined) return `${spec.tls ? 'https' : 'http'}://${e}`;
    if (scheme === 'http' && spec.tls) {
      throw new CaxtonError('node.cluster-config', `etcd endpoint ${e} is http:// but TLS options for etcd were given`, {
        kind: 'internal',
        context: { endpoint: e },
        hint: `write it as https://${e.slice('http://'.length)} (or drop --etcd-ca/--etcd-cert/--etcd-key for plaintext on loopback)`,
      });
    }
    if (scheme !== 'http' && scheme !== 'https') {
      throw new CaxtonError('node.cluster-config', `etcd endpoint ${e} has scheme ${scheme}://`, {
        kind: 'internal',
        context: { endpoint: e },
        hint: 'use http:// (loopback only) or https://',
      });
    }
    return e;
  });
}

/** Whether etcd is reached over TLS: given TLS files or https:// endpoints. */
export function etcdUsesTls(spec: EtcdConnectionSpec): boolean {
  return spec.tls !== undefined || etcdUrls(spec).every((u) => u.startsWith('https://'));
}

/** Every link that would leave this machine without TLS or without authentication. */
export function insecureLinks(kafka: KafkaConnectionSpec, etcd: EtcdConnectionSpec): InsecureLink[] {
  const out: InsecureLink[] = [];
  for (const broker of kafka.brokers) {
    if (isLoopbackHost(hostOf(broker))) continue;
    const missing: InsecureLink['missing'] = [];
    if (!kafka.tls) missing.push('tls');
    // A client certificate authenticates too (brokers with ssl.client.auth=required).
    if (!kafka.sasl && !(kafka.tls?.certFile && kafka.tls.keyFile)) missing.push('authentication');
    if (missing.length > 0) out.push({ service: 'kafka', address: broker, missing });
  }
  const tls = etcdUsesTls(etcd);
  for (const url of etcdUrls(etcd)) {
    if (isLoopbackHost(hostOf(url))) continue;
    const missing: InsecureLink['missing'] = [];
    if (!url.startsWith('https://')) missing.push('tls');
    if (!etcd.auth && !(tls && etcd.tls?.certFile && etcd.tls.keyFile)) missing.push('authentication');
    if (missing.length > 0) out.push({ service: 'etcd', address: url, missing });
  }
  return out;
}

export function describeInsecureLink(l: InsecureLink): string {
  return `${l.service} at ${l.address} without ${l.missing.join(' or ')}`;
}

/** The refusal when cluster traffic would leave this machine unprotected and nobody said `--insecure-cluster`. */
export function insecureClusterError(links: readonly InsecureLink[]): CaxtonError {
  return new CaxtonError(
    'node.insecure-cluster',
    `refusing to join a cluster in plaintext beyond this machine: ${links.map(describeInsecureLink).join('; ')}`,
    {
      kind: 'failed-precondition',
      context: { links: links.map(describeInsecureLink).join('; ') },
      hint: 'encrypt and authenticate: --kafka-ca (TLS) with --kafka-sasl-username and a password file, --etcd-ca with https:// endpoints and --etcd-username; or, on a network you trust, pass --insecure-cluster (see docs/security.md)',
    },
  );
}
