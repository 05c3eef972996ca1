/**
 * Errors of replay (issue 57): reading an agent's recorded history and running it again. One class
 * with a stable `code` per situation (decision 1105): callers branch on the code, operators read
 * `describe()` (message, context, hint).
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export type ReplayErrorCode =
  /** The directory named holds no embedded message log (missing, not a directory, no segment files). */
  | 'replay.no-log'
  /** A segment file of the log has a header this build cannot read (foreign, damaged, newer format). */
  | 'replay.bad-segment'
  /** What was asked is malformed (an empty agent name, a bound that is not a positive integer). */
  | 'replay.invalid-argument'
  /** The data directory has no deployment of the agent named. */
  | 'replay.no-agent'
  /** The recorded version's component is not where its record says (the artifact store). */
  | 'replay.no-component'
  /** No export file where one was named (missing, or not a file). */
  | 'replay.no-export'
  /** The file is not a replay export, or one of a format version this build cannot read. */
  | 'replay.export-format'
  /** An export file ends before its end line: cut short (a copy or a write that stopped early). */
  | 'replay.export-truncated'
  /** An export file holds a line no writer writes, or its digests or count do not match: damaged. */
  | 'replay.export-corrupt'
  /** An export's target file exists already (and overwriting it was not asked for). */
  | 'replay.export-exists'
  /** What an export would hold is larger than the format carries (a component, one event's line). */
  | 'replay.export-too-large';

export const REPLAY_ERROR_KINDS: Readonly<Record<ReplayErrorCode, ErrorKind>> = Object.freeze({
  'replay.no-log': 'not-found',
  'replay.bad-segment': 'data-loss',
  'replay.invalid-argument': 'invalid-argument',
  'replay.no-agent': 'not-found',
  'replay.no-component': 'not-found',
  'replay.no-export': 'not-found',
  'replay.export-format': 'invalid-argument',
  'replay.export-truncated': 'data-loss',
  'replay.export-corrupt': 'data-loss',
  'replay.export-exists': 'already-exists',
  'replay.export-too-large': 'resource-exhausted',
});

export class ReplayError extends CaxtonError {
  declare readonly code: ReplayErrorCode;

  constructor(code: ReplayErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: REPLAY_ERROR_KINDS[code] });
  }
}
