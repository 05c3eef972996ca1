/**
 * Per-agent limits: the one table (decision 1720). Every limit an agent runs under is defined here
 * once — name, unit, default, ceiling, description — and validated once, by `checkLimits`, into a
 * typed value. The sandbox's defaults, the node's defaults and maxima, the API's parser, the CLI's
 * flags and the limits table of docs/sandbox.md are all derived from this table.
 *
 * Fuel is in the units of sandbox/src/fuel/cost-model.ts (≈ one wasm operation); memory in 64 KiB
 * wasm pages per memory of the agent; text sizes in UTF-16 code units.
 */
import { utf8ByteLength } from '../acl/lexical.js';
import { CaxtonError } from '../errors.js';

/** How a limit's value reads and is typed (the CLI picks its parser by it). */
export type LimitUnit = 'fuel' | 'pages' | 'ms' | 'count' | 'code units' | 'bytes' | 'per second' | 'code units per second';

/** How an operator sets a limit for one deployment (absent: only the node's embedder can). */
export interface LimitDeployment {
  /** `caxton deploy --<flag>`. */
  flag: string;
  /** The ArtifactHeader / AgentLimits field in caxton.proto (snake_case). */
  wire: string;
}

/**
 * A flag that takes a row's value in a larger unit than the row's own (`--prepare-cache-max-mib`: MiB
 * of a row in bytes): the flag's whole number times `per` (above 1) is the row's value. The flag's
 * help, its refusals and the row's hint show the value in `unit`. A scaled flag takes digits only
 * (a k/M/G suffix would be 5,000 MiB for `5k`).
 */
export interface FlagScale {
  readonly unit: string;
  readonly per: number;
}

/**
 * A row of any limit table as the one check (`checkTable`) reads it: values are whole numbers in
 * `min` (absent: 1)..`ceiling`.
 */
export interface LimitRow {
  readonly unit: string;
  /** The value when none is given; absent exactly when `computedDefault` says how the node computes it. */
  readonly default?: number;
  /**
   * A default said in words rather than one number: one the node computes where it starts (`--shards`:
   * from the cores), or what leaving the setting out does (`--audit-retain-segments`: every segment
   * kept). Said in help, hints and docs; the row's range is checked all the same. A row has this or
   * `default`, not both.
   */
  readonly computedDefault?: string;
  /**
   * Where a `default` applies only in some case, the rest said in words after the number
   * (`--partitions`: "12 when the node creates the topic; else the topic's own count"), so help,
   * hints and docs say what leaving it out does.
   */
  readonly defaultWhen?: string;
  readonly min?: number;
  readonly ceiling: number;
  /** What it bounds, and what happens past it. */
  readonly description: string;
  /** `caxton deploy --<flag>` (the agents' table). */
  readonly deploy?: LimitDeployment;
  /** `caxton serve --<flag>`: the node-wide value of a node-wide limit (absent: only the embedder sets it). */
  readonly serve?: string;
  /** `caxton upgrade --<flag>` (the rollout thresholds). */
  readonly flag?: string;
  /** `caxton scale --<flag>` (the replica count). */
  readonly scale?: string;
  /**
   * The setting is always given where it is set (`caxton scale --replicas`: a scale says how many):
   * there is no leaving it out, and `default` is what holds until it is first set (an agent never
   * scaled runs alone). Hints say so rather than "omit it for the default".
   */
  readonly required?: true;
  /** The serve flag's unit where it is not the row's. */
  readonly flagScale?: FlagScale;
  /**
   * The row's flag (serve's or upgrade's) takes digits only, a whole number of the row's unit (no k/M/G suffix, no
   * duration): as the yargs number flags it replaced did (`--edge-target-ms 20`). Without it a row is
   * read by its unit (a duration for ms, a count with a suffix); with a flagScale it always is digits.
   */
  readonly flagDigitsOnly?: true;
}

export interface LimitDefinition extends LimitRow {
  unit: LimitUnit;
  default: number;
  /** The largest value anyone may ask for (values are integers in 1..ceiling). */
  ceiling: number;
}

/** wasm32: 65,536 pages of 64 KiB is the whole 4 GiB address space. */
export const WASM_PAGE_BYTES = 65_536;
export const MAX_MEMORY32_PAGES = 65_536;

const number = (n: number): string => n.toLocaleString('en-US');

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

/**
 * The bounds of topics and subscription filters (decision 1960): node-wide rules on the data, not
 * per-deployment agent limits, so not rows of the table above. A filter is checked against them when it is parsed, so that
 * evaluating it costs at most `maxFilterClauses × maxFilterValues` string comparisons per message.
 */
export const TOPIC_LIMITS = Object.freeze({
  /** Longest topic name, in UTF-16 code units. */
  maxTopicNameLength: 200,
  /** Clauses one filter may have (each one ACL field). */
  maxFilterClauses: 16,
  /** Values one set (`in`) clause may list. */
  maxFilterValues: 64,
  /** Longest value or prefix a clause may compare with, in code units. */
  maxFilterValueLength: 256,
  /**
   * Longest filter in all, in code units: every value and prefix it compares with, summed
   * (decision 1960, review fix). A subscription is a registry record: the clause and value
   * bounds alone let one reach 262,144 code units of values.
   */
  maxFilterTotalLength: 16_384,
  /** Topics one agent may be subscribed to at once. */
  maxSubscriptionsPerAgent: 100,
  /**
   * Longest filter an agent may pass as JSON text to `caxton:agent/topics` `subscribe`, in code
   * units (decision 1961): checked before the text is read or parsed. Every filter within
   * `maxFilterTotalLength` and the clause and value bounds fits when its values are written
   * plainly (16,384 code units of values plus the JSON around 16 × 64 of them); one that escapes
   * every character as `\uXXXX` may not.
   */
  maxFilterTextLength: 32_768,
  /**
   * Patterns one deployment's topic allow-list may hold (`caxton deploy --topics`, decision 2050).
   * Each is at most `maxTopicNameLength` code units, so checking a topic against a list is at most
   * 32 prefix comparisons of 200 code units.
   */
  maxTopicPatterns: 32,
});

/**
 * How a delivered message's receiver list reaches the agent (decision 2001). A message with at
 * most `inlineReceivers` receivers is delivered as sent. Above that, each delivery carries only the
 * receiving agent's own id in `receivers` and the whole count in the user parameter
 * `RECEIVER_COUNT_PARAM`; the agent pages the full list through `caxton:agent/message-info`
 * `receivers(offset, limit)`, at most `maxReceiversPage` ids per call. So a message to N receivers
 * costs O(N) per message, not O(N) per delivery.
 */
