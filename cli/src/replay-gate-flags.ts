/**
 * `caxton upgrade --replay N|<duration> [--accept-diff sends,state|none]` (issue 57): replay the
 * agent's last N recorded handlings, or those of a window, on the new version before it replaces
 * the running one. Parsed here into the header's ReplayGateSpec; the node checks the ranges
 * (REPLAY_GATE_LIMIT_TABLE) and the accepted differences again.
 */
import { parseAcceptDiff, type ReplayGateSpec } from '@caxton/core';
import { UsageError } from './cli-error.js';
import { parseDuration } from './parse.js';

export interface ReplayGateFlagArgs {
  replay?: string;
  acceptDiff?: string;
}

export function replayGateFromFlags(argv: ReplayGateFlagArgs): ReplayGateSpec | undefined {
  if (argv.replay === undefined) {
    if (argv.acceptDiff !== undefined) throw new UsageError('--accept-diff only applies with --replay');
    return undefined;
  }
  const text = argv.replay.trim();
  let span: Pick<ReplayGateSpec, 'handlings' | 'sinceMs'>;
  if (/^\d{1,9}$/.test(text)) span = { handlings: Number(text) };
  else {
    const ms = parseDuration(text);
    if (ms === undefined || ms < 1)
      throw new UsageError(
        `--replay ${JSON.stringify(text)} is neither a number of handlings nor a duration`,
        'e.g. --replay 10000, or --replay 1h',
      );
    span = { sinceMs: Math.round(ms) };
  }
  try {
    return { ...span, accept: parseAcceptDiff([argv.acceptDiff ?? 'none'], '--accept-diff') };
  } catch (err) {
    throw new UsageError(
      (err as Error).message.replace(/^--accept-diff: /, '--accept-diff: '),
      'accept sends, state, both (sends,state) or none',
    );
  }
}
