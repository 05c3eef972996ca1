/**
 * The one access check (decision 1760), behind the gRPC API and the web console alike: may this
 * caller make this call, on these agents? Answers with the reason it may not — never a bare no —
 * so the refusal can name the permission or the scope that is missing. Pure.
 */
import { matchesAgentPattern } from './agent-pattern.js';
import { rpcAccess, type Permission } from './permissions.js';
import { roleHas, type RoleName } from './roles.js';

/** Who is calling, as their token says. */
export interface Principal {
  role: RoleName;
  /** Agent-name patterns the token is confined to (agent-pattern.ts); undefined: every agent. */
  agents?: string;
  /** The issued token's id (its fingerprint), when the token is an issued one. */
  tokenId?: string;
}

/** The principal of a node serving without tokens (--no-auth): every caller may do everything. */
export const UNCHECKED_PRINCIPAL: Principal = Object.freeze({ role: 'admin' });

export type DenialReason =
  /** The RPC is not in the permission table: only a role holding every permission may call it. */
  | 'unknown-method'
  /** The role lacks the RPC's permission. */
  | 'permission-missing'
  /** The token is confined to some agents and the call names another one. */
  | 'agent-out-of-scope'
  /** The token is confined to some agents and the call is about the whole node. */
  | 'node-wide-call';

export interface Denial {
  reason: DenialReason;
  method: string;
  permission?: Permission;
  /** The agent outside the token's scope. */
  agent?: string;
}

function hasEveryPermission(role: RoleName): boolean {
  return role === 'admin';
}

/**
 * Why `principal` may not call `method`, or undefined when it may. `agents` are the agents the call
 * is about (the request's agent name, a message's receivers); leave it undefined while they are not
 * known yet (an upload's header has not arrived): the permission is checked, the scope then is not,
 * and the caller checks again once it knows them. A node-wide call is refused to a scoped token at
 * once.
 */
export function authorize(principal: Principal, method: string, agents?: readonly string[]): Denial | undefined {
  const access = rpcAccess(method);
  if (access === undefined)
    return hasEveryPermission(principal.role) && principal.agents === undefined ? undefined : { reason: 'unknown-method', method };
  const { permission, target } = access;
  if (!roleHas(principal.role, permission)) return { reason: 'permission-missing', method, permission };
  if (principal.agents === undefined) return undefined;
  if (target.kind === 'node') return { reason: 'node-wide-call', method, permission };
  for (const agent of agents ?? []) {
    if (!matchesAgentPattern(principal.agents, agent)) return { reason: 'agent-out-of-scope', method, permission, agent };
  }
  return undefined;
}

/** Whether the principal's token reaches agent `name` (list answers are filtered with it). */
export function principalSees(principal: Principal, name: string): boolean {
  return principal.agents === undefined || matchesAgentPattern(principal.agents, name);
}

/** Whether the principal holds `permission` (e.g. config.read: config values shown, not redacted). */
export function principalMay(principal: Principal, permission: Permission): boolean {
  return roleHas(principal.role, permission);
}