export const MESSAGE_INFO_LIMITS = Object.freeze({
  /** Receivers a delivery still carries in full (16: a typical contract net stays as it was). */
  inlineReceivers: 16,
  /** Most receiver ids one `receivers` call returns. */
  maxReceiversPage: 256,
  /**
   * Messages with more than `inlineReceivers` receivers a shard worker keeps between batches, so the
   * bus sends such a message's receiver list to a shard once, not once per batch (decision 2003).
   * A closed loop of a few wide messages in flight per sender stays far inside it. The count alone
   * does not bound memory (a message may be up to `maxMessageBytes`): `keptWideMessageCodeUnits`
   * does.
   */
  keptWideMessages: 64,
  /**
   * Code units (the message's strings, plus one per encoded slot) the kept wide messages of one shard
   * may sum to on the bus side; the worker holds at most twice this during a batch (decision 2003).
   * 4 Mi units is ≤ 8 MiB per side at two bytes a unit: 64 typical wide messages (1,000 names of
   * ~40 units + content, ~64k units each) fit; a message over an eighth of it (512k units) is sent
   * inline, never kept.
   */
  keptWideMessageCodeUnits: 4 * 1024 * 1024,
  /** Multi-receiver messages one Kafka delivery consumer keeps decoded, by message id (decision 2003). */
  decodedBodies: 64,
  /**
   * Body bytes those kept messages may sum to per consumer (each also keeps its decoded message, of
   * about the same size again); a body over an eighth of it (512 KiB) is decoded per record, not kept.
   */
  decodedBodyBytes: 4 * 1024 * 1024,
});

/** The user parameter a narrowed delivery carries with its message's receiver count (decimal). */
export const RECEIVER_COUNT_PARAM = 'X-caxton-receivers';

/**
 * The thresholds of a blue-green or canary rollout (decision 1871): what the operator may set per
 * upgrade (`caxton upgrade --strategy …`), their defaults and bounds, and the rollout's own bounds.
 * Rates are whole percents of the new version's handlings (0 = any one rolls it back).
 */
export const ROLLOUT_LIMIT_TABLE = {
  maxCrashRatePercent: {
    unit: 'percent',
    default: 1,
    min: 0,
    ceiling: 100,
    description:
      'Crashes (trap, out of fuel or memory, wall-clock) of the new version above this share of its handlings roll the rollout back.',
    flag: 'max-crash-rate',
    wire: 'max_crash_rate_percent',
  },
  maxFailureRatePercent: {
    unit: 'percent',
    default: 5,
    min: 0,
    ceiling: 100,
    description:
      'Handlings of the new version that end in a `failure` reply (its handler returned an error) above this share roll it back.',
    flag: 'max-failure-rate',
    wire: 'max_failure_rate_percent',
  },
  maxP99Ms: {
    unit: 'ms',
    default: 1_000,
    min: 1,
    ceiling: 600_000,
    description: "The 99th percentile of the new version's handle time above this rolls it back.",
    // Whole ms in digits, as the flag always took them (its name says the unit; `250ms` never parsed).
    flag: 'max-p99-ms',
    wire: 'max_p99_ms',
    flagDigitsOnly: true,
  },
  bakeMs: {
    unit: 'ms',
    default: 300_000,
    min: 1,
    ceiling: 604_800_000,
    description: 'How long the new version runs beside the old one, within the thresholds, before it is promoted.',
    flag: 'bake',
    wire: 'bake_ms',
  },
} as const satisfies Record<string, LimitRow & { default: number; min: number; flag: string; wire: string }>;

export type RolloutThresholdName = keyof typeof ROLLOUT_LIMIT_TABLE;
export type RolloutThresholds = LimitsOf<typeof ROLLOUT_LIMIT_TABLE>;

/** A rollout's thresholds: the defaults, overridden by `given`, each a whole number in its bounds. */
export const { defaults: DEFAULT_ROLLOUT_THRESHOLDS, resolve: resolveRolloutThresholds } = defineLimitTable(ROLLOUT_LIMIT_TABLE, {
  what: 'rollout threshold',
  field: 'rollout',
});

/** A rollout's fixed bounds: not per upgrade. */
export const ROLLOUT_BOUNDS = Object.freeze({
  /** Handlings of the new version before a rate or the p99 is judged (fewer: judged only when the bake ends). */
  minSamples: 5,
  /** Handle times kept for the p99 (the most recent). */
  latencySamples: 1_000,
  /** Conversations whose version is remembered; past it the oldest is forgotten (decision 1871). */
  maxPinnedConversations: 100_000,
  /**
   * How far back (records) a starting node looks in its trail for rollouts with no end (decision
   * 1871). Counted in records, not time: a busy node fills it faster than a long bake; a start
   * older than it is not found, and the node says so in its log.
   */
  unendedScanRecords: 100_000,
  /** Records per read of that scan (as the trail's other readers page). */
  unendedScanPage: 256,
});

/**
 * The bounds of an operator's A2A Agent Card (`caxton deploy --a2a-card`, decision 1951): node-wide
 * rules on the data, checked when the card is parsed at the API boundary (and by the CLI before it
 * uploads), before it is stored with the deployment and served to every A2A client.
 */
export const A2A_CARD_LIMITS = Object.freeze({
  /** The card's JSON text, in UTF-8 bytes. */
  maxCardBytes: 16 * 1024,
  /** Skills one card may list. */
  maxSkills: 32,
  /** Entries in one list (tags, examples, input or output modes). */
  maxListEntries: 16,
  /** A name, id, version, mode, tag or URL, in UTF-16 code units. */
  maxShortText: 256,
  /** A description or an example, in UTF-16 code units. */
  maxLongText: 2_000,
});

/**
 * The A2A tasks a node keeps for `tasks/get` and `tasks/list` (decision 2040): in memory and in a
 * file in the node's data directory, so a task's final state outlives a restart. Node-wide; a
 * bound reached forgets the oldest *ended* task first, never one still waiting for its agent.
 */
export const A2A_TASK_LIMITS = Object.freeze({
  /** Tasks kept, over all agents and tokens. */
  maxTasks: 10_000,
  /** An ended task is forgotten this long after its last change. */
  ttlMs: 24 * 3_600_000,
  /** The kept tasks' JSON, summed (what the file holds and memory keeps): a task may carry an agent's whole answer. */
  maxBytes: 64 * 1024 * 1024,
  /** One owner's (agent and token) share of `maxTasks`: one token cannot evict every other token's tasks. */
  maxTasksPerOwner: 1_000,
  /** One owner's share of `maxBytes`. */
  maxBytesPerOwner: 8 * 1024 * 1024,
});

/**
 * The bounds of agent kinds (decision 1980): node-wide, not per-deployment agent limits. V8 reserves
 * ~10 GiB of address space per WebAssembly memory, and one process stopped at ~12,900 instances
 * (issue 30), so the node holds at most `maxActiveInstances` instances in memory, split evenly over
 * its shards; an activation past its shard's share is refused (`bus.activation-limit`, retried).
 */
