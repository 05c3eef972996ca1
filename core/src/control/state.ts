/**
 * Durable agent state (the WIT `caxton:agent/state` interface, decision 1600): the shapes every
 * layer shares. The sandbox buffers an agent's writes per handling and hands them back with the
 * result; the bus commits them in the same durable step as the delivery's completion; the storage
 * adapters (embedded log, Kafka) keep the committed view. One definition of each.
 */
import { utf8ByteLength } from '../acl/lexical.js';

/** One change to an agent's state: a new value, or `null` for a delete. */
export interface StateWrite {
  key: string;
  value: string | null;
}

/** Per-agent bounds on state (UTF-8 bytes). Checked in the sandbox, before the write is buffered. */
export interface StateLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  /** Sum over entries of key bytes + value bytes. */
  maxTotalBytes: number;
  maxKeys: number;
  /** Most keys one `keys` call returns, whatever the agent asks for. */
  maxListLimit: number;
}

export const DEFAULT_STATE_LIMITS: StateLimits = Object.freeze({
  maxKeyBytes: 256,
  maxValueBytes: 64 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
  maxKeys: 10_000,
  maxListLimit: 1_000,
});

/** An import larger than this is refused (UTF-8 bytes of its keys and values): twice an agent's default quota. */
export const STATE_IMPORT_MAX_BYTES = 2 * DEFAULT_STATE_LIMITS.maxTotalBytes;

/**
 * What an imported entry costs in memory besides its key and value (its write object and array
 * slot: some tens of bytes on V8), charged against STATE_IMPORT_MAX_BYTES with its text, so an
 * import of many tiny entries is bounded as one of few large ones. An agent's most keys
 * (DEFAULT_STATE_LIMITS.maxKeys) cost 640 KiB of it.
 */
export const STATE_IMPORT_ENTRY_OVERHEAD_BYTES = 64;

/** What one imported entry counts against STATE_IMPORT_MAX_BYTES: the node's ImportState and `caxton fs import` agree. */
export function stateImportEntryBytes(keyBytes: number, valueBytes: number): number {
  return STATE_IMPORT_ENTRY_OVERHEAD_BYTES + keyBytes + valueBytes;
}

/** The WIT `state-error-kind`s: every refusal of a state call is one of these, with a message. */
export type StateErrorKind = 'invalid-key' | 'value-too-large' | 'quota-exceeded' | 'read-only';

/**
 * Keys beginning with U+0000 are the runtime's own bookkeeping (an agent's key cannot contain a
 * control character): kept in the agent's state, invisible to the agent, outside its quotas.
 */
export const RESERVED_STATE_KEY_PREFIX = '\u0000';

export function isReservedStateKey(key: string): boolean {
  return key.charCodeAt(0) === 0;
}

/**
 * The writes that are the agent's own durable state, not the runtime's bookkeeping (pending HTTP
 * calls, timer-done markers): what "the agent keeps state" means for replicas (decision 2010) and
 * rollouts (decision 1871).
 */
export function ownStateWrites<W extends { key: string }>(writes: readonly W[]): W[] {
  return writes.filter((w) => isAgentOwnedStateKey(w.key));
}

/** How many of `keys` are the agent's own (not reserved bookkeeping). */
export function countOwnStateKeys(keys: Iterable<string>): number {
  let n = 0;
  for (const key of keys) if (isAgentOwnedStateKey(key)) n++;
  return n;
}

/** The key prefix of the agent's files (decision 2191; agent-files.ts holds the scheme). */
const FILE_KEY_PREFIX = `${RESERVED_STATE_KEY_PREFIX}fs:`;

/**
 * True for the agent's own durable state: its keys, and its files at /data (decision 2191), which
 * are reserved keys (the agent's state calls never see them) but its data all the same: they count
 * against its state quotas and make it an agent that keeps state.
 */
export function isAgentOwnedStateKey(key: string): boolean {
  return !isReservedStateKey(key) || key.startsWith(FILE_KEY_PREFIX);
}

/** The reserved key of a pending HTTP call's record (decision 1601): written by the sandbox, removed by the gateway. */
export function httpPendingStateKey(callId: string): string {
  return `${RESERVED_STATE_KEY_PREFIX}http/${callId}`;
}

/**
 * The reserved key of an outbound FIPA MTP post's outbox record (decision 1910, durable
 * forwarding): one per message and destination ACC, in the sending agent's state, written before
 * the send counts as done and removed once the peer's `200` (or the sender's `failure`) is durable.
 */
export function mtpOutboxStateKey(entry: string): string {
  return `${RESERVED_STATE_KEY_PREFIX}mtp/${entry}`;
}

/**
 * The reserved key that records a durable timer's firing as done (issue 24): committed in the same
 * durable step as the on-timer handling's writes, so a firing seen again after a crash (its
 * registry entry not deleted yet) is recognised and not handled twice. Removed once the timer is
 * gone from the registry.
 */
export function timerDoneStateKey(timerId: string): string {
  return `${RESERVED_STATE_KEY_PREFIX}timer/${timerId}`;
}

/** The timer id of a timer-done key, or undefined for any other key. */
export function timerIdOfDoneKey(key: string): string | undefined {
  const prefix = timerDoneStateKey('');
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/**
 * The reserved key of a timer a handling set (issue 55): committed with that handling's own commit
 * point (its value the timer's token and delay), so the timer exists only if the handling counts.
 * The registry write follows the commit; this record is removed once the timer is in the registry
 * (or by its firing's commit), and one found at the agent's next start is put there then.
 */
export function timerSetStateKey(timerId: string): string {
  return `${RESERVED_STATE_KEY_PREFIX}timer-set/${timerId}`;
}

/** The timer id of a timer-set key, or undefined for any other key. */
export function timerIdOfSetKey(key: string): string | undefined {
  const prefix = timerSetStateKey('');
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/** In unicode mode a surrogate pair is one code point: this matches lone surrogates only. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Why `key` cannot be an agent's key, or null: 1..maxKeyBytes UTF-8 bytes, well-formed text, no
 * control characters (U+0000–U+001F, U+007F). The sandbox checks every `set`/`delete` with it; an
 * operator's import can check keys the same way.
 */
export function invalidStateKeyReason(key: string, maxKeyBytes: number): string | null {
  if (key.length === 0) return 'the key is empty';
  if (key.length > maxKeyBytes) return `the key is longer than ${maxKeyBytes} bytes`;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f) return `the key contains the control character U+${c.toString(16).padStart(4, '0').toUpperCase()} at ${i}`;
  }
  if (LONE_SURROGATE.test(key)) return 'the key is not valid Unicode text (it has a lone surrogate)';
  const bytes = utf8ByteLength(key);
  if (bytes > maxKeyBytes) return `the key has ${bytes} UTF-8 bytes, more than ${maxKeyBytes}`;
  return null;
}
