/** The MCP endpoint of a node (decision 1900): its one public entry point. */
export { checkMcpBinding, McpConfigError, type McpEndpoint, type McpServerOptions } from './mcp-config.js';
export { startMcpServer } from './start-mcp-server.js';
export { toolsFromDirectory, TOOL_INPUT_SCHEMA, type McpTool } from './tool-catalog.js';
export { replyVerdict, type ReplyVerdict } from '../conversation/index.js';
