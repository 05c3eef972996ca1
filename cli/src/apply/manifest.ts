/**
 * An application file (`caxton apply -f app.yaml`, decision 2169), read hostile: YAML (JSON is
 * YAML too) into a typed `AppManifest`, every field checked against its row (manifest-fields.ts)
 * and parsed by the same parsers the deploy, scale and upgrade flags use. Every problem is
 * collected with its line, column and field, and the file is refused whole: nothing is applied from
 * a file with one mistake in it. Reading the sources (building a project directory) is not done
 * here: apply.ts does it once the file is known to be well formed.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import {
  AGENT_NAME,
  AGENT_NAME_HINT,
  checkNearName,
  parsePriorityClass,
  parseReplicaCount,
  parseTopicPatterns,
  type AgentLimitsSpec,
  type KindSpec,
  type RolloutStrategy,
  type RolloutThresholds,
} from '@caxton/core';
import { CliError } from '../cli-error.js';
import { isOciReference, parseOciReference } from '../oci/reference.js';
import { EXIT } from '../exit-codes.js';
import { kindLimitsFromFlags, limitsFromFlags, type LimitFlagArgs } from '../limit-flags.js';
import { rolloutFromFlags } from '../rollout-flags.js';
import { AGENT_FIELDS, APP_API_VERSION, type AgentField, type FieldRow } from './manifest-fields.js';

/** The most a file may hold: bounds the work a hostile file can ask for before anything is checked. */
export const MANIFEST_LIMITS = { maxBytes: 512 * 1024, maxAgents: 1_000, maxProblemsShown: 20 } as const;

/** One agent (or kind) as the file declares it, parsed. */
export interface DeclaredAgent {
  name: string;
  /** Absolute: resolved against the file's folder. */
  source: string;
  /** As written, for messages. */
  sourceText: string;
  config: Record<string, string>;
  limits?: Partial<AgentLimitsSpec>;
  replicas: number;
  topics?: readonly string[];
  kind?: KindSpec;
  rollout?: { strategy: RolloutStrategy; thresholds: Partial<RolloutThresholds> };
  keepState: boolean;
  /** `--near` (decision 2189): at the first deploy; fixed afterwards. */
  near?: string;
  /** Where the agent's entry starts in the file (1-based), and its place in the list, for messages. */
  line: number;
  index: number;
}

export interface AppManifest {
  file: string;
  agents: DeclaredAgent[];
}

export interface ManifestProblem {
  line: number;
  column: number;
  /** `agents[1].replicas`. */
  field: string;
  message: string;
}

/** A file refused whole: every problem found, each with its place. */
export class ManifestError extends CliError {
  readonly problems: readonly ManifestProblem[];

  constructor(file: string, problems: readonly ManifestProblem[]) {
    problems = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
    const shown = problems.slice(0, MANIFEST_LIMITS.maxProblemsShown);
    const more = problems.length - shown.length;
    super(
      EXIT.USAGE,
      `${file} is not a valid application file (${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was applied):\n` +
        shown.map((p) => `  ${file}:${p.line}:${p.column} ${p.field}: ${p.message}`).join('\n') +
        (more > 0 ? `\n  … and ${more} more` : ''),
      `fix the file and apply it again; its fields are in docs/apply.md and docs/schemas/caxton-app.schema.json`,
    );
    this.problems = problems;
  }
}

interface Reader {
  problems: ManifestProblem[];
  lines: LineCounter;
}

function at(r: Reader, node: YamlNode | null | undefined, field: string, message: string): void {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = r.lines.linePos(offset);
  r.problems.push({ line, column: col, field, message });
}

/** The error's message without the flag dashes the shared parsers put in (`--fuel "x"` reads as the field here). */
function reason(err: unknown): string {
  const e = err as { message?: string; hint?: string };
  return `${e.message ?? String(err)}${e.hint ? ` (${e.hint})` : ''}`.replace(/--([a-z][a-z-]*)/g, '$1');
}

