/**
 * Pure DF logic shared by every registry: validating/normalising df-agent-descriptions, lease
 * liveness and template matching (SC00023 search). No I/O, no clock: callers pass `now`.
 *
 * Matching rule. A FIPA template is a partial df-agent-description: every slot given must match.
 * Our template is flattened (one service's criteria next to the agent's), so we read it as:
 * the agent matches if ONE of its services satisfies all criteria, where a service is taken to
 * support the protocols/ontologies/languages listed on the service itself AND on the agent (an
 * agent-level protocol applies to everything the agent offers). Templates with no service-level
 * criteria (name, type, properties) may also be satisfied by the agent-level lists alone, so an
 * agent without services is still found by `{protocols: [...]}`. Strings compare exactly
 * (FIPA leaves value case to the ontology; JADE compares exactly too).
 */
import type { DfAgentDescription, DfSearchTemplate, ServiceDescription } from '@caxton/core';
import { invalid } from './errors.js';

/** A description is live until its lease passes; no lease = live until deregistered. */
export function isLive(description: DfAgentDescription, now: number): boolean {
  return description.leaseUntil === undefined || description.leaseUntil > now;
}

function strings(value: unknown, what: string, agent: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalid(`${what} must be a list of strings`, { agent });
  }
  return [...value];
}

function normaliseService(raw: ServiceDescription, agent: string): ServiceDescription {
  if (typeof raw !== 'object' || raw === null) throw invalid('service-description must be an object', { agent });
  if (typeof raw.name !== 'string' || raw.name === '') throw invalid('service-description needs a name', { agent });
  if (typeof raw.type !== 'string' || raw.type === '') {
    throw invalid('service-description needs a type', { agent, service: raw.name });
  }
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.properties ?? {})) {
    if (typeof v !== 'string') throw invalid(`service property ${k} must be a string`, { agent, service: raw.name });
    properties[k] = v;
  }
  const out: ServiceDescription = {
    name: raw.name,
    type: raw.type,
    protocols: strings(raw.protocols, 'service protocols', agent),
    ontologies: strings(raw.ontologies, 'service ontologies', agent),
    languages: strings(raw.languages, 'service languages', agent),
    properties,
  };
  if (raw.ownership !== undefined) out.ownership = raw.ownership;
  return out;
}

/**
 * Validates a description coming from an agent (or the wire) and returns a detached copy with every
 * list present, so stored descriptions never alias caller objects and matching needs no guards.
 * `now` rejects leases already over: storing a dead registration would only confuse `register`.
 */
export function normaliseDescription(raw: DfAgentDescription, now: number): DfAgentDescription {
  const agent = raw?.name?.name;
  if (typeof agent !== 'string' || agent === '') throw invalid('df-agent-description needs an agent name');
  if (raw.leaseUntil !== undefined) {
    if (!Number.isFinite(raw.leaseUntil)) throw invalid('lease-time must be a finite timestamp', { agent });
    if (raw.leaseUntil <= now) throw invalid('lease-time is already over', { agent, leaseUntil: raw.leaseUntil });
  }
  const out: DfAgentDescription = {
    name: structuredClone(raw.name),
    services: (raw.services ?? []).map((s) => normaliseService(s, agent)),
    protocols: strings(raw.protocols, 'protocols', agent),
    ontologies: strings(raw.ontologies, 'ontologies', agent),
    languages: strings(raw.languages, 'languages', agent),
  };
  if (raw.leaseUntil !== undefined) out.leaseUntil = raw.leaseUntil;
  return out;
}

function includesAll(have: readonly string[], want: readonly string[] | undefined): boolean {
  return want === undefined || want.every((w) => have.includes(w));
}

/** Every wanted value is in `a` or in `b` (a service's list plus its agent's, without concatenating). */
function includesAllOf(a: readonly string[], b: readonly string[], want: readonly string[] | undefined): boolean {
  return want === undefined || want.every((w) => a.includes(w) || b.includes(w));
}

function hasServiceCriteria(t: DfSearchTemplate): boolean {
  return t.serviceName !== undefined || t.serviceType !== undefined || (t.properties !== undefined && Object.keys(t.properties).length > 0);
}

function serviceMatches(d: DfAgentDescription, s: ServiceDescription, t: DfSearchTemplate): boolean {
  if (t.serviceName !== undefined && s.name !== t.serviceName) return false;
  if (t.serviceType !== undefined && s.type !== t.serviceType) return false;
  for (const [k, v] of Object.entries(t.properties ?? {})) {
    if (s.properties[k] !== v) return false;
  }
  return (
    includesAllOf(s.protocols, d.protocols, t.protocols) &&
    includesAllOf(s.ontologies, d.ontologies, t.ontologies) &&
    includesAllOf(s.languages, d.languages, t.languages)
  );
}

/** Does a (live) description match the template? See the module comment for the rule. */
export function matchesTemplate(d: DfAgentDescription, t: DfSearchTemplate): boolean {
  if (t.agentName !== undefined && d.name.name !== t.agentName) return false;
  if (d.services.some((s) => serviceMatches(d, s, t))) return true;
  if (hasServiceCriteria(t)) return false;
  return includesAll(d.protocols, t.protocols) && includesAll(d.ontologies, t.ontologies) && includesAll(d.languages, t.languages);
}
