/**
 * Wire requests → typed NodeControl arguments. This is the API's validation boundary: everything
 * a client sends is checked here (types, ranges, sizes) and rejected with an InvalidArgumentError
 * naming the proto field, before the node sees it.
 */
import {
  AGENT_LIMIT_TABLE,
  checkLimits,
  DEPLOYABLE_LIMITS,
  parseA2aCard,
  parseOntologies,
  parseTopicPatterns,
  isInstanceName,
  parseInstanceName,
  parseStrategy,
  resolveRolloutThresholds,
  checkReplayGateTable,
  parseAcceptDiff,
  parsePriorityClass,
  type DeployableLimitName,
  type OntologySchemas,
  type ReplayGateSpec,
  type RolloutThresholds,
} from '@caxton/core';
import {
  AGENT_NAME,
  AGENT_NAME_HINT,
  InvalidArgumentError,
  checkNearName,
  LANGUAGE_LABEL,
  LANGUAGE_LABEL_HINT,
  isPerformative,
  MAX_ENVELOPE_BYTES,
  type Performative,
} from '@caxton/core';
import { ResourceExhaustedError } from './errors.js';
import { resolveHttpPolicy } from '../http/policy.js';
import { httpPolicyInputFromWire } from '@caxton/client';
import type { DeploySpec, LogQuery, TailFilter, UpgradeSpec, DfSearchTemplate } from '@caxton/core';
import type {
  WireArtifactHeader,
  WireDfTemplate,
  WireReplayGate,
  WireRolloutRequest,
  WireSearchDirectoryRequest,
  WireStreamLogsRequest,
  WireTailMessagesRequest,
} from '@caxton/client';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_CONFIG_ENTRIES = 256;
const MAX_CONFIG_KEY = 256;
const MAX_CONFIG_VALUE = 64 * 1024;
const MAX_FILTER_TEXT = 1024;
const MAX_TEMPLATE_ITEMS = 64;
export const MAX_SEARCH_LIMIT = 10_000;

export function parseAgentName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(field, 'an agent name is required');
  if (!AGENT_NAME.test(value)) {
    throw new InvalidArgumentError(field, `"${value.slice(0, 140)}" is not a valid agent name`, AGENT_NAME_HINT);
  }
  return value;
}

/** An agent's name, or an instance of a kind (`counter/alice`, decision 1980): what reads (status, logs, state) may name. */
export function parseAgentOrInstanceName(value: unknown, field = 'name'): string {
  if (typeof value === 'string' && isInstanceName(value)) {
    parseInstanceName(value, field);
    return value;
  }
  return parseAgentName(value, field);
}

function parseConfig(config: Record<string, string>, field: string): Record<string, string> {
  const keys = Object.keys(config);
  if (keys.length > MAX_CONFIG_ENTRIES)
    throw new InvalidArgumentError(field, `has ${keys.length} entries, the limit is ${MAX_CONFIG_ENTRIES}`);
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = config[key] ?? '';
    if (key === '' || key.length > MAX_CONFIG_KEY)
      throw new InvalidArgumentError(`${field}`, `key "${key.slice(0, 40)}" must be 1-${MAX_CONFIG_KEY} characters`);
    if (value.length > MAX_CONFIG_VALUE)
      throw new InvalidArgumentError(`${field}.${key}`, `value is longer than ${MAX_CONFIG_VALUE} characters`);
    out[key] = value;
  }
  return out;
}

export interface ParsedHeader<S> {
  spec: S;
  sha256: string;
  totalSize: number;
  /** The DSSE envelope sent with the artifact; the node's trust policy judges it (decision 1400). */
  signature?: string;
}

/** Only the size is checked here: what the envelope says is the trust policy's business. */
function parseSignature(h: WireArtifactHeader): { signature?: string } {
  const envelope = h.signatureEnvelope ?? '';
  if (envelope === '') return {};
  if (envelope.length > MAX_ENVELOPE_BYTES) {
    throw new InvalidArgumentError(
      'header.signature_envelope',
      `is longer than ${MAX_ENVELOPE_BYTES} characters`,
      'send the DSSE envelope `caxton sign` wrote, unchanged',
    );
  }
  return { signature: envelope };
}

