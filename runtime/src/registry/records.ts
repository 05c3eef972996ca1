/**
 * Validation of the non-DF registry records (deployments, node announcements). Pure. Records are
 * checked on the way in so every node can trust what it reads back from disk or etcd.
 */
import type { AgentRecord, NodeAnnouncement, TimerRecord } from '../storage/records.js';
import { invalid } from './errors.js';
import {
  checkA2aCard,
  checkOntologies,
  checkLimits,
  parseTopicPatterns,
  DEPLOYABLE_LIMITS,
  parseInstanceName,
  parseTopicSubscription,
  parseStrategy,
  formatStrategy,
  resolveRolloutThresholds,
  AGENT_NAME,
  checkNearName,
  type AgentNear,
  type DeployableLimitName,
  type TopicSubscription,
} from '@caxton/core';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function validateAgentRecord(agent: AgentRecord): AgentRecord {
  if (typeof agent?.name !== 'string' || agent.name === '') throw invalid('agent record needs a name');
  const ctx = { agent: agent.name };
  if (typeof agent.artifactDigest !== 'string' || !SHA256_HEX.test(agent.artifactDigest)) {
    throw invalid('artifactDigest must be 64 lower-case hex characters (sha256)', ctx);
  }
  validateRecordLimits(agent.limits, ctx);
  for (const [k, v] of Object.entries(agent.config ?? {})) {
    if (typeof v !== 'string') throw invalid(`config.${k} must be a string`, ctx);
  }
  if (agent.language !== undefined && typeof agent.language !== 'string') throw invalid('language must be a string when present', ctx);
  if (agent.a2aCard !== undefined) {
    try {
      checkA2aCard(agent.a2aCard, 'a2aCard');
    } catch (err) {
      throw invalid((err as Error).message, ctx);
    }
  }
  if (agent.topics !== undefined) {
    try {
      parseTopicPatterns(agent.topics, 'topics');
    } catch (err) {
      throw invalid((err as Error).message, ctx);
    }
  }
  if (agent.ontologies !== undefined) {
    try {
      checkOntologies(agent.ontologies, 'ontologies');
    } catch (err) {
      throw invalid((err as Error).message, ctx);
    }
  }
  if (agent.near !== undefined) validateNear(agent.near, ctx);
  if (!Number.isSafeInteger(agent.version) || agent.version < 0) throw invalid('version must be a non-negative integer', ctx);
  if (!Number.isFinite(agent.createdAt) || !Number.isFinite(agent.updatedAt)) throw invalid('createdAt/updatedAt must be timestamps', ctx);
  if (agent.absentSince !== undefined && !Number.isFinite(agent.absentSince))
    throw invalid('absentSince must be a timestamp when present', ctx);
  if (agent.rollout !== undefined) validateRollout(agent, ctx);
  return structuredClone({ ...agent, config: agent.config ?? {} });
}

function isNearName(name: string): boolean {
  try {
    checkNearName(name);
    return true;
  } catch {
    return false;
  }
}

/** `--near` as recorded (decision 2189): names a deployable agent, and its placement key is one too. */
function validateNear(near: AgentNear, ctx: Record<string, string>): void {
  // The agent asked for may be a kind's instance (`counter/alice`): recorded with its fallback's note.
  if (typeof near !== 'object' || near === null || typeof near.agent !== 'string' || !isNearName(near.agent))
    throw invalid('near.agent must be an agent or instance name', ctx);
  if (near.key !== undefined && (typeof near.key !== 'string' || !AGENT_NAME.test(near.key)))
    throw invalid('near.key must be an agent name when present', ctx);
  if (near.note !== undefined && (typeof near.note !== 'string' || near.note.length > 400))
    throw invalid('near.note must be a string of at most 400 characters when present', ctx);
}

/** A recorded rollout (decision 2171): the next version of the same agent, one level deep, a known strategy, thresholds in bounds. */
function validateRollout(agent: AgentRecord, ctx: Record<string, string>): void {
  const r = agent.rollout!;
  const c = r?.candidate;
  if (c === undefined || c.name !== agent.name || c.rollout !== undefined)
    throw invalid('rollout.candidate must be the same agent, without a rollout', ctx);
  validateAgentRecord(c);
  if (c.version !== agent.version + 1) throw invalid('rollout.candidate.version must be the record version + 1', ctx);
  if (!Number.isSafeInteger(r.artifactSize) || r.artifactSize < 0)
    throw invalid('rollout.artifactSize must be a non-negative integer', ctx);
  if (!Number.isFinite(r.startedAt)) throw invalid('rollout.startedAt must be a timestamp', ctx);
  if (r.abort !== undefined && (typeof r.abort.reason !== 'string' || r.abort.reason.length > 200 || !Number.isFinite(r.abort.at)))
    throw invalid('rollout.abort needs a reason (at most 200 characters) and a timestamp', ctx);
  try {
    parseStrategy(formatStrategy(r.strategy), 'rollout.strategy');
    resolveRolloutThresholds(r.thresholds, 'rollout.thresholds');
  } catch (err) {
    throw invalid((err as Error).message, ctx);
  }
}

