/**
 * `caxton serve --a2a <host:port>`: the node's A2A 1.0 endpoint (decision 1950), off by default.
 * It takes the API's bearer tokens: off loopback it needs TLS (--listener-cert/--listener-key) or
 * --listener-insecure (decision 2040).
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';
import { parseListenFlag } from './serve-console-options.js';

export interface A2aArgs {
  a2a?: string;
  a2aTaskTimeout?: number;
}

export function withA2aOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('a2a', {
      type: 'string',
      describe:
        "Serve A2A 1.0 on host:port (HTTPS with --listener-cert): each agent's Agent Card and JSON-RPC/REST bindings under /a2a/<name>, a task a FIPA request (off by default; e.g. 127.0.0.1:8091)",
    })
    .option('a2a-task-timeout', {
      type: 'number',
      describe: "Seconds an A2A task waits for the agent's answer before it fails (default 30)",
    }) as unknown as Argv<T>;
}

/** Flags → the node's A2A options; undefined without --a2a. */
export function a2aNodeOptions(argv: A2aArgs): StartNodeOptions['a2a'] {
  if (argv.a2a === undefined) {
    if (argv.a2aTaskTimeout !== undefined) throw new UsageError('--a2a-task-timeout needs --a2a host:port');
    return undefined;
  }
  const out: NonNullable<StartNodeOptions['a2a']> = parseListenFlag('a2a', argv.a2a, 8091);
  if (argv.a2aTaskTimeout !== undefined) {
    if (!(argv.a2aTaskTimeout >= 1 && argv.a2aTaskTimeout <= 3600))
      throw new UsageError(`--a2a-task-timeout ${argv.a2aTaskTimeout} is not a number of seconds from 1 to 3600`);
    out.callTimeoutMs = Math.round(argv.a2aTaskTimeout * 1000);
  }
  return out;
}
