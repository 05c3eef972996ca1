/**
 * The MCP endpoint's options, its refusal and the binding check that runs before the node starts
 * anything: apart from mcp-server.ts, so that a node that does not serve MCP never loads the MCP
 * SDK (with zod and ajv, ~230 modules; decision 2138).
 */
import { CaxtonError } from '@caxton/core';
import type { GatewayOptions } from '../gateway/index.js';
import { checkPlaintextBinding, type ListenerSecurity } from '../listener/index.js';

export interface McpServerOptions extends GatewayOptions {
  /** How long a tool call waits for the agent's answer. Default 30 s. */
  callTimeoutMs?: number;
  /** Tool calls waiting for answers at once; past it a call is refused. Default 64. */
  maxCallsInFlight?: number;
  version: string;
}

export interface McpEndpoint {
  readonly port: number;
  /** http(s)://host:port/mcp */
  readonly url: string;
  close(): Promise<void>;
}

export class McpConfigError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('mcp.bad-config', message, { kind: 'invalid-argument', hint });
  }
}

/** Tokens must not cross a network in clear: plain HTTP off loopback only by the operator's explicit choice (checked before the node starts anything). */
export function checkMcpBinding(o: { host: string; port: number } & ListenerSecurity): void {
  checkPlaintextBinding(o, { flag: '--mcp', exposes: 'bearer tokens', fail: (message, hint) => new McpConfigError(message, hint) });
}