export const KIND_LIMITS = Object.freeze({
  /** Instances in memory at once on one node, over all kinds and shards; also the ceiling of a kind's own cap (`--max-active`). */
  maxActiveInstances: 12_000,
  /** An instance idle this long is passivated, unless its kind says otherwise (`--idle`); see decision 1980 for the measurement. */
  defaultIdleMs: 30_000,
  /** What a sender refused `bus.activation-limit` is told to wait. */
  activationRetryAfterMs: 1_000,
  /**
   * Passivated instances with a pending timer the node remembers the next due time of: past it,
   * wakes are re-read from the registry when due, never lost. Measured ~350 bytes per entry with
   * 40-character names (map entry, heap entry, name), more for longer names, plus up to twice the
   * live entries in stale heap entries: the default costs up to ~350 MB–1 GB at its bound.
   */
  maxTimerWakes: 1_000_000,
  /** Due wakes one firing activates at most (the rest stay in the index, tried at the next drop or after `wakeRetryMs`). */
  maxWakesPerFiring: 256,
  /** How long due wakes that found no slot wait before they are tried again (a drop tries them sooner). */
  wakeRetryMs: 250,
  /** The shortest time between two rebuilds of a spilled wake index from the registry. */
  minWakeRefillIntervalMs: 1_000,
  /** A shard's slots kept free of timer wakes: this fraction of the shard's bound stays for mail (a wake burst cannot take every slot). */
  wakeHeadroom: 0.125,
  /** Pending timers one kind instance may have (a named agent may have 1,000): their records outlive the instance in the registry. */
  maxTimersPerInstance: 16,
  /**
   * How long a fired instance timer's registry delete waits for the log to show its commit counted
   * (decision 2060): the reader follows the partition, so normally milliseconds. Past it the timer is
   * left in the registry (its done marker makes whoever arms it next forget it): bytes, never a loss.
   */
  countedWithinMs: 10_000,
  /**
   * A cluster (decision 2060): the share of a partition's handed-out deliveries
   * (`maxPendingPerPartition`) that may wait on its owner for instances to be activated. Past it,
   * mail for one more instance that finds no slot is dead-lettered `bus.activation-limit` with a
   * failure to its sender (who retries, as on one node), so activation waits never fill the
   * partition's window and pause every agent and key on it.
   */
  activationWaitShare: 0.25,
  /** The ceiling of that cap in deliveries, whatever `maxPendingPerPartition` is configured to. */
  maxActivationWaitsPerPartition: 1_024,
  /**
   * The share of that cap one instance's waiting mail may hold (at least 1 delivery): the first key
   * to wait cannot take the whole cap and starve every later key on the partition.
   */
  activationWaitKeyShare: 0.125,
  /** A partition assigned to a node: its passivated instances' timers are read from the registry in pages of this many keys. */
  timerPageSize: 500,
  /**
   * The registry keys one walk of the instance timer TABLE may read (counted in pages of
   * `timerPageSize`). etcd counts the rest of the range at every page, so a walk of the table costs
   * O(n²) in its size (decision 2060): past this bound a node logs what it did not walk, and those
   * timers fire when mail reaches their instance or at the next assignment of their partition.
   * The walk of an assignment reads the per-partition wake index instead once it is complete
   * (decision 2060, *Wake index*), with no bound: this one applies to the table walk alone (the
   * index not swept yet, a spilled index's rebuild).
   */
  maxTimerKeysPerWalk: 100_000,
});

/**
 * What a kind asks for itself (decision 1980): `caxton deploy --kind K --idle / --max-active`, the
 * ArtifactHeader's `kind` (`idle_ms`, `max_active`), checked by the one check where a kind is deployed
 * (decision 2153; the two were checked by hand in the CLI and the node). The idle period's floor keeps
 * the passivation sweep from churning an instance between two messages; its ceiling, a day, is past
 * any idleness worth keeping memory for. A kind's cap is at most the node's own bound of instances.
 */