function scalarText(node: YamlNode): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

/**
 * A value as the file writes it: a quoted string's text, or a plain scalar's own characters — so
 * `zip: 01234` stays "01234" and `v: 1.10` stays "1.10" (YAML would read numbers out of them).
 */
function writtenText(node: YamlNode): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value !== 'number' && typeof node.value !== 'boolean') return undefined;
  const source = (node as { source?: unknown }).source;
  return typeof source === 'string' ? source : String(node.value);
}

/** A key from the file in a message: as it is when it is a plain short word, else bounded and quoted (a key may be long or hold control characters). */
const shown = (text: string): string => (/^[A-Za-z0-9_.-]{1,40}$/.test(text) ? text : JSON.stringify(text.slice(0, 40)));

/**
 * A map of strings (config) or of flag texts (limits, kind, rollout), its keys checked against
 * `keys`: each bad entry is a problem, and the good ones come back (so their values are checked too).
 */
function readMap(r: Reader, node: YamlNode, field: string, row: FieldRow): Record<string, string> | undefined {
  if (!isMap(node)) {
    at(r, node, field, 'must be a map of key: value');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const keyNode = pair.key as YamlNode;
    const key = scalarText(keyNode);
    if (key === undefined || key === '') {
      at(r, keyNode, field, 'a key must be a non-empty string');
      continue;
    }
    if (row.keys !== undefined && !row.keys.includes(key)) {
      at(r, keyNode, `${field}.${shown(key)}`, `unknown key; it takes ${row.keys.join(', ')}`);
      continue;
    }
    if (Object.hasOwn(out, key)) {
      at(r, keyNode, `${field}.${shown(key)}`, 'given twice');
      continue;
    }
    const text = pair.value === null ? undefined : writtenText(pair.value as YamlNode);
    if (text === undefined) {
      at(r, (pair.value as YamlNode | null) ?? keyNode, `${field}.${key}`, 'must be a string (or a number)');
      continue;
    }
    out[key] = text;
  }
  return out;
}

