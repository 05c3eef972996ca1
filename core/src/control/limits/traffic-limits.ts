/** Node-wide traffic limits (issue 27; decisions 1920, 1921, 2099, 2136): how a node orders and guards deliveries. */
import { AGENT_LIMIT_TABLE } from './agent-limits.js';
import { defineLimitTable, type LimitDefinition, type LimitsOf } from './limit-table.js';

/**
 * Node-wide traffic limits (issue 27): how a node orders and guards deliveries between agents. Not
 * per deployment — they shape the bus, not one agent's sandbox — but defined here, in the one
 * place limits live, with the same shape as the agents' table.
 */
export const TRAFFIC_LIMIT_TABLE = {
  priorityAgingDispatches: {
    unit: 'count',
    default: 16,
    ceiling: 1_000_000,
    description:
      'A priority level passed over for this many dispatches in a row while it has messages waiting is served next, so higher priorities never starve lower ones (decision 1920).',
  },
  breakerFailures: {
    unit: 'count',
    default: 5,
    ceiling: 1_000_000,
    description:
      'Deliveries to one agent that fail in a row (crash, out of fuel or memory, wall-clock timeout) before its circuit breaker opens and new sends to it are refused fast (decision 1921).',
  },
  breakerCoolDownMs: {
    unit: 'ms',
    default: 10_000,
    ceiling: 3_600_000,
    description:
      'How long an open circuit breaker refuses new sends before it lets one probe through (half-open); a probe that fails opens it again for as long (decision 1921).',
  },
  sendsPerTurn: {
    unit: 'count',
    default: 64,
    ceiling: 100_000,
    description:
      "Messages of one agent's outbox the bus starts sending in one turn of its event loop; a larger outbox is sent over several turns, behind the other agents' and the operator's work, and the agent gets no new work until all of it is started (decision 2099).",
  },
  // Message text the mailboxes may hold (decision 2195): runtime/src/bus/mailbox-shares.ts reads these.
  mailboxTextUnits: {
    unit: 'code units',
    default: 32 * 1024 * 1024,
    // An agent's quarter must hold the largest message (1 Mi): below, it would be refused for ever.
    min: 4 * 1024 * 1024,
    ceiling: 1024 * 1024 * 1024,
    description:
      "Message text one agent's mailbox may hold, waiting, being handled or being appended (each message's strings, in UTF-16 code units); one agent sender may hold a quarter of it and agents together all but a tenth, the rest kept for the operator and the platform. Past it a send to that agent is refused (`mailbox-full`, or `mailbox-share` for the sender past its quarter), as past the mailbox's count (decision 2195).",
    serve: 'mailbox-text',
  },
  nodeMailboxTextUnits: {
    unit: 'code units',
    default: 256 * 1024 * 1024,
    // One agent's eighth of the agents' 60 % must hold the largest message (1 Mi).
    min: 16 * 1024 * 1024,
    ceiling: 16 * 1024 * 1024 * 1024,
    description:
      "Message text all the node's mailboxes together may hold, each message counted once however many receivers it has: agents together 60 % of it and one agent an eighth of that, outside clients together 20 %, the platform's own messages 10 % (those waiting for one agent an eighth of that), the operator's lane the rest (at least a tenth). Past a part, that class's sends are refused `node-mailboxes-full` until receivers handle what they hold: the node's memory for waiting messages is bounded by this, not by the number of agents (decision 2195).",
    serve: 'node-mailbox-text',
  },
  // Fuel-fair sharing of a shard (decisions 2136, 2140): runtime/src/bus/shard-fairness.ts reads these.
  fairQuantumFuel: {
    unit: 'fuel',
    default: 10_000_000,
    ceiling: AGENT_LIMIT_TABLE.fuelPerMessage.ceiling,
    description:
      "Fuel per delivery past which a run makes its agent a debtor of its shard: while its share of the shard's fuel over the window is above 1 / the agents with work, it is skipped whenever another agent can run, and it runs one delivery at a time (decision 2136). Ordinary handlings use thousands to a few million; at the ceiling no run is ever past it.",
    serve: 'fair-quantum-fuel',
  },
  fairWindowMs: {
    unit: 'ms',
    default: 1_000,
    ceiling: 60_000,
    description:
      "One bucket of the sliding window (the current bucket and the previous one, weighed) over which the shard's fuel, each debtor's fuel and the agents with work are counted; a debtor that spends nothing for a whole bucket is forgiven (decision 2136).",
    serve: 'fair-window',
  },
  fairIdleMs: {
    unit: 'ms',
    default: 50,
    ceiling: 10_000,
    description:
      "How long the shard stays idle, only skipped debtors ready, before one runs anyway; and how long the other agents must have run nothing for a debtor to run at once (decision 2136). Not zero: a debtor run in the instant between other agents' batches holds the shard for its whole handling.",
    serve: 'fair-idle',
  },
} as const satisfies Record<string, LimitDefinition>;

export type TrafficLimitName = keyof typeof TRAFFIC_LIMIT_TABLE;
export type TrafficLimits = LimitsOf<typeof TRAFFIC_LIMIT_TABLE>;

/** Node-wide traffic limits: the defaults, overridden by `given`, each a whole number in 1..its ceiling. */
export const { defaults: DEFAULT_TRAFFIC_LIMITS, resolve: resolveTrafficLimits } = defineLimitTable(TRAFFIC_LIMIT_TABLE, {
  what: 'traffic limit',
  field: 'traffic',
});

/** The traffic limits an operator sets per node with `caxton serve --<flag>` (rows with `serve`), in table order. */
export type ServeTrafficLimitName = {
  [K in TrafficLimitName]: (typeof TRAFFIC_LIMIT_TABLE)[K] extends { serve: string } ? K : never;
}[TrafficLimitName];

export const SERVE_TRAFFIC_LIMITS = Object.freeze(
  (Object.keys(TRAFFIC_LIMIT_TABLE) as TrafficLimitName[]).filter((n) => 'serve' in TRAFFIC_LIMIT_TABLE[n]) as ServeTrafficLimitName[],
);