export const KIND_LIMIT_TABLE = {
  idleMs: {
    unit: 'ms',
    default: KIND_LIMITS.defaultIdleMs,
    min: 100,
    ceiling: 86_400_000,
    description: 'An instance of the kind idle this long is passivated: its state kept, its next message activates it again.',
    deploy: { flag: 'idle', wire: 'kind.idle_ms' },
  },
  maxActive: {
    unit: 'instances',
    computedDefault: `none: only the node's bound of ${KIND_LIMITS.maxActiveInstances.toLocaleString('en-US')} instances`,
    ceiling: KIND_LIMITS.maxActiveInstances,
    description: 'At most this many instances of the kind in memory at once; past it the least recently used idle one is passivated early.',
    deploy: { flag: 'max-active', wire: 'kind.max_active' },
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { deploy: LimitDeployment }>;

export type KindLimitName = keyof typeof KIND_LIMIT_TABLE;

/**
 * How much recorded traffic an upgrade may replay before it replaces the running version (issue 57,
 * `caxton upgrade --replay N|<duration>`): the node reads its log and runs the new version on it
 * before it answers, so both are bounded.
 */
export const REPLAY_GATE_LIMIT_TABLE = {
  handlings: {
    unit: 'handlings',
    computedDefault: 'none: no replay (or a window of time instead)',
    ceiling: 1_000_000,
    description: "An upgrade with --replay N first replays the agent's last N recorded handlings on the new version.",
  },
  sinceMs: {
    unit: 'ms',
    computedDefault: 'none: no replay (or a number of handlings instead)',
    min: 1000,
    ceiling: 30 * 86_400_000,
    description: 'An upgrade with --replay <duration> first replays the handlings recorded in that window on the new version.',
  },
} as const satisfies Record<string, LimitRow>;

export const { check: checkReplayGateTable } = defineLimitTable(REPLAY_GATE_LIMIT_TABLE, {
  what: 'replay setting',
  field: 'header.replay',
});

/** A kind's settings given, each a whole number in its row (`field` `header`: named by their wire fields, `header.kind.idle_ms`). */
export const { check: checkKindTable } = defineLimitTable(KIND_LIMIT_TABLE, { what: 'kind setting', field: 'header' });

/**
 * Deliveries of one partition that may wait for activations (decision 2060): a quarter of the
 * partition's window, at least 1, at most `maxActivationWaitsPerPartition`.
 */
export function activationWaitCap(maxPendingPerPartition: number): number {
  const share = Math.floor(maxPendingPerPartition * KIND_LIMITS.activationWaitShare);
  return Math.min(KIND_LIMITS.maxActivationWaitsPerPartition, Math.max(1, share));
}

/** Deliveries one instance may have waiting for its activation, of a partition's `cap` (decision 2060): an eighth, at least 1. */
export function activationWaitsPerKey(cap: number): number {
  return Math.max(1, Math.floor(cap * KIND_LIMITS.activationWaitKeyShare));
}

/**
 * The bounds of replicas behind one name (`caxton scale`, decision 2010): node-wide, not a
 * per-deployment limit. Each replica is a whole sandbox instance (its own linear memory and ~10 GiB
 * of reserved address space, decision 1980), and replicas only add throughput up to the shard count.
 */
export const REPLICA_LIMITS = Object.freeze({
  /** Replicas one agent may run as on one node (1 = the agent alone). */
  maxReplicas: 16,
  /**
   * Presence entries (`store/units/X#r<k>/<node>`, decision 2097) read for one agent's view. At
   * most maxReplicas - 1 units, each active on one node, two during a hand-off: ~30 entries. 1024
   * is far above that and still one bounded etcd read, so a flood of junk keys under the prefix
   * cannot make an operator's `caxton agents` unbounded; past it the view shows units passive.
   */
  unitPresenceRead: 1024,
  /**
   * Replica instances beyond the agents' own (replicas 2..N of every scaled agent, draining ones
   * included) one node runs at once: each has its own memory budget and its own send and
   * directory rate buckets, so this caps what scaling can add to the node (a principal with
   * `agents.scale` on one agent name could otherwise take 15 instances' worth). The one ceiling:
   * not configurable, since every instance reserves address space the node cannot give back.
   */
  maxReplicaInstances: 32,
  /**
   * Conversations whose replica is remembered per agent; past it the least recently used is
   * forgotten. Each is kept as a 16-byte digest (not its id), so this bounds bytes too (~1 MB).
   */
  maxPinnedConversations: 10_000,
  /**
   * State records a scale through a node the agent does not run on may read from the agent's
   * partition to tell whether it keeps state (decision 2091): that node holds no view of the
   * partition, and the whole of it must be read (a later tombstone can undo any key). Counted as the
   * partition's offset span (high − low watermark), known before reading: compaction does not lower
   * it, so on a long-lived busy partition such a scale is refused for good there. Past it the scale is
   * refused before reading (`bus.kafka.state-read-bound`), the owner (which holds the state) to be
   * asked instead.
   */
  maxStateRecordsReadElsewhere: 100_000,
});

/**
 * The replica settings as rows (decision 2154): `caxton scale --replicas` (the API's ScaleRequest
 * `replicas`) and an embedder's cap on replica instances (`maxReplicaInstances`), checked by the one
 * check at the API and node boundaries (they were REPLICA_LIMITS' own two checks, `api.invalid`).
 * Their ceilings stay REPLICA_LIMITS' numbers, defined once there.
 */
export const REPLICA_LIMIT_TABLE = {
  replicas: {
    unit: 'instances',
    default: 1,
    defaultWhen: 'until the agent is first scaled',
    min: 1,
    ceiling: REPLICA_LIMITS.maxReplicas,
    description: 'Instances of the agent behind its one name (1: the agent alone); a conversation stays on one replica.',
    scale: 'replicas',
    flagDigitsOnly: true,
    required: true,
  },
  maxReplicaInstances: {
    unit: 'instances',
    computedDefault: `the ceiling, ${REPLICA_LIMITS.maxReplicaInstances}`,
    ceiling: REPLICA_LIMITS.maxReplicaInstances,
    description:
      "Replica instances beyond the agents' own one node runs at once (replicas 2..N of every scaled agent, draining ones included); a scale past it is refused.",
  },
} as const satisfies Record<string, LimitRow>;

export type ReplicaLimitName = keyof typeof REPLICA_LIMIT_TABLE;

/** Replica settings given, each a whole number in its row (`field`: where they came from, `scale`, `node`, `flags`). */
export const { check: checkReplicaTable } = defineLimitTable(REPLICA_LIMIT_TABLE, { what: 'replica setting', field: 'scale' });

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

/** A table's defaults, by row name. A function declaration: hoisted above the tables that call it. */
function tableDefaults<T extends Record<string, LimitRow & { default: number }>>(table: T): Readonly<{ [K in keyof T]: number }> {
  return Object.freeze(Object.fromEntries(Object.entries(table).map(([k, d]) => [k, d.default])) as { [K in keyof T]: number });
}

/** A table's values, by row name. */
export type LimitsOf<T> = { -readonly [K in keyof T]: number };

/** The rows of a table that have a default (a row whose default the node computes has none). */
type DefaultedRow<T> = { [K in keyof T]: T[K] extends { default: number } ? K : never }[keyof T];

/** What `defineLimitTable` makes of a table: its defaults, its check and its resolver, written once for every table. */
export interface DefinedLimitTable<T extends Record<string, LimitRow>> {
  /** The rows' defaults. */
  readonly defaults: Readonly<{ [K in DefaultedRow<T>]: number }>;
  /** Values given for some rows, each a whole number in its row; a typed error naming `<field>.<row>` otherwise. */
  check(given?: Partial<Record<keyof T, unknown>>, field?: string): Partial<LimitsOf<T>>;
  /** The defaults, overridden by the values given (checked). */
  resolve(given?: Partial<Record<keyof T, unknown>>, field?: string): { [K in DefaultedRow<T>]: number } & Partial<LimitsOf<T>>;
}

/**
 * A table's defaults, check and resolver, from its rows: `what` names a row in errors ("no such
 * traffic limit"), `field` is where values come from when the caller does not say (`traffic`,
 * `header`…). A function declaration: hoisted above the tables that call it.
 */
function defineLimitTable<T extends Record<string, LimitRow>>(table: T, o: { what: string; field: string }): DefinedLimitTable<T> {
  const defaults = Object.freeze(
    Object.fromEntries(Object.entries(table).flatMap(([k, row]) => (row.default === undefined ? [] : [[k, row.default]]))),
  ) as { [K in DefaultedRow<T>]: number };
  const check = (given: Partial<Record<keyof T, unknown>> = {}, field = o.field): Partial<LimitsOf<T>> =>
    checkTable(table, given, { field, what: o.what }) as Partial<LimitsOf<T>>;
  return Object.freeze({
    defaults,
    check,
    resolve: (given: Partial<Record<keyof T, unknown>> = {}, field = o.field) => ({ ...defaults, ...check(given, field) }),
  });
}

/** A row's default in words: `say` of its number (and when it applies, `defaultWhen`), or how the node computes it (`computedDefault`). */
export const defaultText = (row: LimitRow, say: (value: number) => string): string =>
  row.default === undefined
    ? (row.computedDefault ?? 'none')
    : `${say(row.default)}${row.defaultWhen === undefined ? '' : ` ${row.defaultWhen}`}`;

/** The least value a row takes: its `min`, else 1. */
export const rowFloor = (row: LimitRow): number => row.min ?? 1;

/** A value of a row in its flag's unit (MiB of a row in bytes); the row's own unit when it has no flagScale. */
export const inFlagUnit = (row: LimitRow, value: number): number => value / (row.flagScale?.per ?? 1);

/** A whole number given in a row's flag unit, in the row's unit: `inFlagUnit`'s inverse. */
export const fromFlagUnit = (row: LimitRow, flagValue: number): number => flagValue * (row.flagScale?.per ?? 1);

/**
 * A row said in its flag's unit (MiB of a row in bytes): for an embedder option given in that unit
 * (`startNode({ prepare: { maxHeapMb } })`), so its refusal says the range it was given in, and a
 * fraction of that unit is refused as one. The row itself when it has no flagScale.
 */
export function rowInFlagUnit(row: LimitRow): LimitRow {
  if (row.flagScale === undefined) return row;
  const inUnit: LimitRow = {
    ...row,
    unit: row.flagScale.unit,
    min: inFlagUnit(row, rowFloor(row)),
    ceiling: inFlagUnit(row, row.ceiling),
    flagScale: undefined,
  };
  return row.default === undefined ? inUnit : { ...inUnit, default: inFlagUnit(row, row.default) };
}

/** The unit a row's flag takes: its flagScale's, else the row's own. */
export const flagUnit = (row: LimitRow): string => row.flagScale?.unit ?? row.unit;

/** Whether a row's flag takes digits only (a flagScale, or `flagDigitsOnly`). */
export const flagTakesDigitsOnly = (row: LimitRow): boolean => row.flagScale !== undefined || row.flagDigitsOnly === true;

/** How an operator sets a row, for hints: the CLI flag (and the wire field of a deploy flag), or '' when only the embedder can. */
function howSet(row: LimitRow): string {
  if (row.deploy) return ` (\`caxton deploy --${row.deploy.flag}\`, ${row.deploy.wire})`;
  if (row.serve !== undefined) return ` (caxton serve --${row.serve}${flagUnit(row) === row.unit ? '' : `, in ${flagUnit(row)}`})`;
  if (row.flag !== undefined) return ` (caxton upgrade --${row.flag})`;
  if (row.scale !== undefined) return ` (caxton scale --${row.scale})`;
  return '';
}

/**
 * A limit of any table (agents', traffic, prepare cache, rollout, artifact, edge, node, cluster) asked
 * for outside its row's min..ceiling, or not a whole number. `min` and `ceiling` are the bounds that
 * applied (a node's maximum may lower a ceiling), in the row's unit; the message says that range and
 * the hint how the limit is set, its range and default, numbers grouped in both
 * ("1,048,576..1,073,741,824"), and what it bounds.
 */
export class LimitOutOfRangeError extends CaxtonError {
  readonly min: number;
  readonly ceiling: number;
  constructor(
    readonly limit: string,
    readonly value: unknown,
    readonly field: string,
    row: LimitRow,
    ceiling: number = row.ceiling,
  ) {
    const min = rowFloor(row);
    // A row whose flag takes another unit says its range and default in that unit too: the operator
    // reads them as the flag's. A flag in the row's own unit needs no second rendering.
    const inFlag = (...values: number[]): string =>
      flagUnit(row) === row.unit ? '' : ` (${values.map((v) => number(inFlagUnit(row, v))).join('..')} ${flagUnit(row)})`;
    super(
      'limits.out-of-range',
      `${field}: ${describeValue(value)} is not a valid ${limit}; it must be a whole number in ${number(min)}..${number(ceiling)} (${row.unit})`,
      {
        kind: 'invalid-argument',
        context: { field, limit, value: typeof value === 'number' ? value : String(value).slice(0, 40), min, ceiling, unit: row.unit },
        hint: `${limit}${howSet(row)} accepts ${number(min)}..${number(ceiling)} ${row.unit}${inFlag(min, ceiling)}; ${row.required ? `it is always given (${defaultText(row, number)})` : `omit it for the default, ${defaultText(row, (d) => `${number(d)} ${row.unit}${inFlag(d)}`)}`}. ${row.description}`,
      },
    );
    this.min = min;
    this.ceiling = ceiling;
  }
}

/** A number, or something that is not one, said briefly (values may come from anyone). */
function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(String(value).slice(0, 40));
}

/**
 * The one check of every limit table: each given value must be a safe integer in its row's
 * min..ceiling (`ceilings` may lower a ceiling, e.g. a node's own maxima, never raise it), refused
 * with LimitOutOfRangeError. Unknown names are refused too (`limits.unknown`): a misspelt limit
 * silently ignored is a limit not applied. `field` names where the values came from (`header` names
 * a deploy row by its proto field: `header.fuel_per_message`; else `<field>.<name>`); `what` is
 * what one row is called in the unknown-name error ("traffic limit").
 */
export function checkTable<R extends Record<string, LimitRow>, T extends Partial<Record<keyof R, unknown>>>(
  table: R,
  given: T,
  opts: { field: string; what: string; ceilings?: Partial<Record<keyof R, number>> },
): { [K in keyof T]: number } {
  const out: Partial<Record<keyof R, number>> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(table, key)) {
      throw new CaxtonError('limits.unknown', `${opts.field}.${key}: no such ${opts.what}`, {
        kind: 'invalid-argument',
        context: { field: `${opts.field}.${key}`, limit: key },
        hint: `the ${opts.what}s are: ${Object.keys(table).join(', ')}`,
      });
    }
    const row: LimitRow = table[key]!;
    const ceiling = Math.min(row.ceiling, opts.ceilings?.[key as keyof R] ?? row.ceiling);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < rowFloor(row) || value > ceiling) {
      throw new LimitOutOfRangeError(key, value, rowField(key, row, opts.field), row, ceiling);
    }
    out[key as keyof R] = value;
  }
  return out as { [K in keyof T]: number };
}

