/**
 * `caxton serve --replay-history-agent <name>=<time>[:<bytes>]` (decision 2182): agents whose own
 * history the embedded log keeps after their segments go, for `caxton replay` and `upgrade
 * --replay`. The time is seconds or a duration (`86400`, `7d`), the bytes a size (`2GiB`; default
 * 256 MiB); the ranges are core's AGENT_REPLAY_HISTORY_LIMIT_TABLE, checked here so a typo fails at
 * the command line.
 */
import { CaxtonError, resolveAgentReplayHistory } from '@caxton/core';
import type { Argv } from 'yargs';
import { UsageError } from '../cli-error.js';
import { parseBytes, parseDuration } from '../parse.js';

const FLAG = '--replay-history-agent';

export interface AgentHistoryArgs {
  replayHistoryAgent?: string[];
}

export function agentHistoryOptions<T>(y: Argv<T>): Argv<T & AgentHistoryArgs> {
  return y.option('replay-history-agent', {
    type: 'string',
    array: true,
    describe:
      "Keep this agent's own history for replay after the log's segments go: <name>=<seconds|duration>[:<bytes>], e.g. billing=7d:2GiB (repeatable; embedded log only)",
  }) as Argv<T & AgentHistoryArgs>;
}

/** The flags as `startNode({ agentReplayHistory })`, checked; undefined when none was given. */
export function agentReplayHistoryFromArgs(argv: AgentHistoryArgs): Record<string, { seconds: number; bytes?: number }> | undefined {
  const given = argv.replayHistoryAgent ?? [];
  if (given.length === 0) return undefined;
  const out: Record<string, { seconds: number; bytes?: number }> = {};
  for (const text of given) {
    const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(text.trim());
    if (!m)
      throw new UsageError(`${FLAG} "${text}" is not <name>=<time>[:<bytes>]`, `e.g. ${FLAG} billing=7d or ${FLAG} billing=86400:2GiB`);
    const [, name, time, size] = m as unknown as [string, string, string, string | undefined];
    if (Object.hasOwn(out, name)) throw new UsageError(`${FLAG} names ${name} twice`, 'give each agent once');
    const ms = /^\d+$/.test(time) ? Number(time) * 1000 : parseDuration(time);
    if (ms === undefined || ms % 1000 !== 0)
      throw new UsageError(`${FLAG} ${name}: "${time}" is not a whole number of seconds or a duration`, 'e.g. 86400, 12h or 7d');
    out[name] = { seconds: ms / 1000, ...(size === undefined ? {} : { bytes: parseBytes(size, `${FLAG} ${name}`) }) };
  }
  try {
    resolveAgentReplayHistory(out, FLAG);
  } catch (err) {
    if (err instanceof CaxtonError) throw new UsageError(err.message, err.hint);
    throw err;
  }
  return out;
}
