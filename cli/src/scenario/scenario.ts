/**
 * The scenario files of `caxton test` (decisions 1930, 2030): JSON in the agent project's
 * `scenarios/` folder. Parsed and checked here, at the boundary, into typed values; a bad file is
 * refused whole with `file:line`, the step and the field named, before any node is started. Pure:
 * no I/O.
 *
 *   { "description": "counts requests and reminds",
 *     "config": { "start": "0" },
 *     "agents": [ { "name": "ledger", "path": "../ledger", "config": { "k": "v" } } ],
 *     "steps": [
 *       { "send": { "performative": "request", "content": "tick" },
 *         "expect": { "performative": "inform", "content": "1" } },
 *       { "send": { "to": "ledger", "performative": "query-ref", "content": "total" },
 *         "expect": [ { "from": "ledger", "contentIncludes": "1" } ] },
 *       { "advance": "30s", "expect": { "from": "counter", "to": "ledger", "performative": "inform" } } ],
 *     "expect": { "state": { "count": "1", "pending": null } } }
 *
 * A step sends a message (to the agent under test unless `to` names another) or advances the
 * node's virtual clock. Its `expect` (one object or a list) each match the first message seen
 * during the step (and not taken by an earlier expectation of the step) that fits `from` (default:
 * whom the step sent to, or for `advance` the agent under test) and `to` (default: the scenario
 * itself, in the step's conversation; for `advance`: anyone), then check `performative`, `content` (exact) and `contentIncludes`. `expect.state`
 * checks the agent's durable state after the last step: each key's value, `null` for absent.
 */
import { AGENT_NAME, AGENT_NAME_HINT, PERFORMATIVES, type Performative } from '@caxton/core';
import { UsageError } from '../cli-error.js';
import { parseDuration } from '../parse.js';
import { JsonSyntaxError, parseLocatedJson, type JsonPath } from './located-json.js';

/** A scenario file is read whole: bound it before reading (a test file, not a data set). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
export const MAX_STEPS = 1000;
/** Agents deployed beside the one under test, per scenario. */
export const MAX_COMPANIONS = 16;
/** Expectations per step, and keys `expect.state` names. */
export const MAX_EXPECTATIONS = 100;
/**
 * Messages one step keeps to match its expectations against; more are not looked at (said when a
 * step fails). Bounds the memory and the matching (expectations × messages, on every arrival).
 */
export const MAX_SEEN_PER_STEP = 1000;
/** One `advance` moves the virtual clock at most this far (a year). */
export const MAX_ADVANCE_MS = 366 * 86_400_000;

/** What one message seen during a step must look like; `from`/`to` choose which message. */
export interface MessageExpectation {
  from?: string;
  to?: string;
  performative?: Performative;
  content?: string;
  contentIncludes?: string;
  /** Where it is written, for the report. */
  line: number;
}

export type ScenarioStep =
  | { kind: 'send'; line: number; send: { to?: string; performative: Performative; content: string }; expect: MessageExpectation[] }
  | { kind: 'advance'; line: number; advance: { ms: number; text: string }; expect: MessageExpectation[] };

/** An agent deployed beside the one under test for the scenario: a project directory or a `.wasm`. */
export interface CompanionAgent {
  name: string;
  /** As written: relative to the scenario file's directory unless absolute. */
  path: string;
  config: Record<string, string>;
  line: number;
}

export interface Scenario {
  /** The file, as shown in the output. */
  file: string;
  description?: string;
  config: Record<string, string>;
  agents: CompanionAgent[];
  steps: ScenarioStep[];
  /** `expect.state`: a value per key, `null` for a key that must be absent. */
  state?: { entries: Record<string, string | null>; line: number };
}

/**
 * Names the node keeps for its own platform services (runtime's sender-policy): no agent is
 * deployed under them, so a scenario naming one is refused here, with its line, not by the node.
 */
const PLATFORM_NAMES: ReadonlySet<string> = new Set(['ams', 'df', 'http']);

const HINT =
  'see docs/writing-agents.md, "Scenario tests": {"steps": [{"send": {"performative": "request", "content": "…"}, "expect": {"performative": "inform", "content": "…"}}]}';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One file's checks: every refusal names `file:line` of the value at fault. */
class Checker {
  constructor(
    readonly file: string,
    private readonly lineOf: (path: JsonPath) => number,
  ) {}

  line(path: JsonPath): number {
    return this.lineOf(path);
  }

  refuse(path: JsonPath, where: string, problem: string): never {
    throw new UsageError(`${this.file}:${this.lineOf(path)}: ${where}${where ? ' ' : ''}${problem}`, HINT);
  }

