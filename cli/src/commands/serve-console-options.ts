/**
 * `caxton serve --http <host:port>`: the web console's flags (issue 15), kept out of serve.ts so
 * that file only calls in. Off by default. Plain HTTP on a non-loopback address is refused unless
 * it has a certificate (--http-cert/--http-key, or the API's --cert/--key) or --http-insecure.
 *
 * The page comes from the @caxton/console package's dist/ directory, resolved here by package name
 * and passed to the node as a path (the runtime never imports the console package). Without it the
 * API still works and `/` says how to build the page.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';

export interface ConsoleArgs {
  http?: string;
  httpCert?: string;
  httpKey?: string;
  httpInsecure?: boolean;
  httpBudget?: number;
}

type ConsoleNodeOptions = NonNullable<StartNodeOptions['console']>;

export function withConsoleOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('http', {
      type: 'string',
      describe: 'Serve the web console and its HTTP API on host:port (off by default; e.g. 127.0.0.1:8080)',
    })
    .option('http-cert', { type: 'string', describe: "TLS certificate for the console (default: the API's --cert)" })
    .option('http-key', { type: 'string', describe: "TLS private key for the console (default: the API's --key)" })
    .option('http-insecure', {
      type: 'boolean',
      describe: 'Allow the console on a non-loopback address without TLS (tokens cross the network in clear)',
    })
    .option('http-budget', {
      type: 'number',
      describe: "Messages per second the console's live stream sends each browser before it samples (default 50)",
    }) as unknown as Argv<T>;
}

/** The console package's built page, if it is installed and built. */
export function consoleBundleDir(): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    const dir = path.join(path.dirname(require.resolve('@caxton/console/package.json')), 'dist');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined; // not installed (or its exports hide package.json): the API still works
  }
}

/** `--<flag> host:port` → its parts; a typed usage error naming the flag otherwise. */
export function parseListenFlag(flag: string, text: string, examplePort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new UsageError(
      `--${flag} ${text} is not host:port`,
      `e.g. --${flag} 127.0.0.1:${examplePort} ([::1]:${examplePort} for IPv6; port 0 = any free port)`,
    );
  return { host: (m[1] ?? m[2])!, port };
}

/** A listener flag's and its call-timeout flag's names, as `--a2a` and `--a2a-task-timeout`. */
export interface ListenerFlags {
  listen: string;
  timeout: string;
  examplePort: number;
}

/** Declares a listener flag (host:port) and its call-timeout flag (seconds). */
export function withListenerFlags<T>(y: Argv<T>, flags: ListenerFlags, describe: { listen: string; timeout: string }): Argv<T> {
  return y
    .option(flags.listen, { type: 'string', describe: describe.listen })
    .option(flags.timeout, { type: 'number', describe: describe.timeout }) as unknown as Argv<T>;
}

/**
 * A listener flag with its call-timeout flag in seconds (1 to 3600) → where to listen and the
 * timeout in ms; undefined without the listener, a usage error for the timeout alone.
 */
export function listenerWithTimeout(
  flags: ListenerFlags,
  listen: string | undefined,
  timeoutS: number | undefined,
): { host: string; port: number; callTimeoutMs?: number } | undefined {
  if (listen === undefined) {
    if (timeoutS !== undefined) throw new UsageError(`--${flags.timeout} needs --${flags.listen} host:port`);
    return undefined;
  }
  const out: { host: string; port: number; callTimeoutMs?: number } = parseListenFlag(flags.listen, listen, flags.examplePort);
  if (timeoutS !== undefined) {
    if (!(timeoutS >= 1 && timeoutS <= 3600))
      throw new UsageError(`--${flags.timeout} ${timeoutS} is not a number of seconds from 1 to 3600`);
    out.callTimeoutMs = Math.round(timeoutS * 1000);
  }
  return out;
}

/** Flags → the node's console options; undefined without --http. */
export function consoleNodeOptions(
  argv: ConsoleArgs,
  cwd: string,
  apiTls: StartNodeOptions['tls'],
  findBundle: () => string | undefined = consoleBundleDir,
): ConsoleNodeOptions | undefined {
  if (argv.http === undefined) {
    if (argv.httpCert || argv.httpKey || argv.httpInsecure || argv.httpBudget !== undefined)
      throw new UsageError('--http-cert, --http-key, --http-insecure and --http-budget need --http host:port');
    return undefined;
  }
  const { host, port } = parseListenFlag('http', argv.http, 8080);
  if ((argv.httpCert === undefined) !== (argv.httpKey === undefined)) throw new UsageError('--http-cert and --http-key go together');
  const out: ConsoleNodeOptions = { host, port };
  if (argv.httpCert && argv.httpKey) out.tls = { certFile: path.resolve(cwd, argv.httpCert), keyFile: path.resolve(cwd, argv.httpKey) };
  else if (apiTls) out.tls = { certFile: apiTls.certFile, keyFile: apiTls.keyFile };
  if (argv.httpInsecure) out.insecure = true;
  if (argv.httpBudget !== undefined) {
    if (!Number.isInteger(argv.httpBudget) || argv.httpBudget < 1 || argv.httpBudget > 100_000)
      throw new UsageError(`--http-budget ${argv.httpBudget} is not a whole number from 1 to 100000`);
    out.stream = { budget: argv.httpBudget };
  }
  const bundleDir = findBundle();
  if (bundleDir) out.bundleDir = bundleDir;
  return out;
}
