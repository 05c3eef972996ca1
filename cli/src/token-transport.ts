/**
 * Where a bearer token may be sent (decision 1401). A token sent in plaintext can be read by anyone
 * on the path, and it is the key to the node; over loopback it never leaves the machine. So the CLI
 * refuses to send one without TLS to any other address unless the operator says `--insecure`.
 * Pure: the decision and the loopback test, unit-tested.
 */
import { isLoopbackHost as isLoopbackAddress } from '@caxton/core';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** The host part of `host:port`, `[v6]:port`, or a grpc-js target (`dns:`, `ipv4:`, `unix:`). */
export function addressHost(address: string): string {
  if (address.startsWith('unix:')) return 'unix';
  const bare = address.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, '');
  const v6 = /^\[([^\]]+)\]/.exec(bare);
  if (v6) return v6[1]!.toLowerCase();
  return bare.split(',')[0]!.replace(/:\d+$/, '').toLowerCase();
}

/** Traffic to these never leaves the machine: core's one loopback test, and a unix socket. */
export function isLoopbackHost(host: string): boolean {
  return host === 'unix' || isLoopbackAddress(host);
}

export class PlaintextTokenError extends CliError {
  constructor(address: string) {
    super(
      EXIT.USAGE,
      `refusing to send the API token in plaintext to ${address}`,
      'connect with TLS (--tls, --tls-ca <ca.pem>) so the token is encrypted; or, on a network you trust, pass --insecure',
    );
  }
}

/** Throws when a token would go unencrypted to a non-loopback address without --insecure. */
export function checkTokenTransport(opts: { address: string; tls: boolean; hasToken: boolean; insecure: boolean }): void {
  if (!opts.hasToken || opts.tls || opts.insecure) return;
  if (!isLoopbackHost(addressHost(opts.address))) throw new PlaintextTokenError(opts.address);
}
