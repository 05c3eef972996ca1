/**
 * `caxton serve --mtp-http <host:port> --mtp-peers <file>`: the FIPA HTTP MTP (decision 1910), off
 * by default. Loopback only: a peer's secret travels in its ACC URL's path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { parseMtpPeers, type StartNodeOptions } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';
import { parseListenFlag } from './serve-console-options.js';

export interface MtpArgs {
  mtpHttp?: string;
  mtpPeers?: string;
}

export function withMtpOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('mtp-http', { type: 'string', describe: 'Serve a FIPA ACC (HTTP MTP, SC00084) on host:port, loopback only, so JADE and other FIPA platforms exchange messages with agents here (off by default; needs --mtp-peers; e.g. 127.0.0.1:7780)' })
    .option('mtp-peers', { type: 'string', describe: 'JSON file of the peer platforms allowed to post: {"peers":[{"platform":"jade-1","secret":"…","acc":"<its ACC URL>"}]}; each posts to http://<mtp-http>/acc/<its secret> (docs/interop.md)' }) as unknown as Argv<T>;
}

/** Flags → the node's MTP options; undefined without --mtp-http. */
export function mtpNodeOptions(argv: MtpArgs, cwd: string, platform = 'caxton'): StartNodeOptions['mtp'] {
  if (argv.mtpHttp === undefined) {
    if (argv.mtpPeers !== undefined) throw new UsageError('--mtp-peers needs --mtp-http host:port');
    return undefined;
  }
  if (argv.mtpPeers === undefined) throw new UsageError('--mtp-http needs --mtp-peers <file>: the platforms allowed to post, each with its secret (docs/interop.md)');
  const file = path.resolve(cwd, argv.mtpPeers);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--mtp-peers ${argv.mtpPeers}: ${(err as Error).message}`);
  }
  return { ...parseListenFlag('mtp-http', argv.mtpHttp, 7780), peers: parseMtpPeers(text, platform) };
}
