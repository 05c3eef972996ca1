/**
 * The named roles (decision 1760): each one a set of permissions, defined here and nowhere else.
 * docs/security.md shows this table (rolesTableMarkdown, checked by a test). `admin` and `read` are
 * the roles of the node's two token files (auth-token, auth-token.read; decisions 0804, 1401);
 * the others exist for issued tokens. Pure.
 */
import { PERMISSIONS, type Permission } from './permissions.js';

export interface RoleDefinition {
  permissions: readonly Permission[];
  /** Who it is for, one line. */
  purpose: string;
}

const LOOK: readonly Permission[] = ['agents.read', 'messages.read', 'logs.read', 'directory.read', 'node.status', 'deadletters.read'];

export const ROLES = {
  admin: { permissions: PERMISSIONS, purpose: 'everything; the auth-token file' },
  deployer: {
    permissions: [...LOOK, 'config.read', 'agents.deploy', 'agents.stop', 'messages.send', 'state.read', 'state.write'],
    purpose: 'CI and teams shipping agents: deploy, upgrade, stop, talk to and seed their agents; no kill switch, audit or tokens',
  },
  operator: {
    permissions: [
      ...LOOK,
      'config.read',
      'agents.stop',
      'agents.suspend',
      'agents.scale',
      'node.freeze',
      'state.read',
      'audit.read',
      'deadletters.manage',
    ],
    purpose:
      'on-call: stop, suspend, scale, freeze and thaw, redrive and purge dead letters, read the audit trail; cannot put code on the node or speak as the operator',
  },
  observer: {
    permissions: LOOK,
    purpose: 'dashboards and log shippers: look only; config values redacted, no state, no audit trail',
  },
  read: {
    permissions: [...LOOK, 'state.read'],
    purpose: 'the auth-token.read file, as before: an observer that may also read agent state (decision 1600)',
  },
} as const satisfies Record<string, RoleDefinition>;

export type RoleName = keyof typeof ROLES;

export const ROLE_NAMES = Object.keys(ROLES) as RoleName[];

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(ROLES, name);
}

export function roleHas(role: RoleName, permission: Permission): boolean {
  return (ROLES[role].permissions as readonly Permission[]).includes(permission);
}
