/**
 * Named contexts (decision 1840): an operator's saved connections — local dev, staging, production —
 * each an address, where its token FILE is, its TLS CA and server name, and a default output. They
 * live in one JSON file the operator may edit by hand, so it is read as hostile input: parsed here
 * into typed values, every field checked, and a bad file named with the field at fault and a hint.
 * A token itself is never stored (the file is easy to copy, paste and back up); only a token file's
 * path. Pure: where the file is (configFilePath) and its text ↔ values; reading and writing it is
 * context-config-store.ts.
 */
import path from 'node:path';
import { parseJson } from '@caxton/core';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';
import { isApiAddress } from './parse.js';

export const CONTEXT_CONFIG_VERSION = 1;
/** Larger than any real list of contexts; a bigger file is not read into memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const CONTEXT_OUTPUTS = ['text', 'json'] as const;
export type ContextOutput = (typeof CONTEXT_OUTPUTS)[number];

/** One saved connection. Paths are absolute: a context is used from any directory. */
export interface NamedContext {
  address: string;
  tokenFile?: string;
  caFile?: string;
  serverName?: string;
  /** TLS with the system roots, or with caFile (which implies it). */
  tls: boolean;
  /** What the commands print when neither --json nor --no-json is given. */
  output?: ContextOutput;
}

export interface ContextConfig {
  current?: string;
  contexts: ReadonlyMap<string, NamedContext>;
}

export const EMPTY_CONTEXT_CONFIG: ContextConfig = { contexts: new Map() };

/** The config file is wrong: names the file and the field, exit 2 like any other bad input. */
export class ContextConfigError extends CliError {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    problem: string,
    hint: string,
  ) {
    super(EXIT.USAGE, `${file}: ${field === undefined ? '' : `${field}: `}${problem}`, hint);
  }
}

