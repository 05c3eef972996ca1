/**
 * Options of the embedded log, their defaults and validation. Defaults favour safety (`always`
 * fsync, refuse to start on corruption) and the bus's throughput target (64 MiB segments).
 */
import { AGENT_NAME, DEFAULT_REPLAY_HISTORY } from '@caxton/core';
import { EmbeddedLogError, type EmbeddedLogWarning } from './errors.js';
import type { CorruptionPolicy } from './frame-scan.js';
import type { FsyncPolicy } from './group-committer.js';
import { FORMAT_MAX_PAYLOAD_BYTES } from './record-format.js';

/** The largest dedup window: 10 million ids, ~220 MiB of index and ring allocated when the log opens. */
export const MAX_DEDUP_WINDOW = 10_000_000;

export interface EmbeddedMessageLogOptions {
  /** Data directory; created if missing. One log (one process) per directory. */
  dir: string;
  /** When an append counts as durable. Default `always` (group commit + fdatasync). */
  fsync?: FsyncPolicy;
  /** `interval` only: fdatasync period in ms (the power-loss window). Default 100. */
  fsyncIntervalMs?: number;
  /** A segment is closed and a new one started once it reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /**
   * Compact the oldest closed segment when its pending deliveries are at most this fraction of the
   * append frames it holds (its stragglers are copied forward, then it is deleted). Default 0.25:
   * compaction never rewrites more than a quarter of what it frees.
   */
  compactionRatio?: number;
  /**
   * How many completed ids `hasCompleted` remembers. Default 100,000; at most `MAX_DEDUP_WINDOW`
   * (the window's index is allocated up front, ~22 bytes per id: decision 2002).
   */
  dedupWindow?: number;
  /** Largest encoded delivery or dead letter accepted. Default 16 MiB. */
  maxRecordBytes?: number;
  /** Corruption that is not a torn tail: `refuse` to open (default) or `skip` past it with a warning. */
  onCorruption?: CorruptionPolicy;
  /** Replayed deliveries are handed to the consumer in batches of this size. Default 1024. */
  replayBatchSize?: number;
  /**
   * History kept for `caxton replay` (decision 2179): closed segments closed less than this many ms
   * ago are neither deleted nor compacted (newest first, at most `historyBytes`). Default 0: none.
   */
  historyMs?: number;
  /** At most this many bytes of closed segments kept as history. Default 1 GiB (only with `historyMs`). */
  historyBytes?: number;
  /**
   * Agents whose own history outlives the segments (decision 2182), by deployment name: before a
   * segment is deleted their frames are copied to `agent-history/<name>/`, kept `ms` after the
   * segment closed and at most `bytes`. Default none.
   */
  agentHistory?: ReadonlyMap<string, { ms: number; bytes: number }>;
}

/**
 * What the log tells observers (the log's `events`, docs/decisions/1106-instrumentation.md): recoveries
 * and problems it handled by itself (torn tail cut, stale lock, …). With no listener for
 * 'warning', warnings go to console.warn.
 */
export type EmbeddedLogEvent =
  | { type: 'warning'; warning: EmbeddedLogWarning }
  /** One commit group written and acknowledged (metrics, decision 1301): built only for a listener. */
  | { type: 'group-committed'; frames: number; bytes: number; seconds: number };

export type ResolvedOptions = Required<EmbeddedMessageLogOptions>;

export const DEFAULTS = {
  fsync: 'always',
  fsyncIntervalMs: 100,
  segmentBytes: 64 * 1024 * 1024,
  compactionRatio: 0.25,
  dedupWindow: 100_000,
  maxRecordBytes: 16 * 1024 * 1024,
  onCorruption: 'refuse',
  replayBatchSize: 1024,
  // The history's defaults are its rows' in core's REPLAY_HISTORY_LIMIT_TABLE (one definition).
  historyMs: DEFAULT_REPLAY_HISTORY.seconds * 1000,
  historyBytes: DEFAULT_REPLAY_HISTORY.bytes,
  agentHistory: new Map<string, { ms: number; bytes: number }>() as ReadonlyMap<string, { ms: number; bytes: number }>,
} as const;

export function resolveOptions(options: EmbeddedMessageLogOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    ...DEFAULTS,
    ...stripUndefined(options),
    dir: options.dir,
  };
  const invalid = (what: string): never => {
    throw new EmbeddedLogError('log.invalid-options', `invalid embedded log option: ${what}`, {
      context: { dir: options.dir },
      hint: 'see EmbeddedMessageLogOptions in runtime/src/log/embedded/options.ts for ranges and defaults',
    });
  };
  if (typeof resolved.dir !== 'string' || resolved.dir.length === 0) invalid('dir must be a non-empty path');
  if (!['always', 'interval', 'never'].includes(resolved.fsync))
    invalid(`fsync must be always, interval or never (got ${String(resolved.fsync)})`);
  if (!(Number.isInteger(resolved.fsyncIntervalMs) && resolved.fsyncIntervalMs >= 1)) invalid('fsyncIntervalMs must be an integer >= 1');
  if (!(Number.isInteger(resolved.segmentBytes) && resolved.segmentBytes >= 1024)) invalid('segmentBytes must be an integer >= 1024');
  if (!(resolved.compactionRatio >= 0 && resolved.compactionRatio <= 1)) invalid('compactionRatio must be within [0, 1]');
  if (!(Number.isInteger(resolved.dedupWindow) && resolved.dedupWindow >= 0 && resolved.dedupWindow <= MAX_DEDUP_WINDOW)) {
    invalid(`dedupWindow must be an integer within [0, ${MAX_DEDUP_WINDOW}]`);
  }
  if (
    !(Number.isInteger(resolved.maxRecordBytes) && resolved.maxRecordBytes >= 256 && resolved.maxRecordBytes <= FORMAT_MAX_PAYLOAD_BYTES)
  ) {
    invalid(`maxRecordBytes must be an integer within [256, ${FORMAT_MAX_PAYLOAD_BYTES}]`);
  }
  if (resolved.onCorruption !== 'refuse' && resolved.onCorruption !== 'skip') invalid('onCorruption must be refuse or skip');
  if (!(Number.isInteger(resolved.replayBatchSize) && resolved.replayBatchSize >= 1)) invalid('replayBatchSize must be an integer >= 1');
  if (!(Number.isSafeInteger(resolved.historyMs) && resolved.historyMs >= 0)) invalid('historyMs must be an integer >= 0');
  if (!(Number.isSafeInteger(resolved.historyBytes) && resolved.historyBytes >= 0)) invalid('historyBytes must be an integer >= 0');
  // History is kept in whole segments: a bound below one keeps nothing, which is refused, not silent.
  if (resolved.historyMs > 0 && resolved.historyBytes < resolved.segmentBytes)
    invalid(`historyBytes (${resolved.historyBytes}) must be at least segmentBytes (${resolved.segmentBytes}) when historyMs is set`);
  if (!(resolved.agentHistory instanceof Map)) invalid('agentHistory must be a Map of deployment name to { ms, bytes }');
  for (const [name, bound] of resolved.agentHistory) {
    // The name is a directory under the log's: a deployment's name only (no separator, no dot first).
    if (!AGENT_NAME.test(name)) invalid(`agentHistory: ${JSON.stringify(name.slice(0, 140))} is not a deployment name`);
    if (!(Number.isSafeInteger(bound?.ms) && bound.ms > 0 && Number.isSafeInteger(bound.bytes) && bound.bytes > 0))
      invalid(`agentHistory of ${name}: ms and bytes must be integers > 0`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
