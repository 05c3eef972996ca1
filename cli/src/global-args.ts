/**
 * The global options every command gets, and their defaults: plain values, so app.ts can declare
 * the options without loading the client that context.ts opens with them.
 */
export const DEFAULT_ADDR = '127.0.0.1:50051';
export const DEFAULT_DATA_DIR = '.caxton';

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
}
