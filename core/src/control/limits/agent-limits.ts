/**
 * Per-agent limits: the one table (decision 1720). Every limit an agent runs under is defined here
 * once — name, unit, default, ceiling, description — and validated once, by `checkLimits`, into a
 * typed value. The sandbox's defaults, the node's defaults and maxima, the API's parser, the CLI's
 * flags and the limits table of docs/sandbox.md are all derived from this table.
 *
 * Fuel is in the units of sandbox/src/fuel/cost-model.ts (≈ one wasm operation); memory in 64 KiB
 * wasm pages per memory of the agent; text sizes in UTF-16 code units.
 */
import { checkTable, type LimitDefinition, type LimitDeployment, number, rowField, tableDefaults } from './limit-table.js';

/** wasm32: 65,536 pages of 64 KiB is the whole 4 GiB address space. */
export const WASM_PAGE_BYTES = 65_536;
export const MAX_MEMORY32_PAGES = 65_536;

/**
 * The table. Ceilings are what the node can honour at all, not what is wise: 10^11 fuel is minutes
 * of CPU for one message; the per-second ceilings are above anything one node delivers.
 * `sendsPerSecond` defaults to 10,000: see decision 1720 for why that number; the first send of each
 * handled message does not count against it (decision 2173).
 */
export const AGENT_LIMIT_TABLE = {
  fuelPerMessage: {
    unit: 'fuel',
    default: 20_000_000,
    ceiling: 100_000_000_000,
    description: 'Fuel for one handle() or on-timer() call, host calls included; past it the call ends out-of-fuel.',
    deploy: { flag: 'fuel', wire: 'fuel_per_message' },
  },
  fuelPerInit: {
    unit: 'fuel',
    default: 200_000_000,
    ceiling: 1_000_000_000_000,
    description: 'Fuel for instantiating the agent and running its init().',
  },
  memoryPages: {
    unit: 'pages',
    default: 256,
    ceiling: MAX_MEMORY32_PAGES,
    description:
      "One budget, in 64 KiB pages, for all the agent's memories together (256 = 16 MiB; 65,536 = 4 GiB); growth past it fails inside the guest.",
    deploy: { flag: 'memory', wire: 'memory_pages' },
  },
  wallClockMs: {
    unit: 'ms',
    default: 2_000,
    ceiling: 600_000,
    description: 'Wall-clock backstop for one delivery (the shard watchdog resets a shard stuck past it).',
  },
  maxOutbox: {
    unit: 'count',
    default: 1_000,
    ceiling: 100_000,
    description: 'Messages one call may send; beyond, send returns `outbox full`.',
    deploy: { flag: 'max-sends-per-call', wire: 'max_sends_per_call' },
  },
  sendsPerSecond: {
    unit: 'per second',
    default: 10_000,
    ceiling: 1_000_000,
    description:
      "Sustained sends per second (token bucket, burst of one second's worth) past the first of each handled message to one named receiver, which is free; beyond, send returns `quota exceeded`.",
    deploy: { flag: 'max-sends-per-s', wire: 'max_sends_per_s' },
  },
  sendBytesPerSecond: {
    unit: 'code units per second',
    default: 32 * 1024 * 1024,
    ceiling: 1024 * 1024 * 1024,
    description: 'Sustained message text sent per second (token bucket).',
  },
  maxMessageBytes: {
    unit: 'code units',
    default: 1 << 20,
    ceiling: 1 << 20,
    description: 'Largest message one send may carry (sum of its strings); the bus refuses larger ones anyway.',
  },
  maxTimers: {
    unit: 'count',
    default: 100,
    ceiling: 10_000,
    description: 'Timers one call may set; one more ends the call as `sandbox.quota-exceeded`.',
  },
  minTimerDelayMs: {
    unit: 'ms',
    default: 10,
    ceiling: 86_400_000,
    description: 'Shortest timer delay; shorter requests are raised to it (a 0 ms timer storm cannot spin the node).',
  },
  maxLogLines: {
    unit: 'count',
    default: 200,
    ceiling: 100_000,
    description: 'Log lines (log, stdout, stderr) one call may keep; beyond: dropped and counted.',
  },
  maxLogLineLength: {
    unit: 'code units',
    default: 4_096,
    ceiling: 1 << 20,
    description: 'Longest log line kept; beyond: truncated.',
  },
  maxLogBytes: {
    unit: 'code units',
    default: 256 * 1024,
    ceiling: 64 * 1024 * 1024,
    description: 'Log text one call may keep; beyond: dropped and counted.',
  },
  maxOutputBytes: {
    unit: 'bytes',
    default: 256 * 1024,
    ceiling: 64 * 1024 * 1024,
    description:
      "Bytes one call may write to stdout and stderr together; the rest of a write past it is not read from the agent's memory: dropped, counted (decision 2114) and charged 3 fuel a byte (decision 2129).",
  },
  maxDirectoryOps: {
    unit: 'count',
    default: 100,
    ceiling: 10_000,
    description: 'Directory registrations/deregistrations and topic subscribe/unsubscribe calls one call may make.',
  },
  directoryChangesPerSecond: {
    unit: 'per second',
    default: 100,
    ceiling: 10_000,
    description: 'Sustained directory and topic changes per second (token bucket).',
  },
  directoryBytesPerSecond: {
    unit: 'code units per second',
    default: 64 * 1024,
    ceiling: 64 * 1024 * 1024,
    description:
      'Sustained text of directory and topic changes per second (service descriptions, topic names and filters; token bucket): what one agent may write to the registry.',
  },
  maxServiceBytes: {
    unit: 'code units',
    default: 64 * 1024,
    ceiling: 1 << 20,
    description: 'Longest service description register-service accepts (sum of its strings).',
  },
  absentQueue: {
    unit: 'count',
    default: 1_000,
    ceiling: 10_000,
    description:
      "Messages kept for the agent while it is absent (stopped with `--keep-queue`, or suspended); one more is refused `bus.absent-queue-full`. Kept by the bus, not the sandbox; the node's mailbox capacity bounds it too (decision 1990).",
    deploy: { flag: 'absent-queue', wire: 'absent_queue' },
  },
  absentTtlMs: {
    unit: 'ms',
    default: 86_400_000,
    ceiling: 2_592_000_000,
    description:
      'How long a message waits for an absent agent (from its acceptance) before it is dead-lettered with reason `absent-ttl` (decision 1990).',
    deploy: { flag: 'absent-ttl', wire: 'absent_ttl_ms' },
  },
} as const satisfies Record<string, LimitDefinition>;