/** One entry of `agents`: the agent when it is well formed, and its name when it has one (for the duplicate check). */
function readAgent(r: Reader, node: YamlNode, index: number, dir: string): { agent?: DeclaredAgent; name?: string } {
  const where = `agents[${index}]`;
  if (!isMap(node)) {
    at(r, node, where, 'must be a map with at least name and source');
    return {};
  }
  const before = r.problems.length;
  const given = new Map<AgentField, YamlNode>();
  for (const pair of node.items) {
    const keyNode = pair.key as YamlNode;
    const key = scalarText(keyNode);
    if (key === undefined || !Object.hasOwn(AGENT_FIELDS, key)) {
      at(
        r,
        keyNode,
        `${where}.${key === undefined ? '?' : shown(key)}`,
        `unknown field; an agent takes ${Object.keys(AGENT_FIELDS).join(', ')}`,
      );
      continue;
    }
    if (given.has(key as AgentField)) {
      at(r, keyNode, `${where}.${key}`, 'given twice');
      continue;
    }
    given.set(key as AgentField, (pair.value as YamlNode | null) ?? keyNode);
  }
  for (const [field, row] of Object.entries(AGENT_FIELDS) as [AgentField, FieldRow][]) {
    if (row.required === true && !given.has(field)) at(r, node, `${where}.${field}`, 'is required');
  }
  const text = (field: AgentField): string | undefined => {
    const n = given.get(field);
    if (n === undefined) return undefined;
    const t = isScalar(n) && typeof n.value === 'string' ? n.value : undefined;
    if (t === undefined || t === '') at(r, n, `${where}.${field}`, 'must be a non-empty string');
    return t === '' ? undefined : t;
  };
  const name = text('name');
  if (name !== undefined && !AGENT_NAME.test(name))
    at(r, given.get('name'), `${where}.name`, `"${name.slice(0, 40)}" is not an agent name: ${AGENT_NAME_HINT}`);
  const sourceText = text('source');
  // An OCI reference (decision 2172) is checked here with the rest of the file, and kept as written.
  const oci = sourceText !== undefined && isOciReference(sourceText);
  if (oci) {
    try {
      parseOciReference(sourceText);
    } catch (err) {
      at(r, given.get('source'), `${where}.source`, (err as Error).message);
    }
  }
  const agent: DeclaredAgent = {
    name: name ?? '',
    source: sourceText === undefined ? '' : oci ? sourceText : path.resolve(dir, sourceText),
    sourceText: sourceText ?? '',
    config: {},
    replicas: 1,
    keepState: false,
    line: r.lines.linePos(node.range?.[0] ?? 0).line,
    index,
  };
  const parse = <T>(field: AgentField, fn: (n: YamlNode) => T | undefined): T | undefined => {
    const n = given.get(field);
    if (n === undefined) return undefined;
    try {
      return fn(n);
    } catch (err) {
      at(r, n, `${where}.${field}`, reason(err));
      return undefined;
    }
  };
  const config = parse('config', (n) => readMap(r, n, `${where}.config`, AGENT_FIELDS.config));
  if (config !== undefined) agent.config = config;
  const limits = parse('limits', (n) => {
    const m = readMap(r, n, `${where}.limits`, AGENT_FIELDS.limits);
    return m === undefined ? undefined : limitsFromFlags(m as LimitFlagArgs);
  });
  if (limits !== undefined) agent.limits = limits;
  const replicas = parse('replicas', (n) => {
    if (!isScalar(n) || typeof n.value !== 'number' || !Number.isInteger(n.value)) throw new Error('must be a whole number');
    return parseReplicaCount(n.value, 'replicas');
  });
  if (replicas !== undefined) agent.replicas = replicas;
  const topics = parse('topics', (n) => {
    if (!isSeq(n) || !n.items.every((i) => isScalar(i) && typeof i.value === 'string')) throw new Error('must be a list of strings');
    return parseTopicPatterns(
      n.items.map((i) => (i as { value: string }).value),
      'topics',
    );
  });
  if (topics !== undefined) agent.topics = topics;
  const kind = parse('kind', (n) => {
    const m = readMap(r, n, `${where}.kind`, AGENT_FIELDS.kind);
    if (m === undefined) return undefined;
    const { 'priority-class': priorityClass, ...limits } = m;
    const spec: KindSpec = { ...(kindLimitsFromFlags(limits as LimitFlagArgs) ?? {}) };
    if (priorityClass !== undefined) spec.priorityClass = parsePriorityClass(priorityClass, 'priority-class');
    return spec;
  });
  if (kind !== undefined) agent.kind = kind;
  const rollout = parse('rollout', (n) => {
    const m = readMap(r, n, `${where}.rollout`, AGENT_FIELDS.rollout);
    if (m === undefined) return undefined;
    if (m.strategy === undefined) throw new Error('needs a strategy (blue-green, or canary:<percent>)');
    return rolloutFromFlags(m);
  });
  if (rollout !== undefined) agent.rollout = rollout;
  const keepState = parse('keepState', (n) => {
    if (!isScalar(n) || typeof n.value !== 'boolean') throw new Error('must be true or false');
    return n.value;
  });
  if (keepState !== undefined) agent.keepState = keepState;
  const near = parse('near', (n) => {
    if (!isScalar(n) || typeof n.value !== 'string') throw new Error('must be an agent name');
    return checkNearName(n.value, 'near');
  });
  if (near !== undefined) agent.near = near;
  if (given.has('kind') && given.has('near'))
    at(r, given.get('near'), `${where}.near`, 'a kind is placed by its keys, not near an agent (decision 2189)');
  if (given.has('kind') && given.has('replicas'))
    at(r, given.get('replicas'), `${where}.replicas`, 'a kind has no replicas: its keys are its instances (decision 1980)');
  return { ...(r.problems.length === before ? { agent } : {}), ...(name !== undefined ? { name } : {}) };
}

