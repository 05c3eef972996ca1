/**
 * serve's loud warning (decision 1401) when the API listens without TLS beyond loopback: tokens,
 * agent configs and every message then cross the network readable by anyone on the path.
 */
import type { StartNodeOptions } from '@caxton/runtime';
import { isLoopbackHost } from '@caxton/core';

/**
 * serve --no-auth off loopback: anyone who reaches the port may call the API. The loopback test is
 * core's one predicate: `127.example.com` is a DNS name, not loopback (issue 26).
 */
export function noAuthApiWarning(
  options: Pick<StartNodeOptions, 'apiHost'> & { auth?: Pick<StartNodeOptions['auth'], 'mode'> },
): string | undefined {
  if (options.auth?.mode !== 'none' || isLoopbackHost(options.apiHost)) return undefined;
  return `caxton: WARNING: the API on ${options.apiHost} accepts calls from anyone who can reach it (--no-auth)`;
}

export function plaintextApiWarning(options: Pick<StartNodeOptions, 'apiHost' | 'tls'>): string | undefined {
  if (options.tls !== undefined || isLoopbackHost(options.apiHost)) return undefined;
  return [
    `caxton: WARNING: the API on ${options.apiHost} is PLAINTEXT (no TLS) and reachable from other machines:`,
    'caxton: WARNING: bearer tokens, agent configs and messages cross the network unencrypted.',
    'caxton: WARNING: serve with --cert/--key (and clients with --tls), or listen on 127.0.0.1 behind a TLS proxy.',
  ].join('\n');
}

/**
 * A cluster on Kafka beyond loopback without `--cluster-record-key-file` (decision 2185): its
 * records are neither signed nor checked, so whoever can write to the topics (a client with broker
 * access, a compromised broker) can forge deliveries, dead letters and agents' state.
 */
export function unsignedRecordsWarning(options: Pick<StartNodeOptions, 'kafka'>): string | undefined {
  const kafka = options.kafka;
  if (kafka === undefined || kafka.recordKeyFile !== undefined) return undefined;
  if (kafka.brokers.every((b) => isLoopbackHost(brokerHost(b)))) return undefined;
  return [
    'caxton: WARNING: records on the Kafka log are NOT authenticated (no --cluster-record-key-file):',
    "caxton: WARNING: anyone who can write to the cluster's topics can forge messages, dead letters and agent state.",
    'caxton: WARNING: give every node the same key file (docs/cluster.md, *Signed records*).',
  ].join('\n');
}

/** The host of `host:port` or `[v6]:port`. */
function brokerHost(address: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(address);
  if (v6) return v6[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}
