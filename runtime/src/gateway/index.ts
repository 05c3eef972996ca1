/** What the node's token-bearing HTTP gateways (A2A, MCP) share: its one public entry point. */
export { GatewayFront, type GatewayShape } from './gateway-front.js';
export type { GatewayOptions } from './gateway-options.js';
export type { GatewayListen } from './listen.js';
export type { BodyRefusals } from './request-body.js';
export { jsonRpcError, type Refusal } from './refusal.js';
