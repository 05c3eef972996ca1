/**
 * Wire requests of the state RPCs → typed StateControl arguments (decision 1600), checked here
 * like every other request (request-parsing.ts): a field that is wrong is named in the error.
 * Keys follow the agents' rule — 1..maxKeyBytes UTF-8 bytes, no control characters — except that
 * the runtime's reserved keys (starting with U+0000, e.g. pending HTTP calls) may be named, so an
 * export can be imported back whole.
 */
import {
  AGENT_FILE_LIMITS,
  DEFAULT_STATE_LIMITS,
  STATE_IMPORT_MAX_BYTES,
  stateImportEntryBytes,
  FILE_STATE_KEY_PREFIX,
  InvalidArgumentError,
  isFileStateKey,
  resolveAgentPath,
  type StateListQuery,
  type StateWrite,
  storedFileValueLength,
} from '@caxton/core';
import { ResourceExhaustedError } from './errors.js';
import { parseAgentOrInstanceName } from './request-parsing.js';
import type { WireListStateRequest, WireStateImportEntry } from '@caxton/client';

export const DEFAULT_STATE_PAGE = 100;
export const MAX_STATE_PAGE = 1000;
/** An import larger than this is refused (core's one definition, which the CLI checks before it sends). */
export const MAX_IMPORT_BYTES = STATE_IMPORT_MAX_BYTES;
const CONTROL = /[\u0000-\u001f\u007f]/;
/**
 * An agent's files (decision 2191) are keys of its state with bounds of their own: a path up to
 * `maxPathBytes` (and a directory's trailing slash), a value up to a whole file of `maxFileBytes` in
 * base64 with its time — so an export of an agent with files can be imported back whole.
 */
const MAX_FILE_KEY_BYTES = Buffer.byteLength(FILE_STATE_KEY_PREFIX) + AGENT_FILE_LIMITS.maxPathBytes + 1;
const MAX_FILE_VALUE_BYTES = storedFileValueLength(AGENT_FILE_LIMITS.maxFileBytes, Number.MAX_SAFE_INTEGER);

export function parseStateAgent(value: unknown): string {
  return parseAgentOrInstanceName(value, 'agent');
}

export function parseStateKey(value: unknown, field = 'key'): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(field, 'a state key is required');
  const bytes = Buffer.byteLength(value);
  const limit = isFileStateKey(value) ? MAX_FILE_KEY_BYTES : DEFAULT_STATE_LIMITS.maxKeyBytes;
  if (bytes > limit) throw new InvalidArgumentError(field, `is ${bytes} bytes, the limit is ${limit}`);
  const rest = value.startsWith('\u0000') ? value.slice(1) : value;
  if (CONTROL.test(rest))
    throw new InvalidArgumentError(
      field,
      'contains a control character',
      'state keys are printable text (JSON-escape them in import files)',
    );
  return value;
}

export function parseListState(req: WireListStateRequest): { agent: string; query: StateListQuery } {
  const agent = parseStateAgent(req.agent);
  const limit = req.pageSize === 0 ? DEFAULT_STATE_PAGE : req.pageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_STATE_PAGE)
    throw new InvalidArgumentError('page_size', `must be 1-${MAX_STATE_PAGE} (0 = ${DEFAULT_STATE_PAGE})`);
  const query: StateListQuery = { limit };
  if (req.prefix !== '') query.prefix = req.prefix;
  if (req.pageToken !== '') query.after = req.pageToken;
  return { agent, query };
}

/** Accumulates the entries of an ImportState stream, bounded in bytes (text and per-entry overhead). */
export class ImportAccumulator {
  readonly writes: StateWrite[] = [];
  private counted = 0;

  /** What it holds, as counted against MAX_IMPORT_BYTES (its text and each entry's overhead: stateImportEntryBytes). */
  get bytes(): number {
    return this.counted;
  }

  add(entries: readonly WireStateImportEntry[]): void {
    for (const [i, entry] of entries.entries()) {
      const key = parseStateKey(entry.key, `entries[${i}].key`);
      const value = entry.value ?? null;
      const limit = isFileStateKey(key) ? MAX_FILE_VALUE_BYTES : DEFAULT_STATE_LIMITS.maxValueBytes;
      if (value !== null && Buffer.byteLength(value) > limit) {
        throw new InvalidArgumentError(`entries[${i}].value`, `of key ${JSON.stringify(key.slice(0, 64))} is longer than ${limit} bytes`);
      }
      if (isFileStateKey(key)) checkFileEntry(key, value, i);
      // Each entry is charged what it holds in memory besides its text (the write object and its
      // slot), so an import of many tiny entries is bounded as one of few large ones.
      this.counted += stateImportEntryBytes(Buffer.byteLength(key), value === null ? 0 : Buffer.byteLength(value));
      if (this.counted > MAX_IMPORT_BYTES) {
        throw new ResourceExhaustedError(`the import is larger than ${MAX_IMPORT_BYTES} bytes`, {
          context: { limit: MAX_IMPORT_BYTES },
          hint: "an agent's state is bounded by its quota; split the file only if the agent's limits allow that much state",
        });
      }
      this.writes.push({ key, value });
    }
  }
}

/**
 * An imported file or directory of an agent: its path as the agent's file system would have made
 * it (no `.`, `..`, empty or overlong names: a key it could never reach would only take quota), and
 * a value it can read (a file's time and base64 bytes, a directory's time).
 */
function checkFileEntry(key: string, value: string | null, i: number): void {
  const rest = key.slice(FILE_STATE_KEY_PREFIX.length);
  const directory = rest.endsWith('/');
  const path = directory ? rest.slice(0, -1) : rest;
  const resolved = resolveAgentPath('', path, AGENT_FILE_LIMITS);
  if (path === '' || !('path' in resolved) || resolved.path !== path)
    throw new InvalidArgumentError(
      `entries[${i}].key`,
      `names the file ${JSON.stringify(path.slice(0, 64))}, which is not a path below /data`,
      'a file key is \\u0000fs: and a path below /data with no ., .. or empty names, as `caxton state export` writes it',
    );
  if (value === null) return;
  // A time of 15 digits at most (a safe integer, a date JavaScript can print); base64 in whole quads.
  const ok = directory ? /^\d{1,15}$/.test(value) : /^\d{1,15}:(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value);
  if (!ok)
    throw new InvalidArgumentError(
      `entries[${i}].value`,
      directory ? 'of a directory is its time (ms)' : 'of a file is its time (ms), a colon and its bytes in base64',
    );
}
