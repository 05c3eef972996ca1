/**
 * `caxton serve --mcp <host:port>`: the node's MCP endpoint (decision 1900), off by default.
 * It takes the API's bearer tokens: off loopback it needs TLS (--listener-cert/--listener-key) or
 * --listener-insecure (decision 2040).
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { listenerWithTimeout, withListenerFlags, type ListenerFlags } from './serve-console-options.js';

export interface McpArgs {
  mcp?: string;
  mcpCallTimeout?: number;
}

const MCP_FLAGS: ListenerFlags = { listen: 'mcp', timeout: 'mcp-call-timeout', examplePort: 8090 };

export function withMcpOptions<T>(y: Argv<T>): Argv<T> {
  return withListenerFlags(y, MCP_FLAGS, {
    listen:
      "Serve MCP (streamable HTTP at /mcp) on host:port (HTTPS with --listener-cert): agents' advertised services as tools (off by default; e.g. 127.0.0.1:8090)",
    timeout: "Seconds an MCP tool call waits for the agent's answer (default 30)",
  });
}

/** Flags → the node's MCP options; undefined without --mcp. */
export function mcpNodeOptions(argv: McpArgs): StartNodeOptions['mcp'] {
  return listenerWithTimeout(MCP_FLAGS, argv.mcp, argv.mcpCallTimeout);
}