/** A command named a context the file does not hold (exit 3, like a missing agent). */
export class UnknownContextError extends CliError {
  constructor(name: string, known: readonly string[]) {
    super(
      EXIT.NOT_FOUND,
      `no context named "${name}"`,
      known.length === 0
        ? 'there are none yet: add one with `caxton context add <name> --address host:port`'
        : `known contexts: ${known.join(', ')} (\`caxton context list\`)`,
    );
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
// A DNS name or an IP literal: what a certificate's subject names, nothing a shell or log would mangle.
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;
const MAX_PATH = 4096;

/** Names a shell passes unquoted. `__proto__` fails the first character; the contexts live in a Map, so `constructor` and the like are plain names. */
export function isContextName(name: string): boolean {
  return NAME.test(name);
}

export function isServerName(name: string): boolean {
  return SERVER_NAME.test(name);
}

export function isStorablePath(p: string): boolean {
  return path.isAbsolute(p) && p.length <= MAX_PATH && !/[\0-\x1f]/.test(p);
}

/**
 * Where the file is: $CAXTON_CONFIG (relative to the working directory), else
 * $XDG_CONFIG_HOME/caxton/config.json (only an absolute XDG_CONFIG_HOME counts, as the XDG spec
 * says), else <home>/.config/caxton/config.json.
 */
export function configFilePath(env: Readonly<Record<string, string | undefined>>, home: string, cwd: string): string {
  if (env.CAXTON_CONFIG) return path.resolve(cwd, env.CAXTON_CONFIG);
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
  return path.join(base, 'caxton', 'config.json');
}

const TOP_KEYS = new Set(['version', 'current', 'contexts']);
const CONTEXT_KEYS = new Set(['address', 'tokenFile', 'caFile', 'serverName', 'tls', 'output']);
const REPAIR = 'fix it by hand, or move the file away and add the contexts again with `caxton context add`';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseContext(file: string, name: string, raw: unknown): NamedContext {
  const at = `contexts.${name}`;
  const bad = (field: string, problem: string, hint = REPAIR): ContextConfigError =>
    new ContextConfigError(file, `${at}.${field}`, problem, hint);
  if (!isRecord(raw)) throw new ContextConfigError(file, at, 'is not an object', REPAIR);
  for (const key of Object.keys(raw)) {
    if (key === 'token')
      throw bad(
        key,
        'a token is stored in the file itself',
        'delete it: a context keeps only the path of a token file (tokenFile, mode 0600), so the token is not copied along with the config',
      );
    if (!CONTEXT_KEYS.has(key)) throw bad(key, 'is not a context field', `the fields are ${[...CONTEXT_KEYS].join(', ')}`);
  }
  if (typeof raw.address !== 'string' || !isApiAddress(raw.address)) {
    throw bad(
      'address',
      raw.address === undefined ? 'is missing' : `${JSON.stringify(raw.address)} is not host:port`,
      'e.g. "address": "staging.example.com:50051"',
    );
  }
  const out: NamedContext = { address: raw.address, tls: false };
  for (const field of ['tokenFile', 'caFile'] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !isStorablePath(v))
      throw bad(
        field,
        `${JSON.stringify(v)} is not an absolute path`,
        'paths in contexts are absolute, so the context works from any directory',
      );
    out[field] = v;
  }
  if (raw.serverName !== undefined) {
    if (typeof raw.serverName !== 'string' || !isServerName(raw.serverName))
      throw bad(
        'serverName',
        `${JSON.stringify(raw.serverName)} is not a host name`,
        'the name in the server certificate, e.g. "caxton.internal"',
      );
    out.serverName = raw.serverName;
  }
  if (raw.tls !== undefined) {
    if (typeof raw.tls !== 'boolean') throw bad('tls', `${JSON.stringify(raw.tls)} is not true or false`);
    out.tls = raw.tls;
  }
  if (out.caFile !== undefined) out.tls = true;
  if (raw.output !== undefined) {
    if (typeof raw.output !== 'string' || !(CONTEXT_OUTPUTS as readonly string[]).includes(raw.output)) {
      throw bad('output', `${JSON.stringify(raw.output)} is not one of ${CONTEXT_OUTPUTS.join(', ')}`);
    }
    out.output = raw.output as ContextOutput;
  }
  return out;
}

/** The file's text → typed contexts; throws ContextConfigError naming the field at fault. */
export function parseContextConfig(text: string, file: string): ContextConfig {
  let raw: unknown;
  try {
    // Context names are keys the operator writes, escapes included: read exactly (decision 1820).
    raw = parseJson(text);
  } catch (err) {
    throw new ContextConfigError(file, undefined, `is not JSON (${(err as Error).message})`, REPAIR);
  }
  if (!isRecord(raw)) throw new ContextConfigError(file, undefined, 'is not a JSON object', REPAIR);
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.has(key))
      throw new ContextConfigError(file, key, 'is not a field of the config file', `the fields are ${[...TOP_KEYS].join(', ')}`);
  }
  if (raw.version !== CONTEXT_CONFIG_VERSION) {
    throw new ContextConfigError(
      file,
      'version',
      `${JSON.stringify(raw.version)} is not a version this caxton reads (${CONTEXT_CONFIG_VERSION})`,
      `a newer caxton may have written it; upgrade, or ${REPAIR}`,
    );
  }
  const contexts = new Map<string, NamedContext>();
  if (raw.contexts !== undefined) {
    if (!isRecord(raw.contexts)) throw new ContextConfigError(file, 'contexts', 'is not an object of named contexts', REPAIR);
    for (const [name, value] of Object.entries(raw.contexts)) {
      if (!isContextName(name))
        throw new ContextConfigError(
          file,
          `contexts.${JSON.stringify(name)}`,
          'is not a context name',
          'names are letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63',
        );
      contexts.set(name, parseContext(file, name, value));
    }
  }
  const config: ContextConfig = { contexts };
  if (raw.current !== undefined) {
    if (typeof raw.current !== 'string' || !contexts.has(raw.current)) {
      throw new ContextConfigError(
        file,
        'current',
        `${JSON.stringify(raw.current)} names no context in the file`,
        `set it to one of: ${[...contexts.keys()].join(', ') || '(none: remove "current")'}, or run \`caxton context use <name>\``,
      );
    }
    config.current = raw.current;
  }
  return config;
}

/** Typed contexts → the file's text: names sorted, one field per line, so hand edits diff cleanly. */
export function serializeContextConfig(config: ContextConfig): string {
  const contexts: Record<string, NamedContext> = {};
  for (const name of [...config.contexts.keys()].sort()) contexts[name] = config.contexts.get(name)!;
  return `${JSON.stringify({ version: CONTEXT_CONFIG_VERSION, ...(config.current === undefined ? {} : { current: config.current }), contexts }, null, 2)}\n`;
}

/** The context a name refers to, or UnknownContextError listing the known ones. */
export function lookupContext(config: ContextConfig, name: string): NamedContext {
  const found = config.contexts.get(name);
  if (!found) throw new UnknownContextError(name, [...config.contexts.keys()].sort());
  return found;
}
