/**
 * The access check as the API and the console enforce it (decision 1760): core's pure `authorize`
 * decides; this turns its denial into PERMISSION_DENIED with the reason, the permission needed and
 * a hint saying how to get it. Both surfaces call `requireAllowed`, so they cannot disagree.
 */
import {
  authorize,
  DEFAULT_PRIORITY_CLASS,
  priorityClassRank,
  ROLE_NAMES,
  roleHas,
  type Denial,
  type Principal,
  type RoleName,
} from '@caxton/core';
import { PermissionDeniedError } from './errors.js';

export { changesNothing } from '@caxton/core';
export type { Principal } from '@caxton/core';

/** A token's role. */
export type Role = RoleName;

function who(principal: Principal): string {
  if (principal.role === 'read') return 'the read-only token';
  return principal.tokenId ? `token ${principal.tokenId} (role ${principal.role})` : `the ${principal.role} token`;
}

/** The refusal for `denial`: message, typed reason in the context, hint naming what is missing. */
export function permissionDenied(principal: Principal, denial: Denial): PermissionDeniedError {
  const context = {
    method: denial.method,
    reason: denial.reason,
    role: principal.role,
    ...(denial.permission ? { permission: denial.permission } : {}),
    ...(denial.agent ? { agent: denial.agent } : {}),
  };
  switch (denial.reason) {
    case 'permission-missing': {
      const holders = ROLE_NAMES.filter((r) => roleHas(r, denial.permission!)).join(', ');
      return new PermissionDeniedError(`${who(principal)} may not call ${denial.method}`, {
        context,
        hint: `it needs permission ${denial.permission}, which roles ${holders} hold: use the admin token: the node's auth-token file, or one an admin issues with \`caxton token issue --role <role>\``,
      });
    }
    case 'agent-out-of-scope':
      return new PermissionDeniedError(
        `${who(principal)} is confined to agents ${principal.agents}: ${denial.method} on ${denial.agent} is outside them`,
        {
          context,
          hint: `use a token whose --agents pattern covers ${denial.agent}, or one not confined to agents`,
        },
      );
    case 'node-wide-call':
      return new PermissionDeniedError(
        `${who(principal)} is confined to agents ${principal.agents}: ${denial.method} acts on the whole node`,
        {
          context,
          hint: `node-wide calls need a token not confined with --agents (permission ${denial.permission})`,
        },
      );
    case 'unknown-method':
      return new PermissionDeniedError(`${denial.method} is not in the node's permission table`, {
        context,
        hint: "only an unconfined admin token may call it: the node's auth-token file",
      });
  }
}

/** Throws PERMISSION_DENIED unless `principal` may call `method` on `agents` (see core's authorize). */
export function requireAllowed(principal: Principal, method: string, agents?: readonly string[]): void {
  const denial = authorize(principal, method, agents);
  if (denial) throw permissionDenied(principal, denial);
}

/**
 * A kind of a class above the default takes other agents' activation slots (decision 2187): it acts
 * on the whole node, as a scale does (N replicas are N instances' worth of it). Deploying one needs
 * `agents.scale` and a token not confined to agents — a tenant confined to `team-a-*` must not
 * evict `team-b-*`'s instances by declaring its own kind `high`.
 */
export function requirePriorityClassAllowed(principal: Principal, name: string, priorityClass: string | undefined): void {
  if (priorityClass === undefined || priorityClassRank(priorityClass) <= priorityClassRank(DEFAULT_PRIORITY_CLASS)) return;
  requireAllowed(principal, 'ScaleAgent', [name]);
  if (principal.agents !== undefined)
    throw new PermissionDeniedError(
      `${who(principal)} is confined to agents ${principal.agents}: a kind of priority class ${priorityClass} preempts other agents' instances on the node`,
      {
        context: { method: 'DeployAgent', reason: 'node-wide-call', role: principal.role, agent: name },
        hint: 'deploy it with a token not confined with --agents that holds agents.scale (an operator or admin), or without --priority-class',
      },
    );
}
