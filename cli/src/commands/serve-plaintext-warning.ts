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
