/**
 * `StartNodeOptions.trust` → the node's TrustPolicy (decision 1400). Keys are loaded before anything
 * else starts, so a typo in a key path stops the node instead of letting it run with fewer keys.
 */
import { loadTrustedKeys } from '../signing/trust-files.js';
import { TrustPolicy, type TrustMode } from '../signing/trust.js';
import type { StartNodeOptions } from './options.js';

/** Default: `warn` when keys are given (signatures are checked and shown), else `off`. */
export function defaultTrustMode(keyCount: number): TrustMode {
  return keyCount > 0 ? 'warn' : 'off';
}

export async function trustPolicyFor(options: StartNodeOptions): Promise<TrustPolicy> {
  const keys = await loadTrustedKeys(options.trust?.keyPaths ?? []);
  return new TrustPolicy(options.trust?.mode ?? defaultTrustMode(keys.length), keys);
}
