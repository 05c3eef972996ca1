/**
 * `caxton deploy|upgrade` flags for an agent's outbound HTTP policy (decision 1601):
 *   --allow-http <host[:port][/pathprefix]>   (repeatable) a rule of the allow-list
 *   --allow-http-method <METHOD>              (repeatable) restricts every --allow-http rule
 *   --allow-private-http <host>               (repeatable) that rule's host may resolve to private addresses
 *   --http-timeout <duration>  --http-max-response <size>  --http-ca <pem file>
 * or the whole policy from a JSON file (`--http-policy`, the HttpPolicy shape; omitted fields take
 * the node defaults). The node validates again; this only catches typos before an upload.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv } from 'yargs';
import { isCaxtonError, type HttpAllowRule } from '@caxton/core';
import type { UploadHeader } from '@caxton/client';
import { UsageError } from './cli-error.js';
import { parseDuration } from './parse.js';
import { runtimeLibrary } from './runtime-library.js';

export interface HttpPolicyArgs {
  allowHttp: string[];
  allowHttpMethod: string[];
  allowPrivateHttp: string[];
  httpTimeout?: string;
  httpMaxResponse?: string;
  httpCa?: string;
  httpPolicy?: string;
}

export function httpPolicyOptions<T>(y: Argv<T>): Argv<T & HttpPolicyArgs> {
  return y
    .option('allow-http', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'Outbound HTTP the agent may make: host[:port][/pathprefix] (repeatable; *.example.com for subdomains)',
    })
    .option('allow-http-method', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'Only these methods for the --allow-http hosts (repeatable; default: all)',
    })
    .option('allow-private-http', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'This --allow-http host may resolve to loopback/private addresses (repeatable)',
    })
    .option('http-timeout', { type: 'string', describe: 'Per-call HTTP timeout (e.g. 5s); default: the node default' })
    .option('http-max-response', { type: 'string', describe: 'Largest HTTP response body (e.g. 128KiB); default: the node default' })
    .option('http-ca', { type: 'string', describe: 'PEM file of extra CA certificates to trust for HTTPS calls' })
    .option('http-policy', {
      type: 'string',
      describe: 'The whole HTTP policy as a JSON file (instead of the flags above)',
    }) as unknown as Argv<T & HttpPolicyArgs>;
}

const SIZES: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2 };

export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const scale = m ? SIZES[m[2]!.toLowerCase()] : undefined;
  const value = m && scale !== undefined ? Math.floor(Number(m[1]) * scale) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} "${text}" is not a size`, `e.g. ${flag} 128KiB`);
  return value;
}

/** The policy the flags describe, or undefined when none was given (deploy: no HTTP; upgrade: keep). */
export async function httpPolicyFromArgs(argv: HttpPolicyArgs, cwd: string): Promise<UploadHeader['http'] | undefined> {
  const flagsUsed =
    argv.allowHttp.length > 0 ||
    argv.allowHttpMethod.length > 0 ||
    argv.allowPrivateHttp.length > 0 ||
    argv.httpTimeout !== undefined ||
    argv.httpMaxResponse !== undefined ||
    argv.httpCa !== undefined;
  if (argv.httpPolicy !== undefined) {
    if (flagsUsed)
      throw new UsageError('--http-policy replaces the other HTTP flags', 'put everything in the JSON file, or use only flags');
    const text = await readFile(path.resolve(cwd, argv.httpPolicy), 'utf8').catch((err: Error) => {
      throw new UsageError(`--http-policy ${argv.httpPolicy}: ${err.message}`);
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--http-policy ${argv.httpPolicy} is not JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { allow?: unknown }).allow)) {
      throw new UsageError(
        `--http-policy ${argv.httpPolicy} needs an "allow" array`,
        'e.g. {"allow":[{"host":"api.example.com","methods":["GET"]}],"timeoutMs":5000}',
      );
    }
    return parsed as UploadHeader['http'];
  }
  if (!flagsUsed) return undefined;
  if (argv.allowHttp.length === 0)
    throw new UsageError('HTTP options need at least one --allow-http host', 'e.g. --allow-http api.example.com');
  const { parseAllowHttpFlag } = await runtimeLibrary();
  const rules: HttpAllowRule[] = argv.allowHttp.map((flag) => usage(() => parseAllowHttpFlag(flag)));
  if (argv.allowHttpMethod.length > 0) for (const r of rules) r.methods = argv.allowHttpMethod.map((m) => m.toUpperCase());
  for (const host of argv.allowPrivateHttp) {
    const matching = rules.filter((r) => r.host === host.toLowerCase());
    if (matching.length === 0) throw new UsageError(`--allow-private-http ${host} names no --allow-http host`, `add --allow-http ${host}`);
    for (const r of matching) r.allowPrivate = true;
  }
  const policy: NonNullable<UploadHeader['http']> = { allow: rules };
  if (argv.httpTimeout !== undefined) {
    const ms = parseDuration(argv.httpTimeout);
    if (ms === undefined || ms < 1)
      throw new UsageError(`--http-timeout "${argv.httpTimeout}" is not a duration`, 'e.g. --http-timeout 5s');
    policy.timeoutMs = ms;
  }
  if (argv.httpMaxResponse !== undefined) policy.maxResponseBytes = parseSize(argv.httpMaxResponse, '--http-max-response');
  if (argv.httpCa !== undefined) {
    policy.extraCaPem = await readFile(path.resolve(cwd, argv.httpCa), 'utf8').catch((err: Error) => {
      throw new UsageError(`--http-ca ${argv.httpCa}: ${err.message}`);
    });
  }
  return policy;
}

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (isCaxtonError(err)) throw new UsageError(err.message, err.hint);
    throw err;
  }
}