/** Where a row is named in an error: a deploy row's proto field under `header`, else `<prefix>.<name>`. */
function rowField(name: string, row: LimitRow, prefix: string): string {
  return prefix === 'header' && row.deploy ? `header.${row.deploy.wire}` : `${prefix}.${name}`;
}

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

/** A flag in MiB of a row in bytes. */
const MIB: FlagScale = { unit: 'MiB', per: 1024 ** 2 };

/**
 * The node's prepare cache (decision 2141): its size bound, past which the least recently used
 * prepared components are evicted. A node-wide storage limit, not a per-agent one; the same shape
 * as the tables above so `caxton serve` and the docs take it from here. The floor keeps one
 * componentize-py entry (~45 MB with its instrumented modules) and then some.
 */
export const PREPARE_CACHE_LIMIT_TABLE = {
  maxBytes: {
    unit: 'bytes',
    default: 4 * 1024 ** 3,
    min: 64 * 1024 ** 2,
    ceiling: 1024 ** 4,
    description:
      'Bytes the prepare cache directory may hold (prepared components and instrumented core modules); past it, after each write, the least recently used are removed (decision 2141). Nodes sharing the directory each keep it to their own bound.',
    serve: 'prepare-cache-max-mib',
    flagScale: MIB,
  },
} as const satisfies Record<string, LimitDefinition & { min: number; serve: string; flagScale: FlagScale }>;

export type PrepareCacheLimitName = keyof typeof PREPARE_CACHE_LIMIT_TABLE;
export type PrepareCacheLimits = LimitsOf<typeof PREPARE_CACHE_LIMIT_TABLE>;

/** The prepare cache's limits: the defaults, overridden by `given`, each a whole number in its row's min..ceiling. */
export const { defaults: DEFAULT_PREPARE_CACHE_LIMITS, resolve: resolvePrepareCacheLimits } = defineLimitTable(PREPARE_CACHE_LIMIT_TABLE, {
  what: 'prepare cache limit',
  field: 'prepareCache',
});

/**
 * What a node accepts and spends to take in one component (decision 2147): the largest upload and
 * the preparation's time and memory. Node-wide, set with `caxton serve` (the embedder:
 * `startNode({ maxArtifactBytes, prepare })`); sizes in bytes, given in MiB, the time in ms, given
 * in seconds. Defaults and ceilings are the ones serve checked by hand before; the heap's floor
 * too; the upload's and the timeout's floors (they took any fraction above 0) are now the least a
 * whole number of the flag's unit says.
 */
