/**
 * An operator's A2A Agent Card for one deployment (`caxton deploy --a2a-card card.json`, decision
 * 1951). Pure: the card's JSON text is parsed strictly, against A2A_CARD_LIMITS, into the typed
 * value stored with the deployment; the A2A endpoint serves it in place of the card it builds from
 * the agent's directory services.
 *
 * The operator states what the agent *is* (name, description, version, provider, links, modes,
 * skills). What the node owns is refused, not silently ignored: where the agent is served
 * (`supportedInterfaces`, `url`), how callers authenticate (`securitySchemes`,
 * `securityRequirements`, `security`), what the endpoint can do (`capabilities`) and signatures
 * (the node would serve a signature over a card it has changed). A card cannot widen access.
 */
import { A2A_CARD_LIMITS } from './limits/index.js';
import { InvalidArgumentError } from './errors.js';

export interface A2aCardSkill {
  id: string;
  name: string;
  description: string;
  tags: string[];
  examples: string[];
  inputModes: string[];
  outputModes: string[];
}

export interface A2aCardSpec {
  name: string;
  description: string;
  version?: string;
  provider?: { organization: string; url: string };
  documentationUrl?: string;
  iconUrl?: string;
  defaultInputModes?: string[];
  defaultOutputModes?: string[];
  /** At least one: a card says what the agent can be asked. */
  skills: A2aCardSkill[];
}

/** Fields of an A2A 1.0 card the node sets itself, each with why. */
const NODE_OWNED: Readonly<Record<string, string>> = {
  supportedInterfaces: 'the node lists where it serves the agent (its JSON-RPC and REST bindings)',
  url: 'the node lists where it serves the agent (its JSON-RPC and REST bindings)',
  preferredTransport: 'the node lists the bindings it serves',
  additionalInterfaces: 'the node lists the bindings it serves',
  protocolVersion: 'the node states the A2A versions it speaks',
  securitySchemes: 'callers authenticate with Caxton tokens, as for the gRPC API',
  securityRequirements: 'callers authenticate with Caxton tokens, as for the gRPC API',
  security: 'callers authenticate with Caxton tokens, as for the gRPC API',
  capabilities: 'the node states what its endpoint supports (streaming, no push notifications)',
  supportsAuthenticatedExtendedCard: 'the node serves no extended card',
  signatures: 'the node serves the card with its own bindings, so a signature over the file would not match',
};

const CARD_FIELDS = new Set([
  'name',
  'description',
  'version',
  'provider',
  'documentationUrl',
  'iconUrl',
  'defaultInputModes',
  'defaultOutputModes',
  'skills',
]);
const SKILL_FIELDS = new Set(['id', 'name', 'description', 'tags', 'examples', 'inputModes', 'outputModes']);
const HINT =
  'an A2A 1.0 Agent Card as JSON with name, description and skills (id, name, description, tags); docs/interop.md lists the fields a card may set';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseA2aCard(text: string, field = 'a2aCard'): A2aCardSpec {
  // Every code unit is at least one UTF-8 byte: a text longer than the bound is not encoded to learn so.
  const bytes = text.length > A2A_CARD_LIMITS.maxCardBytes ? text.length : new TextEncoder().encode(text).byteLength;
  if (bytes > A2A_CARD_LIMITS.maxCardBytes) {
    throw new InvalidArgumentError(
      field,
      `the card is at least ${bytes} bytes, more than ${A2A_CARD_LIMITS.maxCardBytes}`,
      'shorten descriptions and examples: the card is served on every card request',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(field, `is not JSON: ${(err as Error).message.slice(0, 200)}`, HINT);
  }
  return checkA2aCard(raw, field);
}

/**
 * A card value already parsed from JSON (a registry record read back), checked the same way.
 * The record stores the typed value, so reading it back needs no text round trip.
 */
export function checkA2aCard(raw: unknown, field = 'a2aCard'): A2aCardSpec {
  if (!isObject(raw)) throw new InvalidArgumentError(field, 'must be a JSON object', HINT);
  for (const key of Object.keys(raw)) {
    const why = NODE_OWNED[key];
    if (why !== undefined)
      throw new InvalidArgumentError(`${field}.${key}`, `is set by the node, not by the card: ${why}`, 'remove it from the card');
    if (!CARD_FIELDS.has(key))
      throw new InvalidArgumentError(`${field}.${key}`, 'is not a field of an A2A Agent Card a deployment may set', HINT);
  }
  const card: A2aCardSpec = {
    name: text(raw, 'name', field, A2A_CARD_LIMITS.maxShortText, true)!,
    description: text(raw, 'description', field, A2A_CARD_LIMITS.maxLongText, true)!,
    skills: skills(raw['skills'], `${field}.skills`),
  };
  const version = text(raw, 'version', field, A2A_CARD_LIMITS.maxShortText, false);
  if (version !== undefined) card.version = version;
  for (const key of ['documentationUrl', 'iconUrl'] as const) {
    const url = text(raw, key, field, A2A_CARD_LIMITS.maxShortText, false);
    if (url !== undefined) card[key] = httpUrl(url, `${field}.${key}`);
  }
  for (const key of ['defaultInputModes', 'defaultOutputModes'] as const) {
    if (raw[key] !== undefined) card[key] = list(raw[key], `${field}.${key}`, A2A_CARD_LIMITS.maxShortText, true);
  }
  if (raw['provider'] !== undefined) {
    const p = raw['provider'];
    const at = `${field}.provider`;
    if (!isObject(p)) throw new InvalidArgumentError(at, 'must be an object with organization and url', HINT);
    for (const key of Object.keys(p))
      if (key !== 'organization' && key !== 'url')
        throw new InvalidArgumentError(`${at}.${key}`, 'is not a field of an A2A provider (organization, url)', HINT);
    card.provider = {
      organization: text(p, 'organization', at, A2A_CARD_LIMITS.maxShortText, true)!,
      url: httpUrl(text(p, 'url', at, A2A_CARD_LIMITS.maxShortText, true)!, `${at}.url`),
    };
  }
  return card;
}

function text(o: Json, key: string, at: string, max: number, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) throw new InvalidArgumentError(`${at}.${key}`, 'is required', HINT);
    return undefined;
  }
  if (typeof v !== 'string') throw new InvalidArgumentError(`${at}.${key}`, 'must be a string', HINT);
  if (required && v.trim() === '') throw new InvalidArgumentError(`${at}.${key}`, 'must not be empty', HINT);
  if (v.length > max) throw new InvalidArgumentError(`${at}.${key}`, `is ${v.length} characters, more than ${max}`, 'shorten it');
  // Served to every client and shown by their tools: no control characters that rewrite a terminal.
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v))
    throw new InvalidArgumentError(`${at}.${key}`, 'contains control characters', 'use plain text (newlines and tabs are fine)');
  return v;
}

