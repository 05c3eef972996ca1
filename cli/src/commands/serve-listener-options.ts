/**
 * `caxton serve --listener-cert/--listener-key/--listener-insecure` (decision 2040): one certificate
 * for the node's MCP, A2A and MTP listeners together, so an operator sets it once. Without it they
 * serve plain HTTP, which the node refuses on a non-loopback address unless --listener-insecure
 * says so. Not inherited from the API's --cert/--key: a JADE peer that posts to http:// would
 * silently stop reaching the ACC. The console keeps its own --http-cert (it inherits the API's).
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';

export interface ListenerArgs {
  listenerCert?: string;
  listenerKey?: string;
  listenerInsecure?: boolean;
}

type ListenerSecurity = Pick<NonNullable<StartNodeOptions['mcp']>, 'tls' | 'insecure'>;

export function withListenerOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('listener-cert', {
      type: 'string',
      describe: 'TLS certificate (PEM chain) for the --mcp, --a2a and --mtp-http listeners: they serve HTTPS',
    })
    .option('listener-key', { type: 'string', describe: 'TLS private key for --listener-cert' })
    .option('listener-insecure', {
      type: 'boolean',
      describe:
        'Allow --mcp, --a2a and --mtp-http on a non-loopback address without TLS (tokens and peer secrets cross the network in clear)',
    }) as unknown as Argv<T>;
}

/** Flags → what each listener gets; usage errors for flags that would do nothing or half a pair. */
export function listenerSecurity(argv: ListenerArgs & { mcp?: string; a2a?: string; mtpHttp?: string }, cwd: string): ListenerSecurity {
  const any = argv.listenerCert !== undefined || argv.listenerKey !== undefined || argv.listenerInsecure === true;
  if (any && argv.mcp === undefined && argv.a2a === undefined && argv.mtpHttp === undefined) {
    throw new UsageError('--listener-cert, --listener-key and --listener-insecure need --mcp, --a2a or --mtp-http');
  }
  if ((argv.listenerCert === undefined) !== (argv.listenerKey === undefined))
    throw new UsageError('--listener-cert and --listener-key go together');
  const out: ListenerSecurity = {};
  if (argv.listenerCert !== undefined && argv.listenerKey !== undefined)
    out.tls = { certFile: path.resolve(cwd, argv.listenerCert), keyFile: path.resolve(cwd, argv.listenerKey) };
  if (argv.listenerInsecure === true) out.insecure = true;
  return out;
}
