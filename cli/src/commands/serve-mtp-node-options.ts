/**
 * `--mtp-http`/`--mtp-peers`/`--mtp-advertise` → the node's MTP options, and `--platform` → its
 * platform name, checked with the same grammar as a peer's (decision 1910). Apart from the flags
 * (serve-mtp-options.ts) because it needs the node's peers parser: loaded only when serve runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  checkAccAdvertise,
  checkPlatformName,
  HTTP_POLICY_MAXIMA,
  MtpConfigError,
  parseAccAdvertise,
  parseMtpPeers,
  readBoundedFileSync,
  type StartNodeOptions,
} from '@caxton/runtime';
import { UsageError } from '../cli-error.js';
import { parseListenFlag } from './serve-console-options.js';
import { MTP_SIGNING_KEY_ENV, type MtpArgs } from './serve-mtp-options.js';

type ListenerSecurity = Pick<NonNullable<StartNodeOptions['mtp']>, 'tls' | 'insecure'>;

/**
 * Flags → the node's MTP options, with the listener security `--listener-*` gave (the advertised
 * address is checked against it: plain HTTP off loopback needs --listener-insecure); undefined
 * without --mtp-http.
 */
export function mtpNodeOptions(
  argv: MtpArgs,
  cwd: string,
  platform = 'caxton',
  listeners: ListenerSecurity = {},
  env: Readonly<Record<string, string | undefined>> = {},
): StartNodeOptions['mtp'] {
  // A flag wins over its variable; the node reads and checks the file at start (decision 2188).
  const envKeyFile = env[MTP_SIGNING_KEY_ENV];
  const signingKeyFile = argv.mtpSigningKeyFile ?? (envKeyFile === undefined || envKeyFile === '' ? undefined : envKeyFile);
  if (argv.mtpHttp === undefined) {
    if (argv.mtpSigningKeyFile !== undefined) throw new UsageError('--mtp-signing-key-file needs --mtp-http host:port');
    if (argv.mtpPeers !== undefined) throw new UsageError('--mtp-peers needs --mtp-http host:port');
    if (argv.mtpCa !== undefined) throw new UsageError('--mtp-ca needs --mtp-http host:port');
    if (argv.mtpAdvertise !== undefined) throw new UsageError('--mtp-advertise needs --mtp-http host:port');
    return undefined;
  }
  if (argv.mtpPeers === undefined)
    throw new UsageError('--mtp-http needs --mtp-peers <file>: the platforms allowed to post, each with its secret (docs/interop.md)');
  const file = path.resolve(cwd, argv.mtpPeers);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--mtp-peers ${argv.mtpPeers}: ${(err as Error).message}`);
  }
  const out: NonNullable<StartNodeOptions['mtp']> = {
    ...parseListenFlag('mtp-http', argv.mtpHttp, 7780),
    peers: parseMtpPeers(text, platform),
    ...listeners,
  };
  if (signingKeyFile !== undefined) out.signingKeyFile = path.resolve(cwd, signingKeyFile);
  if (argv.mtpCa !== undefined) out.caPem = readCaFile(path.resolve(cwd, argv.mtpCa), argv.mtpCa);
  if (argv.mtpAdvertise !== undefined) out.advertise = usage(() => parseAccAdvertise(argv.mtpAdvertise!));
  // A wildcard bind needs --mtp-advertise, and a plain-HTTP one off loopback --listener-insecure: refused here, before the node starts.
  usage(() => checkAccAdvertise(out));
  return out;
}

/** `--platform`: the node's platform name, checked as the peers file checks a peer's; undefined: the node's default (caxton). */
export function platformOption(platform: string | undefined): string | undefined {
  return platform === undefined ? undefined : usage(() => checkPlatformName(platform));
}

/** The node's configuration errors, as the CLI's usage errors (exit code 2), message and hint kept. */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof MtpConfigError) throw new UsageError(err.message, err.hint);
    throw err;
  }
}

/** The CA file's text: a regular file, its size checked on the handle it is read from; the node checks each certificate parses. */
function readCaFile(file: string, given: string): string {
  try {
    return readBoundedFileSync(file, HTTP_POLICY_MAXIMA.extraCaPemBytes).toString('utf8');
  } catch (err) {
    const tooBig = /more than the \d+ allowed/.test((err as Error).message);
    throw new UsageError(
      `--mtp-ca ${given}: ${(err as Error).message}`,
      tooBig ? 'give only the CA certificates of the peer platforms' : undefined,
    );
  }
}
