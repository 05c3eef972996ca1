/**
 * serve's loud warning (decision 1401) when the API listens without TLS beyond loopback: tokens,
 * agent configs and every message then cross the network readable by anyone on the path.
 */
import type { StartNodeOptions } from '@caxton/runtime';
import { isLoopbackHost } from '../token-transport.js';

export function plaintextApiWarning(options: Pick<StartNodeOptions, 'apiHost' | 'tls'>): string | undefined {
  if (options.tls !== undefined || isLoopbackHost(options.apiHost.replace(/^\[|\]$/g, '').toLowerCase())) return undefined;
  return [
    `caxton: WARNING: the API on ${options.apiHost} is PLAINTEXT (no TLS) and reachable from other machines:`,
    'caxton: WARNING: bearer tokens, agent configs and messages cross the network unencrypted.',
    'caxton: WARNING: serve with --cert/--key (and clients with --tls), or listen on 127.0.0.1 behind a TLS proxy.',
  ].join('\n');
}