/**
 * The deployer's statement of the artifact's source language: a short lowercase token or nothing.
 * Only its shape is checked; it is a label for people, not evidence of anything.
 */
export function parseLanguage(value: string | undefined, field = 'header.language'): { language?: string } {
  if (value === undefined || value === '') return {};
  if (!LANGUAGE_LABEL.test(value)) {
    throw new InvalidArgumentError(field, `"${value.slice(0, 40)}" is not a language label`, LANGUAGE_LABEL_HINT);
  }
  return { language: value };
}

function parseHeaderCommon(
  h: WireArtifactHeader,
  maxArtifactBytes: number,
): { name: string; limits: DeploySpec['limits']; sha256: string; totalSize: number } {
  const name = parseAgentName(h.name, 'header.name');
  const sha256 = h.sha256.toLowerCase();
  if (!SHA256_HEX.test(sha256)) {
    throw new InvalidArgumentError(
      'header.sha256',
      'must be the sha256 of the artifact as 64 hex characters',
      'compute it with `sha256sum <artifact>`',
    );
  }
  if (!Number.isSafeInteger(h.totalSize) || h.totalSize <= 0) {
    throw new InvalidArgumentError('header.total_size', 'must be the artifact size in bytes, greater than 0');
  }
  if (h.totalSize > maxArtifactBytes) {
    throw new ResourceExhaustedError(`artifact of ${h.totalSize} bytes exceeds this node's limit of ${maxArtifactBytes} bytes`, {
      context: { field: 'header.total_size', limit: maxArtifactBytes },
      hint: 'shrink the component (wasm-opt, strip debug info, a smaller JavaScript engine); or ask whoever runs the node to raise it (`caxton serve --max-artifact-mib`)',
    });
  }
  return { name, limits: parseHeaderLimits(h), sha256, totalSize: h.totalSize };
}

/** `fuel_per_message` → `fuelPerMessage`: how proto-loader names a field (proto.ts, keepCase off). */
const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * The header's limits, one per deployable limit of the table (decision 1720): 0 or absent means
 * "the default" (deploy) / "keep" (upgrade); anything else is checked against the limit's ceiling
 * by the table's one validation (LimitOutOfRangeError, naming the header field).
 */
export function parseHeaderLimits(h: WireArtifactHeader): DeploySpec['limits'] {
  const given: Partial<Record<DeployableLimitName, unknown>> = {};
  const fields = h as unknown as Record<string, unknown>;
  for (const name of DEPLOYABLE_LIMITS) {
    const value = fields[camel(AGENT_LIMIT_TABLE[name].deploy.wire)];
    if (value !== undefined && value !== 0) given[name] = value;
  }
  return checkLimits(given, { field: 'header' });
}

/**
 * An upgrade's rollout (decision 1871): the strategy, and the thresholds given (0 / absent: the
 * default), each checked against the rollout table before anything is uploaded.
 */
export function parseRollout(r: WireRolloutRequest): Pick<UpgradeSpec, 'strategy' | 'thresholds'> {
  const strategy = parseStrategy(r.strategy, 'header.rollout.strategy');
  const given: Partial<RolloutThresholds> = {};
  if (r.maxCrashRatePercent !== undefined) given.maxCrashRatePercent = r.maxCrashRatePercent;
  if (r.maxFailureRatePercent !== undefined) given.maxFailureRatePercent = r.maxFailureRatePercent;
  if (r.maxP99Ms) given.maxP99Ms = r.maxP99Ms;
  if (r.bakeMs) given.bakeMs = Number(r.bakeMs);
  return { strategy, thresholds: resolveRolloutThresholds(given, 'header.rollout') };
}

