/** How much of one agent's traffic the embedded log keeps for replay once its segments go (issue 57, decision 2182). */
import { InvalidArgumentError } from '../errors.js';
import { AGENT_NAME, AGENT_NAME_HINT } from '../agent-name.js';
import { defineLimitTable, type LimitRow } from './limit-table.js';

/**
 * One agent's history (decision 2182): `caxton serve --replay-history-agent <name>=<seconds>[:<bytes>]`,
 * `startNode({ agentReplayHistory: { <name>: { seconds, bytes } } })`. When retention deletes a
 * segment, the frames of each named agent (its deliveries, their completions, what it sent, its
 * state) are first copied to a file of its own, kept `seconds` after the segment closed and at most
 * `bytes` in all, the oldest dropped first. The node's history (REPLAY_HISTORY_LIMIT_TABLE) keeps
 * whole segments, every agent's traffic; this keeps one agent's, for longer, at its own cost. The
 * name is a deployment's: its replicas and, for a kind, every key's instance are kept with it.
 * Ceilings: thirty days, as the node's; 64 GiB, as the node's; 64 agents, each a directory the
 * log writes on every segment it deletes.
 */
export const AGENT_REPLAY_HISTORY_LIMIT_TABLE = {
  seconds: {
    unit: 'seconds',
    min: 1,
    ceiling: 30 * 86_400,
    computedDefault: 'no default: each agent named says how long',
    required: true,
    description: "Keep the agent's copied history this long after the segment it was copied from closed.",
  },
  bytes: {
    unit: 'bytes',
    default: 256 * 1024 * 1024,
    min: 1024 * 1024,
    ceiling: 64 * 1024 * 1024 * 1024,
    description: "At most this many bytes of the agent's copied history, the oldest dropped first.",
  },
} as const satisfies Record<string, LimitRow>;

/** How many agents one node keeps a history of. */
export const MAX_AGENT_REPLAY_HISTORIES = 64;

export interface AgentReplayHistory {
  seconds: number;
  bytes: number;
}

const { check } = defineLimitTable(AGENT_REPLAY_HISTORY_LIMIT_TABLE, {
  what: 'agent replay history setting',
  field: 'agentReplayHistory',
});

/**
 * The per-agent histories given, checked: each name a deployment's (`AGENT_NAME`), at most
 * MAX_AGENT_REPLAY_HISTORIES of them, `seconds` given and in its row, `bytes` in its row (default
 * 256 MiB). Throws InvalidArgumentError or LimitOutOfRangeError naming the field.
 */
export function resolveAgentReplayHistory(
  given: Readonly<Record<string, { seconds?: unknown; bytes?: unknown }>> | undefined,
  field = 'agentReplayHistory',
): Map<string, AgentReplayHistory> {
  const out = new Map<string, AgentReplayHistory>();
  if (given === undefined) return out;
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new InvalidArgumentError(field, 'must be an object of agent name to { seconds, bytes }', 'e.g. { counter: { seconds: 86400 } }');
  const names = Object.keys(given);
  if (names.length > MAX_AGENT_REPLAY_HISTORIES)
    throw new InvalidArgumentError(
      field,
      `names ${names.length} agents; a node keeps the history of at most ${MAX_AGENT_REPLAY_HISTORIES}`,
      "name only the agents whose traffic must outlive the log's segments; the node's --replay-history-seconds keeps every agent's",
    );
  for (const name of names) {
    if (!AGENT_NAME.test(name))
      throw new InvalidArgumentError(`${field}.${name.slice(0, 140)}`, 'is not a deployment name', AGENT_NAME_HINT);
    const row = given[name];
    if (row === null || typeof row !== 'object' || row.seconds === undefined)
      throw new InvalidArgumentError(`${field}.${name}`, 'needs seconds', `e.g. ${name}=86400 keeps a day of ${name}'s traffic`);
    const checked = check(row, `${field}.${name}`);
    out.set(name, { seconds: checked.seconds!, bytes: checked.bytes ?? AGENT_REPLAY_HISTORY_LIMIT_TABLE.bytes.default });
  }
  return out;
}