export const ARTIFACT_LIMIT_TABLE = {
  maxArtifactBytes: {
    unit: 'bytes',
    default: 64 * 1024 ** 2,
    min: 1024 ** 2,
    ceiling: 1024 ** 3,
    description:
      'Largest component deploy and upgrade accept; an upload is held in memory while it arrives (up to 4 at once), so keep it sane (the default fits every example).',
    serve: 'max-artifact-mib',
    flagScale: MIB,
  },
  prepareDeadlineMs: {
    unit: 'ms',
    default: 120_000,
    min: 1_000,
    ceiling: 3_600_000,
    description: 'Longest a component may take to be checked and prepared; past it the preparation is stopped and the deploy refused.',
    serve: 'prepare-timeout-s',
    flagScale: { unit: 'seconds', per: 1_000 },
  },
  prepareHeapBytes: {
    unit: 'bytes',
    default: 1024 ** 3,
    min: 64 * 1024 ** 2,
    ceiling: 16 * 1024 ** 3,
    description:
      "Memory (the preparing worker's heap) the preparation of one component may use; past it the deploy is refused as too complex.",
    serve: 'prepare-heap-mib',
    flagScale: MIB,
  },
} as const satisfies Record<string, LimitRow & { min: number; serve: string; flagScale: FlagScale }>;

export type ArtifactLimitName = keyof typeof ARTIFACT_LIMIT_TABLE;
export type ArtifactLimits = LimitsOf<typeof ARTIFACT_LIMIT_TABLE>;

/** What the node accepts and spends on a component: the defaults, overridden by `given`, each a whole number in its row's min..ceiling. */
export const { defaults: DEFAULT_ARTIFACT_LIMITS, resolve: resolveArtifactLimits } = defineLimitTable(ARTIFACT_LIMIT_TABLE, {
  what: 'artifact limit',
  field: 'artifact',
});

/**
 * What `caxton serve` sets of the node's edge admission of outside clients (decisions 1810, 2103;
 * runtime/src/bus/edge-admission.ts holds the rest of its limits and takes these defaults). Each
 * flag takes a whole number of its row's unit in digits (`flagDigitsOnly`), as its yargs number did.
 * The serving floor's ceiling is the floor itself (edge-admission.ts `minLimit`) and, given, the
 * ceiling of the in-flight limit.
 */
