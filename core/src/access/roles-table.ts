/**
 * The roles and permissions tables as docs/security.md shows them, rendered from ROLES and
 * RPC_ACCESS so the document cannot drift from the code (a test compares them). Pure.
 */
import { PERMISSION_MEANING, PERMISSIONS, RPC_ACCESS } from './permissions.js';
import { ROLE_NAMES, roleHas } from './roles.js';

/** A Markdown table: one row per permission, one column per role, ✓ where the role holds it. */
export function rolesTableMarkdown(): string {
  const header = `| permission | ${ROLE_NAMES.join(' | ')} |`;
  const rule = `|---|${ROLE_NAMES.map(() => ':-:').join('|')}|`;
  const rows = PERMISSIONS.map((p) => `| \`${p}\` | ${ROLE_NAMES.map((r) => (roleHas(r, p) ? '✓' : '')).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** A Markdown table: each permission, the RPCs (and console routes standing for them) it gates, what it allows. */
export function permissionsTableMarkdown(): string {
  const rows = PERMISSIONS.map((p) => {
    const rpcs = Object.entries(RPC_ACCESS)
      .filter(([, a]) => a.permission === p)
      .map(([m]) => `\`${m}\``);
    return `| \`${p}\` | ${rpcs.length > 0 ? rpcs.join(', ') : '(agent config values in `ListAgents`, `GetAgent`)'} | ${PERMISSION_MEANING[p]} |`;
  });
  return ['| permission | RPCs | allows |', '|---|---|---|', ...rows].join('\n');
}
