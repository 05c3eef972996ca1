/**
 * An exposed agent's A2A Agent Card (pure, decision 1950): its name, its skills — the services it
 * advertises in the directory (DF), or one plain `fipa-request` skill when it advertises none — and
 * the node's bindings for it (JSON-RPC and HTTP+JSON under the agent's own base path). The card
 * declares the one way in: a Caxton bearer token. A deployment's own card (`deploy --a2a-card`,
 * decision 1951) replaces what the agent is said to be and do (name, description, version,
 * provider, links, modes, skills); the bindings, capabilities and security stay the node's.
 */
import { AgentCard, type AgentSkill } from '@a2a-js/sdk';
import type { A2aCardSkill, A2aCardSpec, DfAgentDescription, ServiceDescription } from '@caxton/core';

/** Where the node serves an agent: `/a2a/<name>`; its card, JSON-RPC and REST bindings sit under it. */
export const A2A_BASE_PATH = '/a2a';
export const CARD_PATH = '/.well-known/agent-card.json';
export const JSONRPC_PATH = '/jsonrpc';
export const REST_PATH = '/rest';
export const A2A_PROTOCOL_VERSION = '1.0';
/** Older clients' protocol, answered on the JSON-RPC binding through the SDK's compat layer. */
export const A2A_LEGACY_VERSION = '0.3';
const TEXT = 'text/plain';
export const SECURITY_SCHEME = 'caxtonToken';

export function agentBaseUrl(origin: string, agent: string): string {
  return `${origin}${A2A_BASE_PATH}/${encodeURIComponent(agent)}`;
}

function localName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

/** The services each agent advertises, by local name, from a directory search. */
export function servicesByAgent(descriptions: readonly DfAgentDescription[]): Map<string, ServiceDescription[]> {
  const out = new Map<string, ServiceDescription[]>();
  for (const d of descriptions) {
    const name = localName(d.name.name);
    out.set(name, [...(out.get(name) ?? []), ...d.services]);
  }
  return out;
}

function skill(s: ServiceDescription): AgentSkill {
  const protocols = s.protocols.length > 0 ? ` It speaks ${s.protocols.join(', ')}.` : '';
  return {
    id: s.type !== '' ? s.type : s.name,
    name: s.name,
    description: `The service ${JSON.stringify(s.name)} (type ${JSON.stringify(s.type)}) the agent advertises in Caxton's directory: the message text is the FIPA request's content.${protocols}`,
    tags: [...new Set([s.type, ...s.protocols, ...s.ontologies].filter((t) => t !== ''))],
    examples: [],
    inputModes: [TEXT],
    outputModes: [TEXT],
    securityRequirements: [],
  };
}

const PLAIN_REQUEST: AgentSkill = {
  id: 'fipa-request',
  name: 'FIPA request',
  description:
    "The agent advertises no service in the directory: the message text is sent as a FIPA request's content and its answer comes back.",
  tags: ['fipa-request'],
  examples: [],
  inputModes: [TEXT],
  outputModes: [TEXT],
  securityRequirements: [],
};

export interface CardInput {
  agent: string;
  /** The agent's deployment version (bumped by every upgrade). */
  version: number;
  services: readonly ServiceDescription[];
  /** http://host:port of the A2A endpoint. */
  origin: string;
  /** The deployment's own card (decision 1951): when present, its descriptive fields replace the built ones. */
  operator?: A2aCardSpec;
}

function operatorSkill(s: A2aCardSkill): AgentSkill {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    tags: s.tags,
    examples: s.examples,
    inputModes: s.inputModes,
    outputModes: s.outputModes,
    securityRequirements: [],
  };
}

/** The operator's words over the built card; what the node serves and how it is reached are never theirs. */
function withOperatorCard(built: AgentCard, op: A2aCardSpec): AgentCard {
  return {
    ...built,
    name: op.name,
    description: op.description,
    version: op.version ?? built.version,
    provider: op.provider,
    ...(op.documentationUrl !== undefined ? { documentationUrl: op.documentationUrl } : {}),
    ...(op.iconUrl !== undefined ? { iconUrl: op.iconUrl } : {}),
    defaultInputModes: op.defaultInputModes ?? built.defaultInputModes,
    defaultOutputModes: op.defaultOutputModes ?? built.defaultOutputModes,
    skills: op.skills.map(operatorSkill),
  };
}

/**
 * The card as served: A2A 1.0's JSON (ProtoJSON, by the SDK's own converter), where a scheme is
 * `{"httpAuthSecurityScheme": {…}}`. The SDK's in-memory shape (`{"scheme": {"$case": …}}`) is no
 * reader's: the SDK's own resolver parses it to a card without a usable scheme.
 */
export function agentCardJson(card: AgentCard): string {
  return JSON.stringify(AgentCard.toJSON(card));
}

export function agentCard(c: CardInput): AgentCard {
  const built = builtCard(c);
  return c.operator !== undefined ? withOperatorCard(built, c.operator) : built;
}

function builtCard(c: CardInput): AgentCard {
  const base = agentBaseUrl(c.origin, c.agent);
  const seen = new Set<string>();
  const skills = c.services.map(skill).filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
  return {
    name: c.agent,
    description: `The Caxton agent ${c.agent}: an A2A task is a FIPA request to it in a fresh conversation (agree: working; inform: completed; failure: failed; refuse or not-understood: rejected; cancel: FIPA cancel).`,
    supportedInterfaces: [
      { url: `${base}${JSONRPC_PATH}`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      { url: `${base}${REST_PATH}`, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      // The same JSON-RPC endpoint also answers A2A 0.3's method names (message/send, tasks/get…).
      { url: `${base}${JSONRPC_PATH}`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_LEGACY_VERSION },
    ],
    provider: undefined,
    version: String(c.version),
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      [SECURITY_SCHEME]: {
        scheme: {
          $case: 'httpAuthSecurityScheme',
          value: {
            scheme: 'Bearer',
            bearerFormat: 'Caxton API token',
            description: 'A Caxton token (caxton token issue): the same tokens, roles and scopes as the gRPC API.',
          },
        },
      },
    },
    securityRequirements: [{ schemes: { [SECURITY_SCHEME]: { list: [] } } }],
    defaultInputModes: [TEXT],
    defaultOutputModes: [TEXT],
    skills: skills.length > 0 ? skills : [PLAIN_REQUEST],
    signatures: [],
  };
}
