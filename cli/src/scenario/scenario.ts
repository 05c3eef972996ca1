/**
 * The scenario files of `caxton test` (decision 1930): JSON in the agent project's `scenarios/`
 * folder, each a list of steps — a message sent to the agent under test and what its reply must be.
 * Parsed and checked here, at the boundary, into typed values; a bad file is refused whole with
 * the file, the step and the field named, before any node is started. Pure: no I/O.
 *
 *   { "description": "counts requests",
 *     "config": { "start": "0" },
 *     "steps": [ { "send": { "performative": "request", "content": "tick" },
 *                  "expect": { "performative": "inform", "content": "1" } } ] }
 *
 * `expect` takes `performative`, `content` (exact) and `contentIncludes`; at least one.
 */
import { PERFORMATIVES, type Performative } from '@caxton/core';
import { UsageError } from '../cli-error.js';

/** A scenario file is read whole: bound it before reading (a test file, not a data set). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
export const MAX_STEPS = 1000;

export interface ScenarioStep {
  send: { performative: Performative; content: string };
  expect: { performative?: Performative; content?: string; contentIncludes?: string };
}

export interface Scenario {
  /** The file, as shown in the output. */
  file: string;
  description?: string;
  config: Record<string, string>;
  steps: ScenarioStep[];
}

const HINT = 'see docs/writing-agents.md, "Scenario tests": {"steps": [{"send": {"performative": "request", "content": "…"}, "expect": {"performative": "inform", "content": "…"}}]}';

function refuse(file: string, where: string, problem: string): never {
  throw new UsageError(`${file}: ${where}${where ? ' ' : ''}${problem}`, HINT);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(file: string, where: string, v: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length > 0) refuse(file, where, `has unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (allowed: ${allowed.join(', ')})`);
}

function performative(file: string, where: string, v: unknown): Performative {
  if (typeof v !== 'string' || !(PERFORMATIVES as readonly string[]).includes(v)) refuse(file, where, `is not a FIPA performative: ${JSON.stringify(v)?.slice(0, 40)}`);
  return v as Performative;
}

function text(file: string, where: string, v: unknown): string {
  if (typeof v !== 'string') refuse(file, where, 'must be a string');
  return v;
}

/** One scenario file's text → a Scenario, or a UsageError naming what is wrong and where. */
export function parseScenario(file: string, source: string): Scenario {
  if (Buffer.byteLength(source, 'utf8') > MAX_SCENARIO_BYTES) refuse(file, '', `is larger than ${MAX_SCENARIO_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (err) {
    refuse(file, '', `is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(raw)) refuse(file, '', 'must hold a JSON object');
  onlyKeys(file, '', raw, ['description', 'config', 'steps']);
  const scenario: Scenario = { file, config: {}, steps: [] };
  if (raw.description !== undefined) scenario.description = text(file, 'description', raw.description);
  if (raw.config !== undefined) {
    if (!isObject(raw.config)) refuse(file, 'config', 'must be an object of strings');
    for (const [k, v] of Object.entries(raw.config)) scenario.config[k] = text(file, `config.${k}`, v);
  }
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) refuse(file, 'steps', 'must be a non-empty list');
  if (raw.steps.length > MAX_STEPS) refuse(file, 'steps', `has ${raw.steps.length} steps, more than ${MAX_STEPS}`);
  raw.steps.forEach((step: unknown, i: number) => {
    const at = `step ${i + 1}`;
    if (!isObject(step)) refuse(file, at, 'must be an object with send and expect');
    onlyKeys(file, at, step, ['send', 'expect']);
    if (!isObject(step.send)) refuse(file, `${at} send`, 'must be an object {performative, content}');
    onlyKeys(file, `${at} send`, step.send, ['performative', 'content']);
    if (!isObject(step.expect)) refuse(file, `${at} expect`, 'must be an object');
    onlyKeys(file, `${at} expect`, step.expect, ['performative', 'content', 'contentIncludes']);
    const expect: ScenarioStep['expect'] = {};
    if (step.expect.performative !== undefined) expect.performative = performative(file, `${at} expect.performative`, step.expect.performative);
    if (step.expect.content !== undefined) expect.content = text(file, `${at} expect.content`, step.expect.content);
    if (step.expect.contentIncludes !== undefined) expect.contentIncludes = text(file, `${at} expect.contentIncludes`, step.expect.contentIncludes);
    if (Object.keys(expect).length === 0) refuse(file, `${at} expect`, 'names nothing to check (performative, content or contentIncludes)');
    scenario.steps.push({
      send: { performative: performative(file, `${at} send.performative`, step.send.performative), content: text(file, `${at} send.content`, step.send.content ?? '') },
      expect,
    });
  });
  return scenario;
}

/** What came back for a step: the agent's first reply, or nothing before the deadline. */
export type StepOutcome = { reply: { performative: string; content: string } } | { noReply: { waitedMs: number } } | { error: string };

/** The differences between what a step expected and what came back; empty: the step passed. */
export function stepProblems(expect: ScenarioStep['expect'], outcome: StepOutcome): string[] {
  if ('error' in outcome) return [`the send failed: ${outcome.error}`];
  if ('noReply' in outcome) return [`no reply within ${outcome.noReply.waitedMs} ms`];
  const { reply } = outcome;
  const problems: string[] = [];
  if (expect.performative !== undefined && reply.performative !== expect.performative) problems.push(`performative: expected ${expect.performative}, got ${reply.performative}`);
  if (expect.content !== undefined && reply.content !== expect.content) problems.push(`content: expected ${JSON.stringify(expect.content)}, got ${JSON.stringify(reply.content)}`);
  if (expect.contentIncludes !== undefined && !reply.content.includes(expect.contentIncludes)) problems.push(`content: expected to include ${JSON.stringify(expect.contentIncludes)}, got ${JSON.stringify(reply.content)}`);
  return problems;
}