export type LimitName = keyof typeof AGENT_LIMIT_TABLE;

/** Every per-agent limit, resolved. */
export type AgentLimits = { [K in LimitName]: number };

export const LIMIT_NAMES = Object.freeze(Object.keys(AGENT_LIMIT_TABLE) as LimitName[]);

/** The limits an operator may set per deployment, in table order. */
export type DeployableLimitName = {
  [K in LimitName]: (typeof AGENT_LIMIT_TABLE)[K] extends { deploy: LimitDeployment } ? K : never;
}[LimitName];

export const DEPLOYABLE_LIMITS = Object.freeze(LIMIT_NAMES.filter((n) => 'deploy' in AGENT_LIMIT_TABLE[n]) as DeployableLimitName[]);

export const limitDefinition = (name: LimitName): LimitDefinition => AGENT_LIMIT_TABLE[name];

export const DEFAULT_AGENT_LIMITS: Readonly<AgentLimits> = tableDefaults(AGENT_LIMIT_TABLE);

/**
 * The limits a deployment carries: fuel and memory always (every record has them), the send quotas
 * when it was deployed with them (records written before they existed lack them: the sandbox
 * default applies).
 */
export type AgentLimitsSpec = Pick<AgentLimits, 'fuelPerMessage' | 'memoryPages'> & Partial<Pick<AgentLimits, DeployableLimitName>>;

/** The agents' limits, checked by the one check (`field`: `header`, `limits`, `flags`…; default `limits`). */
export function checkLimits<T extends Partial<Record<LimitName, unknown>>>(
  given: T,
  opts: { field?: 'header' | 'limits' | string; ceilings?: Partial<AgentLimits> } = {},
): { [K in keyof T]: number } {
  return checkTable(AGENT_LIMIT_TABLE, given, {
    field: opts.field ?? 'limits',
    what: 'limit',
    ...(opts.ceilings ? { ceilings: opts.ceilings } : {}),
  });
}

/** Where a limit is named in an error: the proto field under `header`, else `<prefix>.<name>`. */
export function limitField(name: LimitName, prefix = 'limits'): string {
  return rowField(name, AGENT_LIMIT_TABLE[name], prefix);
}

/** Every limit: the defaults, overridden by `given` (checked). */
export function resolveAgentLimits(given: Partial<AgentLimits> = {}, field?: string): AgentLimits {
  return { ...DEFAULT_AGENT_LIMITS, ...checkLimits(given, field === undefined ? {} : { field }) };
}

/**
 * The limits table of docs/sandbox.md, generated (a test keeps the doc equal to it): one row per
 * limit, in table order.
 */
export function renderLimitsTable(): string {
  const rows = LIMIT_NAMES.map((n) => {
    const d: LimitDefinition = AGENT_LIMIT_TABLE[n];
    const set = d.deploy ? `\`--${d.deploy.flag}\` / \`${d.deploy.wire}\`` : 'embedder only';
    return `| \`${n}\` | ${d.unit} | ${number(d.default)} | ${number(d.ceiling)} | ${set} | ${d.description} |`;
  });
  return [
    '| Limit | Unit | Default | Ceiling | Set per deployment | What it bounds |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
