/**
 * Agent names: the one rule, shared by the API (which refuses a bad name before any upload work)
 * and the node's agent lifecycle. Names end up in file names, metrics labels and `name@platform`
 * ids, so they are kept plain.
 */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const AGENT_NAME_HINT = 'names are 1-128 characters of letters, digits, ".", "_" and "-", starting with a letter or digit';
