/**
 * The MCP tools a node offers (pure): one per service an agent advertises in the directory (DF),
 * named `<agent>.<service type>` so a model reads what it calls. A call is a FIPA `request` to
 * that agent; its answer is the agent's reply (../conversation/reply-rule.ts).
 *
 * Names follow MCP's tool-name rule (1–128 of A–Z a–z 0–9 _ - .): other characters become `_`,
 * and a name two services would share gets `-2`, `-3`… in directory order, so every tool has
 * one name and every name one tool.
 */
import type { DfAgentDescription, OntologySchemas } from '@caxton/core';

export interface McpTool {
  name: string;
  description: string;
  /** The local name of the agent the call is sent to. */
  agent: string;
  service: { name: string; type: string };
  /** The ontologies the service names (its directory entry's); may be empty. */
  serviceOntologies: readonly string[];
  /** The agent declares ontologies (its directory entry lists them, decision 2183): its schemas are worth asking for. */
  declaresOntologies: boolean;
}

/** What a tool call takes: the request's content (the agent's own language), nothing else. */
export const TOOL_INPUT_SCHEMA = Object.freeze({
  type: 'object',
  properties: {
    content: { type: 'string', description: "the request's content, as the agent's service expects it" },
  },
  required: ['content'],
  additionalProperties: false,
} as const);

const MAX_NAME = 128;

function localName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

function toolName(agent: string, service: string): string {
  return `${agent}.${service}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MAX_NAME);
}

export function toolsFromDirectory(descriptions: readonly DfAgentDescription[]): McpTool[] {
  const tools: McpTool[] = [];
  const taken = new Map<string, number>();
  for (const d of descriptions) {
    const agent = localName(d.name.name);
    for (const s of d.services) {
      const base = toolName(agent, s.type !== '' ? s.type : s.name);
      const seen = (taken.get(base) ?? 0) + 1;
      taken.set(base, seen);
      const name = seen === 1 ? base : `${base.slice(0, MAX_NAME - String(seen).length - 1)}-${seen}`;
      const protocols = s.protocols.length > 0 ? ` It speaks ${s.protocols.join(', ')}.` : '';
      tools.push({
        name,
        agent,
        service: { name: s.name, type: s.type },
        serviceOntologies: s.ontologies,
        declaresOntologies: d.ontologies.length > 0,
        description: `Sends a FIPA request to the Caxton agent ${agent} for its service ${JSON.stringify(s.name)} (type ${JSON.stringify(s.type)}) and returns its reply.${protocols}`,
      });
    }
  }
  return tools;
}

/**
 * The ontology a tool's calls are sent in (decision 2183), given the schemas its agent declares:
 * the first the service names that the agent declares, else the agent's only one. Undefined: the
 * tool takes plain text content, as before.
 */
export function toolOntology(tool: McpTool, declared: OntologySchemas | undefined): string | undefined {
  if (declared === undefined) return undefined;
  const named = tool.serviceOntologies.find((o) => Object.hasOwn(declared, o));
  if (named !== undefined) return named;
  const names = Object.keys(declared);
  return names.length === 1 ? names[0] : undefined;
}

/**
 * A tool whose content is XML of an ontology declared by an XML Schema (decision 2190): MCP input
 * schemas are JSON Schemas, so the content is a string, which the bus checks against the XML Schema.
 */
export function xmlInputSchema(ontology: string): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      content: {
        type: 'string',
        description: `XML of the agent's ontology ${ontology}, checked against its XML Schema before the agent gets it`,
      },
    },
    required: ['content'],
  };
}

/**
 * A tool whose content is JSON of an ontology: its input schema wraps the ontology's schema under
 * `properties.content`. The schema's internal `$ref`s point from its own root, so they are moved
 * with it: `definitions` and `$defs` are hoisted to the wrapper's root (where `#/definitions/…`
 * then resolves, as MCP clients look there), and any other `#…` pointer gets `/properties/content`
 * in front. The schema is bounded (ONTOLOGY_LIMITS.maxDepth): the walk's recursion is too.
 */
export function ontologyInputSchema(schema: unknown, ontology: string): Record<string, unknown> {
  const wrapper: Record<string, unknown> = {
    type: 'object',
    description: `content: JSON of the agent's ontology ${ontology}, checked against its schema before the agent gets it`,
  };
  let content = moveRefs(schema);
  if (typeof content === 'object' && content !== null && !Array.isArray(content)) {
    const { definitions, $defs, ...rest } = content as Record<string, unknown>;
    if (definitions !== undefined) wrapper['definitions'] = definitions;
    if ($defs !== undefined) wrapper['$defs'] = $defs;
    content = rest;
  }
  wrapper['properties'] = { content };
  wrapper['required'] = ['content'];
  return wrapper;
}

/** Keywords whose values are data, not schemas: a `$ref` inside them is a value, left alone. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

/** A copy of `value` with each internal `$ref` pointing where the wrapper puts what it pointed at. */
function moveRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(moveRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') out[key] = movedRef(child);
    else out[key] = DATA_KEYWORDS.has(key) ? child : moveRefs(child);
  }
  return out;
}

function movedRef(ref: string): string {
  if (ref === '#' || ref === '#/') return '#/properties/content';
  if (!ref.startsWith('#/') || ref.startsWith('#/definitions/') || ref.startsWith('#/$defs/')) return ref;
  return `#/properties/content${ref.slice(1)}`;
}
