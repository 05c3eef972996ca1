/**
 * `caxton serve --trust <file|dir>… --trust-policy off|warn|require` (decision 1400): which agent
 * signatures the node trusts and what it does with artifacts nobody it trusts signed. The flags;
 * what they become is serve-trust-policy.ts (loaded when serve runs: it needs the node's TRUST_MODES).
 */
import type { Argv } from 'yargs';

export interface TrustArgs {
  trust?: string[];
  trustPolicy?: string;
}

export function trustOptions<T>(y: Argv<T>): Argv<T & TrustArgs> {
  return y
    .option('trust', {
      type: 'string',
      array: true,
      describe: 'Public keys whose agent signatures this node trusts: .pub/.pem files or directories of them (repeatable)',
    })
    .option('trust-policy', {
      type: 'string',
      describe:
        "Unsigned or untrusted artifacts: off (ignore signatures), warn (deploy, warn in the agent's log), require (refuse). Default: warn with --trust, else off",
    }) as Argv<T & TrustArgs>;
}