  onlyKeys(path: JsonPath, where: string, v: Record<string, unknown>, allowed: readonly string[]): void {
    const extra = Object.keys(v).filter((k) => !allowed.includes(k));
    if (extra.length > 0)
      this.refuse(
        [...path, extra[0]!],
        where,
        `has unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (allowed: ${allowed.join(', ')})`,
      );
  }

  text(path: JsonPath, where: string, v: unknown): string {
    if (typeof v !== 'string') this.refuse(path, where, 'must be a string');
    return v;
  }

  performative(path: JsonPath, where: string, v: unknown): Performative {
    if (typeof v !== 'string' || !(PERFORMATIVES as readonly string[]).includes(v))
      this.refuse(path, where, `is not a FIPA performative: ${JSON.stringify(v)?.slice(0, 40)}`);
    return v as Performative;
  }

  /** An agent name as the node takes them: core's one rule, less the platform's own names. */
  agentName(path: JsonPath, where: string, v: unknown): string {
    const name = this.text(path, where, v);
    if (!AGENT_NAME.test(name))
      this.refuse(path, where, `is not an agent name: ${JSON.stringify(name.slice(0, 140))} (${AGENT_NAME_HINT})`);
    if (PLATFORM_NAMES.has(name.toLowerCase()))
      this.refuse(path, where, `names the node's own ${name} service, which no agent can be deployed as`);
    return name;
  }

  strings(path: JsonPath, where: string, v: unknown): Record<string, string> {
    if (!isObject(v)) this.refuse(path, where, 'must be an object of strings');
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(v))
      Object.defineProperty(out, k, {
        value: this.text([...path, k], `${where}.${k}`, value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }

  expectations(path: JsonPath, where: string, v: unknown): MessageExpectation[] {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) this.refuse(path, where, 'is an empty list');
    if (list.length > MAX_EXPECTATIONS) this.refuse(path, where, `has ${list.length} expectations, more than ${MAX_EXPECTATIONS}`);
    return list.map((raw: unknown, i) => {
      const p = Array.isArray(v) ? [...path, i] : path;
      const w = Array.isArray(v) ? `${where}[${i + 1}]` : where;
      if (!isObject(raw)) this.refuse(p, w, 'must be an object');
      this.onlyKeys(p, w, raw, ['from', 'to', 'performative', 'content', 'contentIncludes']);
      const e: MessageExpectation = { line: this.line(p) };
      if (raw.from !== undefined) e.from = this.agentName([...p, 'from'], `${w}.from`, raw.from);
      if (raw.to !== undefined) e.to = this.agentName([...p, 'to'], `${w}.to`, raw.to);
      if (raw.performative !== undefined) e.performative = this.performative([...p, 'performative'], `${w}.performative`, raw.performative);
      if (raw.content !== undefined) e.content = this.text([...p, 'content'], `${w}.content`, raw.content);
      if (raw.contentIncludes !== undefined)
        e.contentIncludes = this.text([...p, 'contentIncludes'], `${w}.contentIncludes`, raw.contentIncludes);
      if (e.performative === undefined && e.content === undefined && e.contentIncludes === undefined)
        this.refuse(p, w, 'names nothing to check (performative, content or contentIncludes)');
      return e;
    });
  }

  step(i: number, raw: unknown): ScenarioStep {
    const path = ['steps', i];
    const at = `step ${i + 1}`;
    if (!isObject(raw)) this.refuse(path, at, 'must be an object with send or advance, and expect');
    const line = this.line(path);
    if (raw.advance !== undefined) {
      this.onlyKeys(path, at, raw, ['advance', 'expect']);
      const text = this.text([...path, 'advance'], `${at} advance`, raw.advance);
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0)
        this.refuse(
          [...path, 'advance'],
          `${at} advance`,
          `is not a duration: ${JSON.stringify(text.slice(0, 40))} (e.g. "30s", "500ms", "2m", "1h30m")`,
        );
      if (ms > MAX_ADVANCE_MS) this.refuse([...path, 'advance'], `${at} advance`, `moves the clock more than a year (${text})`);
      const expect = raw.expect === undefined ? [] : this.expectations([...path, 'expect'], `${at} expect`, raw.expect);
      return { kind: 'advance', line, advance: { ms, text }, expect };
    }
    this.onlyKeys(path, at, raw, ['send', 'expect']);
    if (!isObject(raw.send))
      this.refuse(
        raw.send === undefined ? path : [...path, 'send'],
        `${at}${raw.send === undefined ? '' : ' send'}`,
        raw.send === undefined ? 'has neither send nor advance' : 'must be an object {performative, content, to?}',
      );
    this.onlyKeys([...path, 'send'], `${at} send`, raw.send, ['to', 'performative', 'content']);
    if (raw.expect === undefined) this.refuse(path, at, 'sends without expect: say what must come back, so the step knows when it is over');
    const send: { to?: string; performative: Performative; content: string } = {
      performative: this.performative([...path, 'send', 'performative'], `${at} send.performative`, raw.send.performative),
      content: raw.send.content === undefined ? '' : this.text([...path, 'send', 'content'], `${at} send.content`, raw.send.content),
    };
    if (raw.send.to !== undefined) send.to = this.agentName([...path, 'send', 'to'], `${at} send.to`, raw.send.to);
    return { kind: 'send', line, send, expect: this.expectations([...path, 'expect'], `${at} expect`, raw.expect) };
  }

