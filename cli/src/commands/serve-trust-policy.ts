/**
 * `--trust` / `--trust-policy` (serve-trust-options.ts) → the node's trust options, checked against
 * the node's own list of modes (TRUST_MODES, one definition). Loaded only when serve runs.
 */
import path from 'node:path';
import { TRUST_MODES, type StartNodeOptions, type TrustMode } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';
import type { TrustArgs } from './serve-trust-options.js';

export function trustNodeOptions(argv: TrustArgs, cwd: string): StartNodeOptions['trust'] | undefined {
  const keyPaths = (argv.trust ?? []).map((p) => path.resolve(cwd, p));
  let mode: TrustMode | undefined;
  if (argv.trustPolicy !== undefined) {
    mode = TRUST_MODES.find((m) => m === argv.trustPolicy);
    if (mode === undefined) throw new UsageError(`--trust-policy ${argv.trustPolicy} is not one of ${TRUST_MODES.join(', ')}`);
    if (mode === 'require' && keyPaths.length === 0) {
      throw new UsageError(
        '--trust-policy require needs --trust <public keys>',
        'without a trusted key every deploy would be refused; make a key pair with `caxton keygen`',
      );
    }
  }
  if (keyPaths.length === 0 && mode === undefined) return undefined;
  return { keyPaths, ...(mode !== undefined ? { mode } : {}) };
}