/** An upgrade's replay gate (issue 57): exactly one of a count and a window, each in its row's range. */
export function parseReplayGate(r: WireReplayGate): ReplayGateSpec {
  const given = checkReplayGateTable({
    ...(r.handlings ? { handlings: r.handlings } : {}),
    ...(Number(r.sinceMs) ? { sinceMs: Number(r.sinceMs) } : {}),
  });
  if ((given.handlings === undefined) === (given.sinceMs === undefined))
    throw new InvalidArgumentError(
      'header.replay',
      'needs exactly one of handlings and since_ms',
      'replay a number of handlings (--replay 10000) or a window of time (--replay 1h)',
    );
  return { ...given, accept: parseAcceptDiff(r.acceptDiff, 'header.replay.accept_diff') };
}

/**
 * Declared ontologies (decision 2183): the JSON text's size, shape and bounds. Whether each schema
 * compiles is checked where the lifecycle takes the spec (every caller's deploy, not only the API's).
 */
function parseDeclaredOntologies(text: string): OntologySchemas {
  return parseOntologies(text, 'header.ontologies');
}

export function parseDeployHeader(h: WireArtifactHeader, maxArtifactBytes: number): ParsedHeader<DeploySpec> {
  const c = parseHeaderCommon(h, maxArtifactBytes);
  if (h.replaceConfig) throw new InvalidArgumentError('header.replace_config', 'only applies to UpgradeAgent');
  const spec: DeploySpec = { name: c.name, limits: c.limits, config: parseConfig(h.config, 'header.config') };
  if (h.keepState) spec.keepState = true;
  if (h.rollout)
    throw new InvalidArgumentError('header.rollout', 'only applies to UpgradeAgent', 'deploy first, then `caxton upgrade --strategy`');
  if (h.replay)
    throw new InvalidArgumentError('header.replay', 'only applies to UpgradeAgent', 'a first deployment has no recorded traffic');
  Object.assign(spec, parseLanguage(h.language));
  // An agent kind (decision 1980): 0 = the node's default idle period / no cap of its own; the lifecycle checks the ranges.
  // "" = the default priority class (decision 2187); anything else must be a class.
  if (h.kind)
    spec.kind = {
      ...(h.kind.idleMs ? { idleMs: h.kind.idleMs } : {}),
      ...(h.kind.maxActive ? { maxActive: h.kind.maxActive } : {}),
      ...(h.kind.priorityClass ? { priorityClass: parsePriorityClass(h.kind.priorityClass, 'header.kind.priority_class') } : {}),
    };
  Object.assign(spec, parseDeploymentFields(h));
  return { spec, sha256: c.sha256, totalSize: c.totalSize, ...parseSignature(h) };
}

/** What a deploy and an upgrade both may say of the deployment: HTTP policy, A2A card, ontologies, topics, `--near`. */
function parseDeploymentFields(
  h: WireArtifactHeader,
): Pick<DeploySpec & UpgradeSpec, 'http' | 'a2aCard' | 'ontologies' | 'topics' | 'near'> {
  return {
    ...(h.http ? { http: resolveHttpPolicy(httpPolicyInputFromWire(h.http), 'header.http') } : {}),
    ...(h.a2aCard ? { a2aCard: parseA2aCard(h.a2aCard, 'header.a2a_card') } : {}),
    ...(h.ontologies ? { ontologies: parseDeclaredOntologies(h.ontologies) } : {}),
    ...(h.topics ? { topics: parseTopicPatterns(h.topics.patterns, 'header.topics.patterns') } : {}),
    ...(h.near ? { near: checkNearName(h.near, 'header.near') } : {}),
  };
}

export function parseUpgradeHeader(h: WireArtifactHeader, maxArtifactBytes: number): ParsedHeader<UpgradeSpec> {
  const c = parseHeaderCommon(h, maxArtifactBytes);
  if (h.keepState) throw new InvalidArgumentError('header.keep_state', 'only applies to DeployAgent', 'an upgrade always keeps state');
  if (h.kind)
    throw new InvalidArgumentError(
      'header.kind',
      'only applies to DeployAgent',
      'an upgrade of a kind names the kind; its idle period, cap and priority class are kept',
    );
  const spec: UpgradeSpec = { name: c.name, limits: c.limits };
  if (h.rollout) Object.assign(spec, parseRollout(h.rollout));
  if (h.replay) spec.replay = parseReplayGate(h.replay);
  Object.assign(spec, parseLanguage(h.language));
  if (h.replaceConfig || Object.keys(h.config).length > 0) spec.config = parseConfig(h.config, 'header.config');
  Object.assign(spec, parseDeploymentFields(h));
  return { spec, sha256: c.sha256, totalSize: c.totalSize, ...parseSignature(h) };
}

