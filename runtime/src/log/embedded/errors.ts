/**
 * Errors and warnings of the embedded message log. One class with a stable `code` per situation:
 * callers branch on the code, operators read `describe()` (message, file/offset context, hint).
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export type EmbeddedLogErrorCode =
  // Refusals and failures (thrown / rejected).
  | 'log.corrupt'
  | 'log.bad-header'
  | 'log.locked'
  | 'log.not-open'
  | 'log.closed'
  | 'log.failed'
  | 'log.invalid-delivery'
  | 'log.invalid-state'
  | 'log.invalid-options'
  | 'log.already-consuming'
  // Warnings (emitted as `warning` events on the log's `events`; the log keeps going).
  | 'log.torn-tail-truncated'
  | 'log.corruption-skipped'
  | 'log.header-reinitialised'
  | 'log.stale-lock-taken'
  | 'log.dead-letter-reconciled'
  | 'log.handler-threw'
  | 'log.retention-failed'
  | 'log.state-dropped'
  | 'log.history-incomplete';

/** What sort of failure each code is; warnings never reach a caller, they are internal. */
export const EMBEDDED_LOG_ERROR_KINDS: Readonly<Record<EmbeddedLogErrorCode, ErrorKind>> = Object.freeze({
  'log.corrupt': 'internal',
  'log.bad-header': 'invalid-argument',
  'log.locked': 'internal',
  'log.not-open': 'unavailable',
  'log.closed': 'unavailable',
  'log.failed': 'internal',
  'log.invalid-delivery': 'invalid-argument',
  'log.invalid-state': 'invalid-argument',
  'log.invalid-options': 'invalid-argument',
  'log.already-consuming': 'internal',
  'log.torn-tail-truncated': 'internal',
  'log.corruption-skipped': 'internal',
  'log.header-reinitialised': 'internal',
  'log.stale-lock-taken': 'internal',
  'log.dead-letter-reconciled': 'internal',
  'log.handler-threw': 'internal',
  'log.retention-failed': 'internal',
  'log.state-dropped': 'internal',
  'log.history-incomplete': 'internal',
});

export class EmbeddedLogError extends CaxtonError {
  declare readonly code: EmbeddedLogErrorCode;

  constructor(code: EmbeddedLogErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: EMBEDDED_LOG_ERROR_KINDS[code] });
  }
}

/** A warning is an EmbeddedLogError that was handled: the log recovered or kept running. */
export type EmbeddedLogWarning = EmbeddedLogError;

export function corruptionError(file: string, offset: number, reason: string): EmbeddedLogError {
  return new EmbeddedLogError('log.corrupt', `corrupt record in ${file} at byte ${offset}: ${reason}`, {
    context: { file, offset, reason },
    hint:
      'valid records follow the damaged bytes, so this is not a torn write from a crash. Restore the data directory ' +
      "from a backup, or start once with onCorruption: 'skip' to drop the unreadable bytes (deliveries stored " +
      'there are lost and completions stored there may be handed out again)',
  });
}

export function closedError(): EmbeddedLogError {
  return new EmbeddedLogError('log.closed', 'the message log is closed', {
    hint: 'open a new EmbeddedMessageLog on the same directory; close() is final',
  });
}

export function notOpenError(): EmbeddedLogError {
  return new EmbeddedLogError('log.not-open', 'the message log is not open', { hint: 'await log.open() first' });
}

export function failedError(cause: unknown, where: string): EmbeddedLogError {
  return new EmbeddedLogError(
    'log.failed',
    `the message log stopped after a failed write or fsync: ${String((cause as Error)?.message ?? cause)}`,
    {
      context: { where },
      cause,
      hint:
        'after a failed fsync the kernel may have dropped the dirty pages, so retrying could acknowledge lost data. ' +
        'Fix the disk (space, permissions, hardware) and restart: open() recovers everything that was durable',
    },
  );
}
