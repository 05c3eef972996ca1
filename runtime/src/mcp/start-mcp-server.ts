/**
 * Starts a node's MCP endpoint, loading its server (and with it the MCP SDK, zod and ajv: ~230
 * modules) only when the node is configured to serve MCP, not with every import of the runtime
 * (decision 2138).
 */
import { checkMcpBinding, McpConfigError, type McpEndpoint, type McpServerOptions } from './mcp-config.js';

export async function startMcpServer(o: McpServerOptions): Promise<McpEndpoint> {
  checkMcpBinding(o);
  let server: typeof import('./mcp-server.js');
  try {
    server = await import('./mcp-server.js');
  } catch (err) {
    // A missing library is the operator's to fix; any other failure is a bug, raised as it is.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new McpConfigError(
      `--mcp: the MCP server could not be loaded: ${(err as Error).message}`,
      "its library (@modelcontextprotocol/sdk) is missing or broken: reinstall caxton's dependencies (`npm ci`), or start the node without --mcp",
    );
  }
  return server.serveMcp(o);
}