function parseFilterText(value: string, field: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > MAX_FILTER_TEXT) throw new InvalidArgumentError(field, `is longer than ${MAX_FILTER_TEXT} characters`);
  return value;
}

function parsePerformatives(values: string[], field: string): Performative[] {
  if (values.length > 22) throw new InvalidArgumentError(field, 'lists more performatives than FIPA defines (22)');
  return values.map((raw, i) => {
    const p = raw.toLowerCase();
    if (!isPerformative(p)) {
      throw new InvalidArgumentError(
        `${field}[${i}]`,
        `"${raw.slice(0, 40)}" is not a FIPA performative`,
        'use one of the 22 FIPA acts in FIPA spelling, e.g. inform, request, query-ref, cfp',
      );
    }
    return p;
  });
}

export function parseTailRequest(req: WireTailMessagesRequest): TailFilter {
  const filter: TailFilter = {};
  const agent = parseFilterText(req.agent, 'agent');
  if (agent !== undefined) filter.agent = agent;
  const conversationId = parseFilterText(req.conversationId, 'conversation_id');
  if (conversationId !== undefined) filter.conversationId = conversationId;
  const performatives = parsePerformatives(req.performatives, 'performatives');
  if (performatives.length > 0) filter.performatives = performatives;
  return filter;
}

export function parseLogsRequest(req: WireStreamLogsRequest): LogQuery {
  const query: LogQuery = { agent: parseAgentOrInstanceName(req.agent, 'agent'), follow: req.follow };
  if (req.sinceUnixMs !== 0) {
    if (!Number.isSafeInteger(req.sinceUnixMs) || req.sinceUnixMs < 0) throw new InvalidArgumentError('since_unix_ms', 'is out of range');
    query.since = req.sinceUnixMs;
  }
  if (req.limit !== 0) query.limit = req.limit;
  return query;
}

function parseList(values: string[], field: string): string[] | undefined {
  if (values.length === 0) return undefined;
  if (values.length > MAX_TEMPLATE_ITEMS) throw new InvalidArgumentError(field, `has more than ${MAX_TEMPLATE_ITEMS} entries`);
  values.forEach((v, i) => parseFilterText(v, `${field}[${i}]`));
  return [...values];
}

function parseTemplate(t: WireDfTemplate | null): DfSearchTemplate {
  const template: DfSearchTemplate = {};
  if (!t) return template;
  const set = <K extends keyof DfSearchTemplate>(key: K, value: DfSearchTemplate[K] | undefined): void => {
    if (value !== undefined) template[key] = value;
  };
  set('agentName', parseFilterText(t.agentName, 'template.agent_name'));
  set('serviceName', parseFilterText(t.serviceName, 'template.service_name'));
  set('serviceType', parseFilterText(t.serviceType, 'template.service_type'));
  set('protocols', parseList(t.protocols, 'template.protocols'));
  set('ontologies', parseList(t.ontologies, 'template.ontologies'));
  set('languages', parseList(t.languages, 'template.languages'));
  const keys = Object.keys(t.properties);
  if (keys.length > MAX_TEMPLATE_ITEMS)
    throw new InvalidArgumentError('template.properties', `has more than ${MAX_TEMPLATE_ITEMS} entries`);
  if (keys.length > 0) template.properties = { ...t.properties };
  return template;
}

export function parseSearchRequest(req: WireSearchDirectoryRequest, defaultLimit: number): { template: DfSearchTemplate; limit: number } {
  if (req.limit > MAX_SEARCH_LIMIT) throw new InvalidArgumentError('limit', `must be at most ${MAX_SEARCH_LIMIT}`);
  return { template: parseTemplate(req.template), limit: req.limit === 0 ? defaultLimit : req.limit };
}
