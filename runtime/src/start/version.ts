/** The version this build of Caxton reports (the API's GetNode, the MCP server's info). */
export const CAXTON_VERSION = '0.1.0';
