/**
 * The fields of an application file (`caxton apply -f`, decision 2169), defined once: the parser
 * checks a file against these rows, and the published JSON Schema (docs/schemas/caxton-app.schema.json)
 * is generated from them. The keys of `limits`, `kind` and `rollout` are the deploy and upgrade
 * flags' names, taken from core's limit tables, so a file says what the command line says.
 */
import { AGENT_LIMIT_TABLE, AGENT_NAME, DEPLOYABLE_LIMITS, KIND_LIMIT_TABLE, REPLICA_LIMITS } from '@caxton/core';
import { ROLLOUT_THRESHOLD_FLAGS } from '../limit-flags.js';

/** The one version of the file's format this CLI reads. */
export const APP_API_VERSION = 'caxton/v1';

export type FieldType = 'string' | 'integer' | 'boolean' | 'string-map' | 'string-list' | 'flag-map';

export interface FieldRow {
  type: FieldType;
  description: string;
  required?: boolean;
  /** integer: the range. */
  minimum?: number;
  maximum?: number;
  /** string: a pattern the value must match (as JSON Schema writes it). */
  pattern?: string;
  /** flag-map: the keys it takes (each a string value, parsed as the flag of that name). */
  keys?: readonly string[];
}

const limitFlags = DEPLOYABLE_LIMITS.map((name) => AGENT_LIMIT_TABLE[name].deploy.flag);
const kindFlags = [...Object.values(KIND_LIMIT_TABLE).map((row) => row.deploy.flag), 'priority-class'];
const rolloutFlags = ['strategy', ...ROLLOUT_THRESHOLD_FLAGS];

/** One agent (or kind) of the file. */
export const AGENT_FIELDS = {
  name: {
    type: 'string',
    required: true,
    pattern: AGENT_NAME.source,
    description: "The agent's name; with `kind`, the kind's name (its instances are `<name>/<key>`).",
  },
  source: {
    type: 'string',
    required: true,
    description:
      'A .wasm component or an agent project directory (built first), relative to this file; or oci://<registry>/<repository>[:tag][@sha256:…], pulled and checked first.',
  },
  config: { type: 'string-map', description: "Strings passed to the agent's init: the whole config (a key left out is removed)." },
  limits: {
    type: 'flag-map',
    keys: limitFlags,
    description: "The agent's limits, as `caxton deploy` takes them (`fuel: 5M`, `memory: 4MiB`); one left out keeps its value.",
  },
  replicas: {
    type: 'integer',
    minimum: 1,
    maximum: REPLICA_LIMITS.maxReplicas,
    description: 'How many replicas run behind the name (a cluster: stateless workers across nodes). Default 1.',
  },
  topics: {
    type: 'string-list',
    description: 'Topics it may subscribe to: names or prefixes ending in `*`; left out: kept as deployed (a new agent: every topic).',
  },
  kind: {
    type: 'flag-map',
    keys: kindFlags,
    description: 'Deploy an agent kind: one instance per key, on demand (`idle: 10s`, `priority-class: high`).',
  },
  rollout: {
    type: 'flag-map',
    keys: rolloutFlags,
    description: 'How a changed version is applied: `strategy: canary:10` or `blue-green`, with its thresholds; left out: drain and swap.',
  },
  keepState: { type: 'boolean', description: 'At the first deploy, keep the state an earlier deployment of this name left.' },
  near: {
    type: 'string',
    pattern: AGENT_NAME.source,
    description:
      'At the first deploy, place it on the node of this agent and keep them together (a cluster; `caxton deploy --near`). Fixed afterwards: a different one is refused by the plan.',
  },
} as const satisfies Record<string, FieldRow>;

export type AgentField = keyof typeof AGENT_FIELDS;

/** The file's top level. */
export const TOP_FIELDS = {
  apiVersion: {
    type: 'string',
    required: true,
    pattern: `^${APP_API_VERSION.replace('/', '\\/')}$`,
    description: `Always \`${APP_API_VERSION}\`.`,
  },
  agents: { type: 'string-list', required: true, description: 'The agents and kinds the node (or cluster) runs, by name.' },
} as const;

function rowSchema(row: FieldRow): Record<string, unknown> {
  const base = { description: row.description };
  switch (row.type) {
    case 'string':
      return { ...base, type: 'string', minLength: 1, ...(row.pattern !== undefined ? { pattern: row.pattern } : {}) };
    case 'integer':
      return { ...base, type: 'integer', minimum: row.minimum, maximum: row.maximum };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'string-map':
      return { ...base, type: 'object', additionalProperties: { type: 'string' } };
    case 'string-list':
      return { ...base, type: 'array', items: { type: 'string' } };
    case 'flag-map':
      return {
        ...base,
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries((row.keys ?? []).map((k) => [k, { type: ['string', 'number'] }])),
      };
  }
}

/** The JSON Schema (draft 2020-12) of the file, from the rows above: what editors and CI linters read. */
export function appManifestJsonSchema(): Record<string, unknown> {
  const agentRows = Object.entries(AGENT_FIELDS) as [AgentField, FieldRow][];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Caxton application',
    description: 'The agents and kinds `caxton apply -f` makes a node or cluster run (docs/apply.md).',
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'agents'],
    properties: {
      apiVersion: { description: TOP_FIELDS.apiVersion.description, const: APP_API_VERSION },
      agents: {
        description: TOP_FIELDS.agents.description,
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: agentRows.filter(([, row]) => row.required === true).map(([name]) => name),
          properties: Object.fromEntries(agentRows.map(([name, row]) => [name, rowSchema(row)])),
        },
      },
    },
  };
}
