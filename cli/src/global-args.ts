/**
 * The global options every command gets, and their defaults: plain values, so app.ts can declare
 * the options without loading the client that context.ts opens with them.
 */
export const DEFAULT_ADDR = '127.0.0.1:50051';
export const DEFAULT_DATA_DIR = '.caxton';

/**
 * The global options as a command's body sees them: every connection setting decided, from a
 * flag, the environment, a named context or the default (connection-precedence.ts).
 */
export interface GlobalArgs {
  addr: string;
  token?: string;
  tokenFile?: string;
  insecure?: boolean;
  dataDir: string;
  tls: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  timeout: number;
  json: boolean;
  /** `--context <name>`: a named context for this call (decision 1840). */
  context?: string;
}

/**
 * The same options as parsed, before precedence: the settings a named context can supply have no
 * yargs default, so "not given" can be told apart from "given as the default value".
 */
export type GivenGlobalArgs = Omit<GlobalArgs, 'addr' | 'dataDir' | 'tls' | 'json'> & {
  addr?: string;
  dataDir?: string;
  tls?: boolean;
  json?: boolean;
};
