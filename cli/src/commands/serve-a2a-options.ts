/**
 * `caxton serve --a2a <host:port>`: the node's A2A 1.0 endpoint (decision 1950), off by default.
 * It takes the API's bearer tokens: off loopback it needs TLS (--listener-cert/--listener-key) or
 * --listener-insecure (decision 2040).
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { listenerWithTimeout, withListenerFlags, type ListenerFlags } from './serve-console-options.js';

export interface A2aArgs {
  a2a?: string;
  a2aTaskTimeout?: number;
}

const A2A_FLAGS: ListenerFlags = { listen: 'a2a', timeout: 'a2a-task-timeout', examplePort: 8091 };

export function withA2aOptions<T>(y: Argv<T>): Argv<T> {
  return withListenerFlags(y, A2A_FLAGS, {
    listen:
      "Serve A2A 1.0 on host:port (HTTPS with --listener-cert): each agent's Agent Card and JSON-RPC/REST bindings under /a2a/<name>, a task a FIPA request (off by default; e.g. 127.0.0.1:8091)",
    timeout: "Seconds an A2A task waits for the agent's answer before it fails (default 30)",
  });
}

/** Flags → the node's A2A options; undefined without --a2a. */
export function a2aNodeOptions(argv: A2aArgs): StartNodeOptions['a2a'] {
  return listenerWithTimeout(A2A_FLAGS, argv.a2a, argv.a2aTaskTimeout);
}
