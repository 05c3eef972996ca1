/**
 * Wire requests of the state RPCs → typed StateControl arguments (decision 1600), checked here
 * like every other request (request-parsing.ts): a field that is wrong is named in the error.
 * Keys follow the agents' rule — 1..maxKeyBytes UTF-8 bytes, no control characters — except that
 * the runtime's reserved keys (starting with U+0000, e.g. pending HTTP calls) may be named, so an
 * export can be imported back whole.
 */
import { DEFAULT_STATE_LIMITS, InvalidArgumentError, type StateListQuery, type StateWrite } from '@caxton/core';
import { ResourceExhaustedError } from './errors.js';
import { parseAgentOrInstanceName } from './request-parsing.js';
import type { WireListStateRequest, WireStateImportEntry } from '@caxton/client';

export const DEFAULT_STATE_PAGE = 100;
export const MAX_STATE_PAGE = 1000;
/** An import larger than this is refused: twice an agent's default quota, in UTF-8 bytes. */
export const MAX_IMPORT_BYTES = 2 * DEFAULT_STATE_LIMITS.maxTotalBytes;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function parseStateAgent(value: unknown): string {
  return parseAgentOrInstanceName(value, 'agent');
}

export function parseStateKey(value: unknown, field = 'key'): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(field, 'a state key is required');
  const bytes = Buffer.byteLength(value);
  if (bytes > DEFAULT_STATE_LIMITS.maxKeyBytes)
    throw new InvalidArgumentError(field, `is ${bytes} bytes, the limit is ${DEFAULT_STATE_LIMITS.maxKeyBytes}`);
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

/** Accumulates the entries of an ImportState stream, bounded in bytes. */
export class ImportAccumulator {
  readonly writes: StateWrite[] = [];
  private bytes = 0;

  add(entries: readonly WireStateImportEntry[]): void {
    for (const [i, entry] of entries.entries()) {
      const key = parseStateKey(entry.key, `entries[${i}].key`);
      const value = entry.value ?? null;
      if (value !== null && Buffer.byteLength(value) > DEFAULT_STATE_LIMITS.maxValueBytes) {
        throw new InvalidArgumentError(
          `entries[${i}].value`,
          `of key ${JSON.stringify(key.slice(0, 64))} is longer than ${DEFAULT_STATE_LIMITS.maxValueBytes} bytes`,
        );
      }
      this.bytes += Buffer.byteLength(key) + (value === null ? 0 : Buffer.byteLength(value));
      if (this.bytes > MAX_IMPORT_BYTES) {
        throw new ResourceExhaustedError(`the import is larger than ${MAX_IMPORT_BYTES} bytes`, {
          context: { limit: MAX_IMPORT_BYTES },
          hint: "an agent's state is bounded by its quota; split the file only if the agent's limits allow that much state",
        });
      }
      this.writes.push({ key, value });
    }
  }
}