/**
 * A record's limits, by the table's one validation (decision 1720): fuel and memory are required,
 * the other deployable limits optional (records written before they existed lack them).
 */
function validateRecordLimits(limits: AgentRecord['limits'] | undefined, ctx: Record<string, string>): void {
  const given = limits ?? ({} as Partial<AgentRecord['limits']>);
  for (const name of ['fuelPerMessage', 'memoryPages'] as const) {
    if (given[name] === undefined) throw invalid(`limits.${name} is required`, ctx);
  }
  const deployable: Partial<Record<DeployableLimitName, unknown>> = {};
  for (const [key, value] of Object.entries(given)) {
    if (!(DEPLOYABLE_LIMITS as readonly string[]).includes(key)) throw invalid(`limits.${key} is not a limit a deployment sets`, ctx);
    deployable[key as DeployableLimitName] = value;
  }
  try {
    checkLimits(deployable, { field: 'limits' });
  } catch (err) {
    throw invalid((err as Error).message, ctx);
  }
}

export function validateNodeAnnouncement(node: NodeAnnouncement): void {
  if (typeof node?.id !== 'string' || node.id === '' || node.id.includes('/')) {
    throw invalid('node id must be a non-empty string without "/"', { node: node?.id });
  }
  if (typeof node.address !== 'string') throw invalid('node address must be a string', { node: node.id });
}

export function validateTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
    throw invalid('membership ttl must be a whole number of seconds >= 1', { ttlSeconds });
}

/** Timer ids and agent names become key segments (etcd `timers/<agent>/<id>`): no '/'. */
const KEY_SEGMENT = /^[^/]{1,200}$/;

/**
 * An instance of a kind (`<kind>/<key>`, decision 1980) sets timers too: where the registry holds
 * instances' timers (`allowInstances`: the embedded one; kinds are refused on an etcd cluster, whose
 * keys `timers/<agent>/<id>` take no `/`), its one `/` is allowed, each side valid, so the timer is
 * durable and wakes the instance once it is passivated.
 */
function isInstanceName(name: string): boolean {
  try {
    return parseInstanceName(name) !== undefined;
  } catch {
    return false;
  }
}

export function validateTimerRecord(timer: TimerRecord, allowInstances = false): TimerRecord {
  if (typeof timer?.agent !== 'string' || !(KEY_SEGMENT.test(timer.agent) || (allowInstances && isInstanceName(timer.agent)))) {
    throw invalid(
      allowInstances ? 'timer needs an agent name without "/", or an instance name <kind>/<key>' : 'timer needs an agent name without "/"',
      { agent: timer?.agent },
    );
  }
  const ctx = { agent: timer.agent, timer: timer.id };
  if (typeof timer.id !== 'string' || !KEY_SEGMENT.test(timer.id)) throw invalid('timer id must be 1..200 characters without "/"', ctx);
  if (typeof timer.token !== 'string') throw invalid('timer token must be a string', ctx);
  if (!Number.isSafeInteger(timer.dueAt) || timer.dueAt < 0) throw invalid('timer dueAt must be a timestamp (ms since epoch)', ctx);
  return { agent: timer.agent, id: timer.id, token: timer.token, dueAt: timer.dueAt };
}

/** The order `listTimers` answers in: soonest first, ties by id (both registries). */
export function byDueTime(a: TimerRecord, b: TimerRecord): number {
  return a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A subscription on its way into (or back out of) a registry: the topic and filter by core's one
 * parser (a `topic.invalid-*` error passes through as it is), the agent a key segment.
 */
export function validateTopicSubscription(sub: TopicSubscription): TopicSubscription {
  if (typeof sub?.agent !== 'string' || !KEY_SEGMENT.test(sub.agent))
    throw invalid('subscription needs an agent name without "/"', { agent: sub?.agent });
  return parseTopicSubscription(sub);
}