export const EDGE_LIMIT_TABLE = {
  maxLimit: {
    unit: 'messages',
    default: 10_000,
    min: 4,
    ceiling: 1_000_000,
    description:
      'Most outside-client messages accepted and not yet handled, node-wide, before SendMessage is refused RESOURCE_EXHAUSTED (the limit adapts below it to the delay target).',
    serve: 'edge-max-in-flight',
    flagDigitsOnly: true,
  },
  targetDelayMs: {
    unit: 'ms',
    default: 20,
    ceiling: 60_000,
    description: "Delay target of outside clients' messages (accepted to handled): past it the edge limit drops.",
    serve: 'edge-target-ms',
    flagDigitsOnly: true,
  },
  servingMinLimit: {
    unit: 'messages',
    default: 1_000,
    ceiling: 1_000,
    description:
      "Lowest the edge limit may fall while the node serves a standing queue of outside messages (decision 2103); at most the floor of 1,000 (the default: off) and at most --edge-max-in-flight; e.g. 128 trades throughput for the accepted requests' latency.",
    serve: 'edge-serving-floor',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { serve: string; flagDigitsOnly: true }>;

export type EdgeLimitName = keyof typeof EDGE_LIMIT_TABLE;
export type EdgeLimits = LimitsOf<typeof EDGE_LIMIT_TABLE>;

export const { defaults: DEFAULT_EDGE_LIMITS } = defineLimitTable(EDGE_LIMIT_TABLE, { what: 'edge limit', field: 'edgeAdmission' });

/** The edge limits serve sets: the defaults, overridden by `given`, each in its row; the serving floor at most the in-flight limit given. */
export function resolveEdgeLimits(given: Partial<Record<EdgeLimitName, unknown>> = {}, field = 'edgeAdmission'): EdgeLimits {
  const maxLimit = typeof given.maxLimit === 'number' ? given.maxLimit : undefined;
  return {
    ...DEFAULT_EDGE_LIMITS,
    ...checkTable(EDGE_LIMIT_TABLE, given, {
      field,
      what: 'edge limit',
      ...(maxLimit === undefined ? {} : { ceilings: { servingMinLimit: maxLimit } }),
    }),
  };
}

/**
 * How a node runs its agents (decision 2149): `caxton serve --shards`, `startNode({ shards })`. The
 * default is computed where the node starts (runtime's `defaultShards`: the cores), so the row says
 * it in words; its range is checked as any row's. 256 is the ceiling serve checked by hand before:
 * every shard is a worker thread with its own engine, far past the cores of any machine it runs on.
 */
/** The most shards a node runs (the row's ceiling; the computed default is capped at it too). */
const MAX_SHARDS = 256;

export const NODE_LIMIT_TABLE = {
  shards: {
    unit: 'shards',
    computedDefault: `computed from the cores (1 on up to 2, else cores − 1, at most ${MAX_SHARDS})`,
    ceiling: MAX_SHARDS,
    description: 'Worker threads running agents; a stuck agent resets only its own shard.',
    serve: 'shards',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { serve: string; flagDigitsOnly: true }>;

export type NodeLimitName = keyof typeof NODE_LIMIT_TABLE;
export type NodeLimits = LimitsOf<typeof NODE_LIMIT_TABLE>;

/** The node's own limits given: each a whole number in its row (no defaults here: the shards' is computed by the node). */
export const { check: checkNodeTable } = defineLimitTable(NODE_LIMIT_TABLE, { what: 'node limit', field: 'node' });

/**
 * A cluster member's membership lease, the deliveries topic's partitions (decision 2149) and its Kafka
 * session: `caxton serve --lease-ttl / --partitions / --kafka-session-timeout`,
 * `startNode({ cluster: { leaseTtlSeconds, partitions, sessionTimeoutMs } })`.
 * Ceilings (not measured; what the node can keep to, with room): a lease of a day — a dead node's
 * agents unowned for longer serve no failover, and its keep-alive timer (a third of it) stays far
 * inside a timer's 24.8 days; 4,096 partitions — Kafka's guidance is a few thousand per broker, the
 * node that owns them all keeps a window of deliveries for each, and the count caps the useful
 * number of nodes far beyond any cluster this runs. The partitions' default is the count a new
 * topic is created with; a topic that exists keeps its own when the flag is not given. The session's
 * ceiling is the broker's default group.max.session.timeout.ms; the flagless durations' ten minutes
 * is past any hand-off or start-up anyone waits for (judgements, like the lease's).
 */
export const CLUSTER_LIMIT_TABLE = {
  leaseTtlSeconds: {
    unit: 'seconds',
    default: 5,
    ceiling: 86_400,
    description: "Cluster membership lease: how long a dead node's agents wait for a new owner (etcd leases are whole seconds).",
    serve: 'lease-ttl',
    flagDigitsOnly: true,
  },
  partitions: {
    unit: 'partitions',
    default: 12,
    defaultWhen: "when the node creates the topic; else the topic's own count",
    ceiling: 4_096,
    description:
      'Partitions of the deliveries topic when the node creates it (a topic that exists keeps its count; a flag that differs from it is refused at start); all nodes must agree.',
    serve: 'partitions',
    flagDigitsOnly: true,
  },
  sessionTimeoutMs: {
    unit: 'ms',
    default: 6_000,
    min: 1_000,
    ceiling: 1_800_000,
    description:
      "Kafka consumer session: a dead node's partitions move after this. It must also lie within the broker's group.min/max.session.timeout.ms (6,000..1,800,000 by default): the ceiling is the broker's default maximum.",
    serve: 'kafka-session-timeout',
    flagDigitsOnly: true,
  },
  // Rows without a flag (drainTimeoutMs, completionWithinMs, maxPendingPerPartition): an embedder sets them (`startNode({ cluster })`), checked by the same check.
  drainTimeoutMs: {
    unit: 'ms',
    default: 5_000,
    min: 0,
    ceiling: 600_000,
    description: "How long a hand-off lets an agent's in-flight work finish before it moves; the agent takes nothing new meanwhile.",
  },
  kafkaOpenTimeoutMs: {
    unit: 'ms',
    default: 10_000,
    min: 500,
    ceiling: 600_000,
    description:
      "How long start-up waits for Kafka (the broker's answer, the topics' leaders, the first consumer-group assignment) before it fails, typed.",
    serve: 'kafka-open-timeout',
    flagDigitsOnly: true,
  },
  completionWithinMs: {
    unit: 'ms',
    default: 1_000,
    min: 0,
    ceiling: 600_000,
    description: 'Margin a completion must be recorded within before the membership lease runs out; keep it well below the lease.',
  },
  maxPendingPerPartition: {
    unit: 'count',
    default: 256,
    min: 2,
    ceiling: 65_536,
    description:
      "Deliveries the consumer hands out per partition before it pauses that partition; half of it is what absent agents' queues hold per partition (decision 1990).",
  },
} as const satisfies Record<string, LimitRow & { default: number; serve?: string; flagDigitsOnly?: true }>;

export type ClusterLimitName = keyof typeof CLUSTER_LIMIT_TABLE;
export type ClusterLimits = LimitsOf<typeof CLUSTER_LIMIT_TABLE>;

/** The cluster limits given: each a whole number in its row (the defaults are applied where they differ by meaning: an unset partition count accepts the topic's). */
export const { defaults: DEFAULT_CLUSTER_LIMITS, check: checkClusterTable } = defineLimitTable(CLUSTER_LIMIT_TABLE, {
  what: 'cluster limit',
  field: 'cluster',
});

/**
 * What an options object holds for `table`'s rows, each still to be checked: an options object that
 * carries other settings too (a cluster's name, its request shape), narrowed to the rows, so every
 * caller checks the same list and a new row is checked by all of them.
 */
export function tableRowsOf<R extends Record<string, LimitRow>>(table: R, options: object): Partial<Record<keyof R, unknown>> {
  const rows: Partial<Record<keyof R, unknown>> = {};
  for (const name of Object.keys(table) as (keyof R)[]) rows[name] = (options as Partial<Record<keyof R, unknown>>)[name];
  return rows;
}

/**
 * The embedded audit trail's segments (decision 1790): `caxton serve --audit-segment-bytes /
 * --audit-retain-segments`, `startNode({ auditSegments })`, `FileAuditTrail.open`. A segment is the
 * unit read whole when a trail opens or a verifier reads from it, so its size bounds a node's
 * start-up memory (ceiling), and a tiny one would rotate on every batch, a file and a directory sync
 * each (floor). Retention keeps at least one segment besides the one being written, so pruning never
 * deletes the records of the last anchor; left out, every segment is kept.
 */
export const AUDIT_SEGMENT_LIMIT_TABLE = {
  segmentBytes: {
    unit: 'bytes',
    default: 4 * 1024 * 1024,
    min: 64 * 1024,
    ceiling: 1024 * 1024 * 1024,
    description: 'Start a new segment of the embedded audit trail once the current one holds this many bytes.',
    serve: 'audit-segment-bytes',
    flagDigitsOnly: true,
  },
  retainSegments: {
    unit: 'closed segments',
    computedDefault: 'none, every closed segment kept',
    ceiling: 1_000_000,
    description:
      'Keep this many closed audit segments and delete older ones, recorded in the signed anchor (verification then tells pruning from deletion).',
    serve: 'audit-retain-segments',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { serve: string; flagDigitsOnly: true }>;

export type AuditSegmentLimitName = keyof typeof AUDIT_SEGMENT_LIMIT_TABLE;

/** The segment settings given, each a whole number in its row (nothing filled in: the trail defaults the size). */
export const { check: checkAuditSegmentTable } = defineLimitTable(AUDIT_SEGMENT_LIMIT_TABLE, {
  what: 'audit segment setting',
  field: 'auditSegments',
});

/**
 * The Kafka client's request shape (decision 2100 measured it): how long an idle producer or commit
 * queue waits so more share a request, and the deliveries consumer's fetch. `caxton serve
 * --kafka-linger-ms / --kafka-fetch-min-bytes / --kafka-fetch-max-wait-ms`, `startNode({ cluster:
 * { kafkaRequests } })`, `new KafkaMessageLog({ lingerMs, … })`: one row each, checked by the one check.
 */
export const KAFKA_REQUEST_LIMIT_TABLE = {
  lingerMs: {
    unit: 'ms',
    default: 0,
    min: 0,
    ceiling: 100,
    description:
      'Wait before an idle producer or commit queue sends, so that more appends share one request; adds up to that much to every hop.',
    serve: 'kafka-linger-ms',
    flagDigitsOnly: true,
  },
  fetchMinBytes: {
    unit: 'bytes',
    default: 1,
    ceiling: 16 * 1024 * 1024,
    description: "Bytes the broker gathers before answering a fetch of deliveries (or the fetch's longest wait passes).",
    serve: 'kafka-fetch-min-bytes',
    flagDigitsOnly: true,
  },
  fetchMaxWaitMs: {
    unit: 'ms',
    default: 1_000,
    min: 0,
    ceiling: 30_000,
    description:
      'Longest the broker holds a fetch of deliveries waiting for its minimum bytes; with 1 byte, only how long a resumed partition waits.',
    serve: 'kafka-fetch-max-wait-ms',
    flagDigitsOnly: true,
  },
  fetchMaxBytesPerPartition: {
    unit: 'bytes',
    default: 1024 * 1024,
    ceiling: 64 * 1024 * 1024,
    description: 'Largest slice of one partition a fetch returns (a larger record still comes whole).',
  },
} as const satisfies Record<string, LimitRow & { default: number }>;

export type KafkaRequestLimitName = keyof typeof KAFKA_REQUEST_LIMIT_TABLE;
export type KafkaRequestLimits = LimitsOf<typeof KAFKA_REQUEST_LIMIT_TABLE>;

/** The Kafka request shape given: each a whole number in its row (the values not given are left out, for the log's defaults). */
export const { defaults: DEFAULT_KAFKA_REQUEST_LIMITS, check: checkKafkaRequestTable } = defineLimitTable(KAFKA_REQUEST_LIMIT_TABLE, {
  what: 'Kafka request setting',
  field: 'kafkaRequests',
});

/**
 * The owner's sweep of a Kafka state partition (decision 1800): when it retires old owner claims,
 * and how much and how often it writes. Set by an embedder (`KafkaMessageLogOptions.stateSweep`).
 */
export const STATE_SWEEP_LIMIT_TABLE = {
  maxClaims: {
    unit: 'claims',
    default: 64,
    ceiling: 1_000_000,
    description:
      'Owner claims a state partition keeps (one per takeover, read by every load) before its owner re-writes what older claims tagged and retires them.',
  },
  batch: {
    unit: 'records',
    default: 500,
    min: 2,
    ceiling: 10_000,
    description:
      'Records one sweep run of a partition writes at most (tombstones and their header, re-writes, retired claims); the rest waits for the next run.',
  },
  intervalMs: {
    unit: 'ms',
    default: 5_000,
    min: 10,
    ceiling: 3_600_000,
    description: 'Least time between two sweep runs of one partition (and from its load to the first).',
  },
} as const satisfies Record<string, LimitRow & { default: number }>;

export type StateSweepLimitName = keyof typeof STATE_SWEEP_LIMIT_TABLE;
export type StateSweepLimits = LimitsOf<typeof STATE_SWEEP_LIMIT_TABLE>;

/** The sweep settings given, checked by the one check, the rest the rows' defaults. */
export const { resolve: resolveStateSweepLimits } = defineLimitTable(STATE_SWEEP_LIMIT_TABLE, {
  what: 'state sweep setting',
  field: 'stateSweep',
});

/**
 * The largest one state commit may be (UTF-8 bytes of its records, keys and framing included): the
 * Kafka state topic's `max.message.bytes` is this value (one commit is one record batch; topics.ts),
 * and a writer whose commit size is not bounded by the state limits checks against it before
 * committing — the MTP outbox (review of mtpoutbox, 8). Twice DEFAULT_STATE_LIMITS.maxTotalBytes
 * (4 MiB), so a handling can rewrite all of its state with room for keys and record overhead.
 */
export const STATE_COMMIT_MAX_BYTES = 8 * 1024 * 1024;
/** What one state record costs beyond its state key and value (the agent's name in its record key, a version byte, Kafka's record framing), counted generously. */
export const STATE_RECORD_OVERHEAD_BYTES = 128;
/** How often a state load re-checks that the reader passed its claim (only when it joined an earlier hold), or `counted` its commit. */
export const STATE_CLAIM_READ_POLL_MS = 20;

/** The bytes a commit of `writes` for `agent` takes against STATE_COMMIT_MAX_BYTES. */
export function stateCommitBytes(agent: string, writes: readonly { key: string; value: string | null }[]): number {
  let n = 0;
  const agentBytes = utf8ByteLength(agent);
  for (const w of writes)
    n += agentBytes + utf8ByteLength(w.key) + (w.value === null ? 0 : utf8ByteLength(w.value)) + STATE_RECORD_OVERHEAD_BYTES;
  return n;
}

/**
 * What a JSON body read from a client (the console's HTTP API and WebSocket, A2A, MCP) may hold,
 * checked by a cheap scan of the text before `JSON.parse` builds anything (`jsonShapeRefusal`):
 * within the byte limits, a 1 MiB body of `[[[[…` or `[0,0,0,…]` is half a million nested arrays
 * or numbers, each an object the parser allocates (and, nested, a recursion) before the ingress
 * can look at it. No request of these APIs comes near either bound: an ACL message's content is
 * one string, an A2A or MCP call a few dozen fields (decision 1910, "JSON shape before parsing").
 */
export const JSON_BODY_LIMITS = Object.freeze({
  /** Arrays and objects open at once. */
  maxDepth: 64,
  /** Values and object keys in the whole text (each string, number, literal, array and object counts one). */
  maxValues: 100_000,
});

/** How long a client may go without sending a byte of a request body (A2A, MCP) before it is dropped. */
export const BODY_IDLE_MS = 20_000;

/** How many times an etcd compare-and-swap is tried when another writer got in between, before the write is refused. */
export const REGISTRY_CAS_ATTEMPTS = Object.freeze({
  /** A DF entry's update (etcd-registry.ts). */
  dfEntry: 5,
  /** An agent record's field update (the replica count, etcd-registry.ts `updateAgent`). */
  agentRecord: 5,
  /** A timer and its wake, written or deleted in one transaction (registry/etcd/timers.ts). */
  timerAndWake: 8,
  /** The cluster's replica mode recorded at a node's start (registry/etcd/replica-mode.ts, decision 2097). */
  replicaMode: 5,
  /**
   * A partition's shared count of absent queues (registry/etcd/absent-counts.ts, decision 2157): a
   * node's sends to the partition's absent agents go in one transaction, but other nodes' sends and
   * the holder's publication may get in between.
   */
  absentCount: 8,
});

/** How the MTP sender retries a post (decision 1910). */
export interface MtpRetry {
  /** Attempts in all (the first included). */
  attempts: number;
  /** Wait before the second attempt; each later wait is four times the one before. */
  firstDelayMs: number;
  /**
   * After those attempts, a post whose last outcome was worth another (connection refused,
   * timeout, 429, 5xx) keeps its outbox record and slot and is tried again on a timer this many
   * more times, the first `firstDelayMs` after, each later wait twice the one before — a peer down
   * for minutes still gets the message with no new activity of the sender. Only after the last is
   * the sender's `failure` sent. Absent: no later attempts.
   */
  later?: { attempts: number; firstDelayMs: number; maxDelayMs?: number };
}

/** The MTP outbox's retry schedule: 4 quick attempts (0.25, 1, 4 s apart), then 6 on a timer 30 s, 1, 2, 4, 8, 10 min apart: ~25 min before the sender's failure. */
export const DEFAULT_MTP_RETRY: MtpRetry = Object.freeze({
  attempts: 4,
  firstDelayMs: 250,
  later: Object.freeze({ attempts: 6, firstDelayMs: 30_000, maxDelayMs: 600_000 }),
});

/**
 * The MTP sender's outbox (decision 1910): posts not yet settled (waiting, on the network, or
 * waiting out a later attempt) node-wide, and to any one peer platform. A peer that never answers
 * keeps each of its posts' slots for the whole retry schedule (~25 min): the per-peer share stops
 * one dead or hostile peer from taking every slot, so sends to the other peers still go
 * (review of outboxfix4, 3); past it a send to that peer is refused `mtp.peer-backlogged`.
 */
export const MTP_OUTBOX_LIMITS = Object.freeze({
  maxPostsInFlight: 256,
  maxPostsPerPeer: 64,
});