function httpUrl(v: string, at: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError(at, `${JSON.stringify(v.slice(0, 80))} is not a URL`, 'an absolute https:// (or http://) URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new InvalidArgumentError(at, `is a ${u.protocol} URL`, 'an absolute https:// (or http://) URL: clients open it');
  return v;
}

function list(v: unknown, at: string, max: number, nonEmptyEntries: boolean): string[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError(at, 'must be a list of strings', HINT);
  if (v.length > A2A_CARD_LIMITS.maxListEntries)
    throw new InvalidArgumentError(at, `lists ${v.length} entries, more than ${A2A_CARD_LIMITS.maxListEntries}`, 'list fewer');
  return v.map((e, i) => {
    if (typeof e !== 'string' || (nonEmptyEntries && e.trim() === ''))
      throw new InvalidArgumentError(`${at}[${i}]`, 'must be a non-empty string', HINT);
    return text({ e }, 'e', `${at}[${i}]`, max, false)!;
  });
}

function skills(v: unknown, at: string): A2aCardSkill[] {
  if (!Array.isArray(v) || v.length === 0) throw new InvalidArgumentError(at, 'must list at least one skill', HINT);
  if (v.length > A2A_CARD_LIMITS.maxSkills)
    throw new InvalidArgumentError(at, `lists ${v.length} skills, more than ${A2A_CARD_LIMITS.maxSkills}`, 'list fewer');
  const ids = new Set<string>();
  return v.map((s, i) => {
    const here = `${at}[${i}]`;
    if (!isObject(s)) throw new InvalidArgumentError(here, 'must be an object', HINT);
    for (const key of Object.keys(s))
      if (!SKILL_FIELDS.has(key))
        throw new InvalidArgumentError(`${here}.${key}`, 'is not a field of an A2A skill a deployment may set', HINT);
    const id = text(s, 'id', here, A2A_CARD_LIMITS.maxShortText, true)!;
    if (ids.has(id)) throw new InvalidArgumentError(`${here}.id`, `${JSON.stringify(id)} is listed twice`, 'give each skill its own id');
    ids.add(id);
    const opt = (key: string, max: number): string[] => (s[key] === undefined ? [] : list(s[key], `${here}.${key}`, max, true));
    return {
      id,
      name: text(s, 'name', here, A2A_CARD_LIMITS.maxShortText, true)!,
      description: text(s, 'description', here, A2A_CARD_LIMITS.maxLongText, true)!,
      tags: opt('tags', A2A_CARD_LIMITS.maxShortText),
      examples: opt('examples', A2A_CARD_LIMITS.maxLongText),
      inputModes: opt('inputModes', A2A_CARD_LIMITS.maxShortText),
      outputModes: opt('outputModes', A2A_CARD_LIMITS.maxShortText),
    };
  });
}
