export * from './permissions.js';
export * from './roles.js';
export * from './agent-pattern.js';
export * from './authorize.js';
export { permissionsTableMarkdown, rolesTableMarkdown } from './roles-table.js';