  companion(i: number, raw: unknown): CompanionAgent {
    const path = ['agents', i];
    const at = `agents[${i + 1}]`;
    if (!isObject(raw)) this.refuse(path, at, 'must be an object {name, path, config?}');
    this.onlyKeys(path, at, raw, ['name', 'path', 'config']);
    const name = this.agentName([...path, 'name'], `${at}.name`, raw.name);
    const where = this.text([...path, 'path'], `${at}.path`, raw.path);
    if (where === '') this.refuse([...path, 'path'], `${at}.path`, 'is empty');
    return {
      name,
      path: where,
      config: raw.config === undefined ? {} : this.strings([...path, 'config'], `${at}.config`, raw.config),
      line: this.line(path),
    };
  }
}

/** One scenario file's text → a Scenario, or a UsageError naming `file:line`, what is wrong and where. */
export function parseScenario(file: string, source: string): Scenario {
  if (Buffer.byteLength(source, 'utf8') > MAX_SCENARIO_BYTES)
    throw new UsageError(`${file}: is larger than ${MAX_SCENARIO_BYTES} bytes`, `a scenario is a list of messages; split it (${HINT})`);
  let located;
  try {
    located = parseLocatedJson(source);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new UsageError(`${file}:${err.line}: is not JSON: ${err.message}`, HINT);
  }
  const c: Checker = new Checker(file, located.lineOf);
  const raw = located.value;
  if (!isObject(raw)) c.refuse([], '', 'must hold a JSON object');
  c.onlyKeys([], '', raw, ['description', 'config', 'agents', 'steps', 'expect']);
  const scenario: Scenario = { file, config: {}, agents: [], steps: [] };
  if (raw.description !== undefined) scenario.description = c.text(['description'], 'description', raw.description);
  if (raw.config !== undefined) scenario.config = c.strings(['config'], 'config', raw.config);
  if (raw.agents !== undefined) {
    if (!Array.isArray(raw.agents)) c.refuse(['agents'], 'agents', 'must be a list of {name, path, config?}');
    if (raw.agents.length > MAX_COMPANIONS) c.refuse(['agents'], 'agents', `has ${raw.agents.length} agents, more than ${MAX_COMPANIONS}`);
    raw.agents.forEach((a: unknown, i: number) => {
      const agent = c.companion(i, a);
      if (scenario.agents.some((b) => b.name === agent.name))
        c.refuse(['agents', i, 'name'], `agents[${i + 1}].name`, `${agent.name} is deployed twice`);
      scenario.agents.push(agent);
    });
  }
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) c.refuse(['steps'], 'steps', 'must be a non-empty list');
  if (raw.steps.length > MAX_STEPS) c.refuse(['steps'], 'steps', `has ${raw.steps.length} steps, more than ${MAX_STEPS}`);
  raw.steps.forEach((step: unknown, i: number) => scenario.steps.push(c.step(i, step)));
  if (raw.expect !== undefined) {
    if (!isObject(raw.expect)) c.refuse(['expect'], 'expect', 'must be an object {state}');
    c.onlyKeys(['expect'], 'expect', raw.expect, ['state']);
    const state = raw.expect.state;
    if (!isObject(state)) c.refuse(['expect', 'state'], 'expect.state', 'must be an object of keys to values (null: the key is absent)');
    const keys = Object.keys(state);
    if (keys.length === 0) c.refuse(['expect', 'state'], 'expect.state', 'names no key');
    if (keys.length > MAX_EXPECTATIONS)
      c.refuse(['expect', 'state'], 'expect.state', `names ${keys.length} keys, more than ${MAX_EXPECTATIONS}`);
    const entries: Record<string, string | null> = {};
    for (const k of keys) {
      const v = state[k];
      if (v !== null && typeof v !== 'string')
        c.refuse(['expect', 'state', k], `expect.state.${k}`, 'must be a string, or null for a key that must be absent');
      Object.defineProperty(entries, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    scenario.state = { entries, line: c.line(['expect', 'state']) };
  }
  return scenario;
}

/** How a scenario is named in the output: its file, and its description if it has one. */
export function scenarioTitle(s: Pick<Scenario, 'file' | 'description'>): string {
  return s.description ? `${s.file} (${s.description})` : s.file;
}

/**
 * Once the agent under test has a name (after its build): every name a scenario uses must be that
 * agent or one of its `agents`, and no companion may take the agent's own name. Checked for every
 * file before the node starts.
 */
export function checkNames(s: Scenario, agent: string): void {
  const known = new Set([agent, ...s.agents.map((a) => a.name)]);
  const refuse = (line: number, problem: string): never => {
    throw new UsageError(
      `${s.file}:${line}: ${problem}`,
      `the agent under test is ${agent}; the scenario's agents: ${s.agents.map((a) => a.name).join(', ') || 'none'}`,
    );
  };
  for (const a of s.agents) if (a.name === agent) refuse(a.line, `agents: ${a.name} is the agent under test`);
  for (const [i, step] of s.steps.entries()) {
    if (step.kind === 'send' && step.send.to !== undefined && !known.has(step.send.to))
      refuse(step.line, `step ${i + 1} sends to ${step.send.to}, which the scenario does not deploy`);
    for (const e of step.expect) {
      for (const name of [e.from, e.to])
        if (name !== undefined && !known.has(name))
          refuse(e.line, `step ${i + 1} expects a message of ${name}, which the scenario does not deploy`);
    }
  }
}

/** A message seen on the node during a step. */
export interface SeenMessage {
  from: string;
  to: string[];
  conversationId: string;
  performative: string;
  content: string;
}

/** Whom an expectation is about, its defaults filled in by the step (see the file comment). */
export interface Addressing {
  from: string;
  /** A local name, or `undefined`: anyone. */
  to: string | undefined;
  /** Only messages in this conversation (the step's, for a reply to the scenario). */
  conversationId?: string;
}

export function addressing(step: ScenarioStep, e: MessageExpectation, agent: string, tester: string, conversationId: string): Addressing {
  if (step.kind === 'advance') return { from: e.from ?? agent, to: e.to };
  const from = e.from ?? step.send.to ?? agent;
  if (e.to !== undefined) return { from, to: e.to };
  return { from, to: tester, conversationId };
}

/**
 * The message each expectation is about, in order: the first seen that fits its addressing and
 * was not taken by an earlier expectation of the step (so `[{"performative": "agree"},
 * {"performative": "inform"}]` are two replies, in that order). Undefined: none seen yet.
 */
export function assignMessages(seen: readonly SeenMessage[], wanted: readonly Addressing[]): Array<SeenMessage | undefined> {
  const taken = new Set<number>();
  return wanted.map((a) => {
    const i = seen.findIndex(
      (m, j) =>
        !taken.has(j) &&
        m.from === a.from &&
        (a.to === undefined || m.to.includes(a.to)) &&
        (a.conversationId === undefined || m.conversationId === a.conversationId),
    );
    if (i < 0) return undefined;
    taken.add(i);
    return seen[i];
  });
}

/** What came back for one expectation: the message that fits it, nothing, or the step failed. */
export type StepOutcome =
  | { reply: { performative: string; content: string } }
  | { noReply: { waitedMs: number; from: string; to?: string } }
  | { error: string };

/** The differences between what an expectation wants and what came back; empty: it holds. */
export function stepProblems(expect: Omit<MessageExpectation, 'line'>, outcome: StepOutcome): string[] {
  if ('error' in outcome) return [`the step failed: ${outcome.error}`];
  if ('noReply' in outcome) {
    const { from, to, waitedMs } = outcome.noReply;
    return [`no message${from ? ` from ${from}` : ''}${to ? ` to ${to}` : ''} within ${waitedMs} ms`];
  }
  const { reply } = outcome;
  const problems: string[] = [];
  if (expect.performative !== undefined && reply.performative !== expect.performative)
    problems.push(`performative: expected ${expect.performative}, got ${reply.performative}`);
  if (expect.content !== undefined && reply.content !== expect.content)
    problems.push(`content: expected ${JSON.stringify(expect.content)}, got ${JSON.stringify(reply.content)}`);
  if (expect.contentIncludes !== undefined && !reply.content.includes(expect.contentIncludes))
    problems.push(`content: expected to include ${JSON.stringify(expect.contentIncludes)}, got ${JSON.stringify(reply.content)}`);
  return problems;
}

/** `expect.state` against the state read after the last step: a problem per key that differs. */
export function stateProblems(expected: Record<string, string | null>, actual: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    const got = actual.get(key);
    if (want === null && got !== undefined) problems.push(`state ${JSON.stringify(key)}: expected absent, got ${JSON.stringify(got)}`);
    else if (want !== null && got === undefined)
      problems.push(`state ${JSON.stringify(key)}: expected ${JSON.stringify(want)}, got nothing (no such key)`);
    else if (want !== null && got !== want)
      problems.push(`state ${JSON.stringify(key)}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  return problems;
}
