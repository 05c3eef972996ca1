/** Where the CLI was talking to, for advice (cli-error.ts, api-error-advice.ts); filled by context.ts. */
export interface ConnectionFacts {
  address: string;
  /** The named context the address came from (decision 1840), so errors say "staging", not only host:port. */
  contextName?: string;
  /** e.g. `--token`, `CAXTON_TOKEN`, `.caxton/auth-token`; undefined when no token was found. */
  tokenSource?: string;
  /** The token file looked for when none was given; undefined when none was (a context without one). */
  tokenFile?: string;
  timeoutMs: number;
}
