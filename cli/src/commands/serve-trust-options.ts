/**
 * `caxton serve --trust <file|dir>… --trust-policy off|warn|require` (decision 1400): which agent
 * signatures the node trusts and what it does with artifacts nobody it trusts signed.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { TRUST_MODES, type StartNodeOptions, type TrustMode } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';

export interface TrustArgs {
  trust?: string[];
  trustPolicy?: string;
}

export function trustOptions<T>(y: Argv<T>): Argv<T & TrustArgs> {
  return y
    .option('trust', { type: 'string', array: true, describe: 'Public keys whose agent signatures this node trusts: .pub/.pem files or directories of them (repeatable)' })
    .option('trust-policy', { type: 'string', describe: 'Unsigned or untrusted artifacts: off (ignore signatures), warn (deploy, warn in the agent\'s log), require (refuse). Default: warn with --trust, else off' }) as Argv<T & TrustArgs>;
}

export function trustNodeOptions(argv: TrustArgs, cwd: string): StartNodeOptions['trust'] | undefined {
  const keyPaths = (argv.trust ?? []).map((p) => path.resolve(cwd, p));
  let mode: TrustMode | undefined;
  if (argv.trustPolicy !== undefined) {
    mode = TRUST_MODES.find((m) => m === argv.trustPolicy);
    if (mode === undefined) throw new UsageError(`--trust-policy ${argv.trustPolicy} is not one of ${TRUST_MODES.join(', ')}`);
    if (mode === 'require' && keyPaths.length === 0) {
      throw new UsageError('--trust-policy require needs --trust <public keys>', 'without a trusted key every deploy would be refused; make a key pair with `caxton keygen`');
    }
  }
  if (keyPaths.length === 0 && mode === undefined) return undefined;
  return { keyPaths, ...(mode !== undefined ? { mode } : {}) };
}
