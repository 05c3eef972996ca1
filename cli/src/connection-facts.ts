/** Where the CLI was talking to, for advice (cli-error.ts, api-error-advice.ts); filled by context.ts. */
export interface ConnectionFacts {
  address: string;
  /** e.g. `--token`, `CAXTON_TOKEN`, `.caxton/auth-token`; undefined when no token was found. */
  tokenSource?: string;
  /** The token file looked for when none was given. */
  tokenFile: string;
  timeoutMs: number;
}