/**
 * Parses and checks the text of an application file. `file` is its path (sources are relative to
 * its folder: give it absolute, or relative to this process's directory); `shownAs` names it in
 * messages (default: `file`).
 */
export function parseAppManifest(text: string, file: string, shownAs: string = file): AppManifest {
  const r: Reader = { problems: [], lines: new LineCounter() };
  if (Buffer.byteLength(text, 'utf8') > MANIFEST_LIMITS.maxBytes) {
    throw new ManifestError(shownAs, [{ line: 1, column: 1, field: '(file)', message: `larger than ${MANIFEST_LIMITS.maxBytes} bytes` }]);
  }
  // One document, read from its nodes, never converted to JS: an alias is no value any field takes.
  // Keys given twice are found here, by each map's reader (yaml's own check compares every key with
  // every earlier one: quadratic in a hostile map's size).
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: r.lines, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    // The composer recurses: a file nested thousands deep runs out of stack.
    if (err instanceof RangeError)
      throw new ManifestError(shownAs, [{ line: 1, column: 1, field: '(file)', message: 'nested too deeply' }]);
    throw err;
  }
  for (const e of doc.errors) {
    const { line, col } = r.lines.linePos(e.pos[0]);
    r.problems.push({ line, column: col, field: '(syntax)', message: e.message.split('\n')[0]! });
  }
  // A tag (`!foo`) is a warning to YAML; here it is a value no field takes.
  for (const w of doc.warnings) {
    const { line, col } = r.lines.linePos(w.pos[0]);
    r.problems.push({ line, column: col, field: '(syntax)', message: w.message.split('\n')[0]! });
  }
  if (r.problems.length > 0) throw new ManifestError(shownAs, r.problems);
  const root = doc.contents as YamlNode | null;
  if (!isMap(root))
    throw new ManifestError(shownAs, [{ line: 1, column: 1, field: '(file)', message: 'must be a map with apiVersion and agents' }]);
  let agentsNode: YamlNode | undefined;
  let version: YamlNode | undefined;
  for (const pair of root.items) {
    const key = scalarText(pair.key as YamlNode);
    if (key === 'apiVersion' && version === undefined) version = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
    else if (key === 'agents' && agentsNode === undefined) agentsNode = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
    else if (key === 'apiVersion' || key === 'agents') at(r, pair.key as YamlNode, key, 'given twice');
    else at(r, pair.key as YamlNode, key === undefined ? '?' : shown(key), 'unknown field; the file takes apiVersion and agents');
  }
  if (version === undefined) at(r, root, 'apiVersion', `is required: apiVersion: ${APP_API_VERSION}`);
  else if (!isScalar(version) || version.value !== APP_API_VERSION) at(r, version, 'apiVersion', `must be ${APP_API_VERSION}`);
  const agents: DeclaredAgent[] = [];
  if (agentsNode === undefined) at(r, root, 'agents', 'is required (a list; empty is allowed)');
  else if (!isSeq(agentsNode)) at(r, agentsNode, 'agents', 'must be a list (none: agents: [])');
  else if (isSeq(agentsNode)) {
    if (agentsNode.items.length > MANIFEST_LIMITS.maxAgents) at(r, agentsNode, 'agents', `more than ${MANIFEST_LIMITS.maxAgents} agents`);
    else {
      const dir = path.dirname(path.resolve(file));
      const seen = new Map<string, number>();
      agentsNode.items.forEach((item, i) => {
        const { agent, name } = readAgent(r, item as YamlNode, i, dir);
        if (name !== undefined) {
          const first = seen.get(name);
          if (first !== undefined) at(r, item as YamlNode, `agents[${i}].name`, `${name} is declared twice (first at agents[${first}])`);
          else seen.set(name, i);
        }
        if (agent !== undefined) agents.push(agent);
      });
    }
  }
  if (r.problems.length > 0) throw new ManifestError(shownAs, r.problems);
  return { file: shownAs, agents };
}
