/**
 * `caxton serve --mcp <host:port>`: the node's MCP endpoint (decision 1900), off by default.
 * It takes the API's bearer tokens: off loopback it needs TLS (--listener-cert/--listener-key) or
 * --listener-insecure (decision 2040).
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';
import { parseListenFlag } from './serve-console-options.js';

export interface McpArgs {
  mcp?: string;
  mcpCallTimeout?: number;
}

export function withMcpOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('mcp', {
      type: 'string',
      describe:
        "Serve MCP (streamable HTTP at /mcp) on host:port (HTTPS with --listener-cert): agents' advertised services as tools (off by default; e.g. 127.0.0.1:8090)",
    })
    .option('mcp-call-timeout', {
      type: 'number',
      describe: "Seconds an MCP tool call waits for the agent's answer (default 30)",
    }) as unknown as Argv<T>;
}

/** Flags → the node's MCP options; undefined without --mcp. */
export function mcpNodeOptions(argv: McpArgs): StartNodeOptions['mcp'] {
  if (argv.mcp === undefined) {
    if (argv.mcpCallTimeout !== undefined) throw new UsageError('--mcp-call-timeout needs --mcp host:port');
    return undefined;
  }
  const out: NonNullable<StartNodeOptions['mcp']> = parseListenFlag('mcp', argv.mcp, 8090);
  if (argv.mcpCallTimeout !== undefined) {
    if (!(argv.mcpCallTimeout >= 1 && argv.mcpCallTimeout <= 3600))
      throw new UsageError(`--mcp-call-timeout ${argv.mcpCallTimeout} is not a number of seconds from 1 to 3600`);
    out.callTimeoutMs = Math.round(argv.mcpCallTimeout * 1000);
  }
  return out;
}
