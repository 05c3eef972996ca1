/**
 * Agent names: the one rule, shared by the API (which refuses a bad name before any upload work)
 * and the node's agent lifecycle. Names end up in file names, metrics labels and `name@platform`
 * ids, so they are kept plain.
 */
import { InvalidArgumentError } from './errors.js';

export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const AGENT_NAME_HINT = 'names are 1-128 characters of letters, digits, ".", "_" and "-", starting with a letter or digit';

/**
 * The key of a keyed instance of an agent kind (decision 1980): `<kind>/<key>`, e.g. `counter/alice`.
 * Plain like a name (it is part of one: logs, state, `caxton agents counter/alice`), and bounded,
 * since a sender chooses it and every distinct key can cost an activation.
 */
export const INSTANCE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const INSTANCE_NAME_HINT =
  'address an instance of a kind as <kind>/<key>, e.g. counter/alice; the key is 1-128 characters of letters, digits, ".", "_" and "-", starting with a letter or digit';

/** A keyed instance's name taken apart. */
export interface InstanceName {
  kind: string;
  key: string;
}

/**
 * Whether `name` addresses a keyed instance of a kind (`counter/alice`) rather than a plain agent:
 * the one test for "an instance", not a check that the name is valid (parseInstanceName checks).
 */
export function isInstanceName(name: string): boolean {
  return name.includes('/');
}

/**
 * `counter/alice` → `{ kind: 'counter', key: 'alice' }`; undefined for a plain agent name (no `/`).
 * A name with a `/` that is not a valid instance name is refused (InvalidArgumentError naming
 * `field`), never read as some other agent's.
 */
export function parseInstanceName(name: string, field = 'receiver'): InstanceName | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const kind = name.slice(0, slash);
  const key = name.slice(slash + 1);
  if (!AGENT_NAME.test(kind) || !INSTANCE_KEY.test(key)) {
    throw new InvalidArgumentError(field, `"${name.slice(0, 300)}" is not a valid instance name`, INSTANCE_NAME_HINT);
  }
  return { kind, key };
}

/** The name of the instance of `kind` for `key` (both valid). */
export function instanceName(kind: string, key: string): string {
  return `${kind}/${key}`;
}
