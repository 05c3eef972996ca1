/**
 * What the node's token-bearing HTTP gateways (A2A, MCP) are both given: their own options extend
 * it. Types only, so that mcp-config.ts (read whether or not the node serves MCP) stays light.
 */
import type { NodeControl, Principal } from '@caxton/core';
import type { AuditedControl } from '../audit/audited-control.js';
import type { ListenerSecurity } from '../listener/index.js';

export interface GatewayOptions extends ListenerSecurity {
  host: string;
  port: number;
  /** Reads: the directory, agents, the message tail. */
  control: NodeControl;
  /** Sends are made through it as the caller; without it (no audit trail) through `control`. */
  audited?: AuditedControl;
  resolvePrincipal: (values: readonly unknown[]) => Principal;
  onInternalError?: (err: unknown) => void;
}
