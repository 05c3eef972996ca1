/**
 * The CLI's flags of core's limit tables (decisions 1720, 2140, 2141, 2147, 2149, 2153): the deploy/upgrade
 * flags of the agents' table and serve's node defaults of it, upgrade's rollout thresholds, and serve's
 * flags of the traffic, prepare cache, artifact, edge, node, cluster, Kafka request and audit segment tables, and deploy's of the kind table. Each flag's help, parsing and range come from its row; its value
 * is checked by the table's one check before anything is built or sent.
 */
import type { Argv } from 'yargs';
import {
  AGENT_LIMIT_TABLE,
  ARTIFACT_LIMIT_TABLE,
  AUDIT_SEGMENT_LIMIT_TABLE,
  REPLAY_HISTORY_LIMIT_TABLE,
  resolveReplayHistory,
  type ReplayHistoryLimits,
  checkAuditSegmentTable,
  checkClusterTable,
  checkKafkaRequestTable,
  checkKindTable,
  checkLimits,
  checkNodeTable,
  checkReplicaTable,
  CLUSTER_LIMIT_TABLE,
  defaultText,
  DEPLOYABLE_LIMITS,
  EDGE_LIMIT_TABLE,
  flagTakesDigitsOnly,
  flagUnit,
  fromFlagUnit,
  inFlagUnit,
  KAFKA_REQUEST_LIMIT_TABLE,
  KIND_LIMIT_TABLE,
  LimitOutOfRangeError,
  NODE_LIMIT_TABLE,
  PREPARE_CACHE_LIMIT_TABLE,
  REPLICA_LIMIT_TABLE,
  resolveArtifactLimits,
  resolveEdgeLimits,
  resolvePrepareCacheLimits,
  resolveRolloutThresholds,
  resolveTrafficLimits,
  ROLLOUT_LIMIT_TABLE,
  rowFloor,
  TRAFFIC_LIMIT_TABLE,
  type AgentLimitsSpec,
  type ArtifactLimits,
  type AuditSegmentLimitName,
  type ClusterLimits,
  type EdgeLimits,
  type DeployableLimitName,
  type KafkaRequestLimits,
  type KindLimitName,
  type LimitRow,
  type NodeLimits,
  type PrepareCacheLimits,
  type RolloutThresholds,
  type TrafficLimits,
} from '@caxton/core';
import { UsageError } from './cli-error.js';
import { parseCount, parseDuration, parseMemory } from './parse.js';
import { formatDuration } from './format/units.js';

/** The flags' raw text, by flag name (yargs also sets the camelCase twins, not read here). */
export type LimitFlagArgs = { [flag: string]: unknown };

const number = (n: number): string => n.toLocaleString('en-US');

/** What a row's value looks like in the table's unit, for help and hints ("1,000 ms", "10,000,000 fuel"). */
const withUnit = (n: number, unit: string): string =>
  unit === 'ms' ? `${number(n)} ms` : unit === 'percent' ? `${number(n)}%` : number(n);

/**
 * `ms` as the duration a flag takes (`7d`, `10m`) when that says it exactly, else undefined:
 * formatDuration keeps the two largest units, so `1d 1h 1m` would be said as `1d1h`, a lower value.
 */
export function exactDuration(ms: number): string | undefined {
  const text = formatDuration(ms).replace(/ /g, '');
  return parseDuration(text) === ms ? text : undefined;
}

/** A row whose flag takes a duration (`10s`), not digits. */
const isDurationFlag = (row: LimitRow): boolean => row.unit === 'ms' && !flagTakesDigitsOnly(row);

/** A duration as the flag takes it where that says it exactly, else in ms. */
const sayDuration = (ms: number): string => exactDuration(ms) ?? `${number(ms)} ms`;

/** A duration row's examples, its default and its ceiling as a flag takes them (`50ms`, `10s`): values the flag accepts. */
function durationExamples(row: LimitRow): [string, string] {
  // formatDuration keeps the two largest units ("5m 3s", rounded down): without the space it parses, and stays within the ceiling.
  const text = (ms: number): string => formatDuration(ms).replace(/ /g, '');
  return [text(row.default ?? rowFloor(row)), text(row.ceiling)];
}

/**
 * A row's "Value: …" help text, one for the deploy flags, the node defaults and the serve flags: the
 * forms the flag takes (pages or a size, a duration, or a count with `countExample`'s suffix), its
 * ceiling and its default in the row's unit; `defaultIs` says whose default it is where that is not
 * the row's own (a deploy flag left out takes the node's).
 */
function valueHelp(row: LimitRow, countExample?: string, defaultIs = (text: string): string => `default ${text}`): string {
  // A required row (`--replicas`) has no default to leave it out for: its help says it is required.
  if (row.required) defaultIs = () => 'required';
  if (flagTakesDigitsOnly(row)) {
    const inFlag = (n: number): string => number(inFlagUnit(row, n));
    return `Value: a whole number of ${flagUnit(row)} (${defaultIs(defaultText(row, inFlag))}, from ${inFlag(rowFloor(row))} to ${inFlag(row.ceiling)})`;
  }
  const forms =
    row.unit === 'pages'
      ? '64 KiB pages (256) or a size (16MiB)'
      : row.unit === 'percent'
        ? 'a whole percent (5 or 5%)'
        : row.unit === 'ms'
          ? `a duration, e.g. ${durationExamples(row).join(', ')}`
          : `${row.unit}, e.g. ${number(row.default ?? rowFloor(row))}${countExample === undefined ? '' : ` or ${countExample}`}`;
  // A duration row's default as the durations the flag takes ("5m", not "300,000 ms"), as its examples.
  const sayDefault = (d: number): string => (row.unit === 'ms' ? formatDuration(d) : withUnit(d, row.unit));
  // A duration row's ceiling as a duration too, where one says it exactly ("at most 7d", not 604,800,000 ms).
  const ceiling = row.unit === 'ms' ? sayDuration(row.ceiling) : withUnit(row.ceiling, row.unit);
  // A duration row whose least is more than a millisecond says it (`--idle`: at least 100ms).
  const least = row.unit === 'ms' && rowFloor(row) > 1 ? `at least ${sayDuration(rowFloor(row))}; ` : '';
  return `Value: ${forms}; ${least}at most ${ceiling}; ${defaultIs(defaultText(row, sayDefault))}`;
}

/**
 * A flag's one text. yargs makes a repeated flag an array: refused, rather than one of the values
 * silently taken or the flag silently ignored. Anything else that is not text (a number a program
 * put in the args: `nodeOptions({ shards: 3 })`) is refused too: read as absent, it would silently
 * be the default.
 */
function flagText(argv: LimitFlagArgs, flag: string): string | undefined {
  const text = argv[flag];
  if (text === undefined || typeof text === 'string') return text;
  if (Array.isArray(text) && text.every((t) => typeof t === 'string'))
    throw new UsageError(`--${flag} is given ${text.length} times`, `give --${flag} once`);
  throw new UsageError(
    `--${flag} is ${describeArg(text)}, not the flag's text`,
    `give --${flag} as the text typed on the command line (e.g. '${flag}': '3'), as yargs passes a string option`,
  );
}

/** A non-text flag value, said briefly for the refusal. */
const describeArg = (value: unknown): string =>
  Array.isArray(value) ? 'a list that is not all text' : `${typeof value} ${String(value).slice(0, 40)}`;

/** Adds `--fuel`, `--memory`, `--max-sends-per-s`, `--max-sends-per-call` (whatever the table marks deployable). */
export function limitFlagOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  let out = y as Argv<T & LimitFlagArgs>;
  for (const name of DEPLOYABLE_LIMITS) {
    const d = AGENT_LIMIT_TABLE[name];
    out = out.option(d.deploy.flag, {
      type: 'string',
      describe: `${d.description} ${valueHelp(d, '5k', (text) => `default: the node default (${text})`)}`,
    }) as Argv<T & LimitFlagArgs>;
  }
  return out;
}

/**
 * A limit's value as a flag gives it: a duration for ms, else a count (digits, or a k/M/G suffix).
 * A text that is not a duration is hinted with the row's own default and ceiling, so the examples
 * are values this flag accepts (a 10 s ceiling must not be hinted with `10m`).
 */
function parseByUnit(row: LimitRow, flag: string, text: string): number {
  if (flagTakesDigitsOnly(row)) return parseDigits(row, flag, text);
  if (row.unit === 'pages') return parseMemory(text);
  if (row.unit === 'percent') return parsePercent(row, flag, text);
  if (row.unit === 'ms') {
    const ms = parseDuration(text);
    if (ms === undefined || !Number.isSafeInteger(ms) || ms < 1) {
      const [low, high] = durationExamples(row);
      throw new UsageError(
        `${flag} "${text}" is not a duration`,
        `e.g. ${flag} ${low} (the default) or ${flag} ${high} (the most it takes)`,
      );
    }
    return ms;
  }
  return parseCount(text, flag);
}

/** The limits the flags set (none given: undefined, i.e. the node's defaults / keep on upgrade). */
export function limitsFromFlags(argv: LimitFlagArgs): Partial<AgentLimitsSpec> | undefined {
  return tableFlags(
    argv,
    DEPLOYABLE_LIMITS.map((name) => rowFlag(name, AGENT_LIMIT_TABLE[name], AGENT_LIMIT_TABLE[name].deploy.flag)),
    (given) => checkLimits(given, { field: 'flags' }),
  );
}

/**
 * `caxton serve --absent-queue / --absent-ttl` (decision 1990): the node's defaults of the absent
 * queue's limits for agents deployed without their own, parsed and checked like the deploy flags.
 */
export const NODE_DEFAULT_LIMIT_FLAGS = ['absentQueue', 'absentTtlMs'] as const satisfies readonly DeployableLimitName[];

export function nodeDefaultLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  let out = y as Argv<T & LimitFlagArgs>;
  for (const name of NODE_DEFAULT_LIMIT_FLAGS) {
    const d = AGENT_LIMIT_TABLE[name];
    out = out.option(d.deploy.flag, {
      type: 'string',
      describe: `Node default for agents deployed without --${d.deploy.flag}: ${d.description} ${valueHelp(d)}`,
    }) as Argv<T & LimitFlagArgs>;
  }
  return out;
}

export function nodeDefaultLimitsFromFlags(argv: LimitFlagArgs): Partial<AgentLimitsSpec> | undefined {
  const only: LimitFlagArgs = {};
  for (const name of NODE_DEFAULT_LIMIT_FLAGS) only[AGENT_LIMIT_TABLE[name].deploy.flag] = argv[AGENT_LIMIT_TABLE[name].deploy.flag];
  return limitsFromFlags(only);
}

/**
 * `caxton serve --fair-quantum-fuel / --fair-window / --fair-idle` (decision 2140): the node-wide
 * traffic limits the table marks `serve`, parsed by unit and checked by the table's one resolver.
 */
export function trafficLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, TRAFFIC_LIMIT_TABLE, '10M');
}

/** The traffic limits the serve flags set (none given: undefined, i.e. the table's defaults). */
export function trafficLimitsFromFlags(argv: LimitFlagArgs): Partial<TrafficLimits> | undefined {
  return commandTableFlags(argv, TRAFFIC_LIMIT_TABLE, resolveTrafficLimits);
}

/**
 * `caxton serve --prepare-cache-max-mib` (decision 2141): the prepare cache's bound, in MiB (its
 * row's flagScale), its row (in bytes) core's PREPARE_CACHE_LIMIT_TABLE.maxBytes.
 */
export function prepareCacheLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, PREPARE_CACHE_LIMIT_TABLE);
}

/** The prepare cache's limits the serve flags set, in bytes (none given: undefined, i.e. the table's defaults). */
export function prepareCacheLimitsFromFlags(argv: LimitFlagArgs): Partial<PrepareCacheLimits> | undefined {
  return commandTableFlags(argv, PREPARE_CACHE_LIMIT_TABLE, resolvePrepareCacheLimits);
}

/**
 * `caxton serve --max-artifact-mib / --prepare-timeout-s / --prepare-heap-mib` (decision 2147): what
 * the node accepts and spends on one component, core's ARTIFACT_LIMIT_TABLE, each in whole units of
 * its row's flagScale.
 */
export function artifactLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, ARTIFACT_LIMIT_TABLE);
}

/** The artifact limits the serve flags set, in the rows' units (none given: undefined, i.e. the node's defaults). */
export function artifactLimitsFromFlags(argv: LimitFlagArgs): Partial<ArtifactLimits> | undefined {
  return commandTableFlags(argv, ARTIFACT_LIMIT_TABLE, resolveArtifactLimits);
}

/**
 * `caxton serve --edge-max-in-flight / --edge-target-ms / --edge-serving-floor` (decisions 1810,
 * 2103, 2147): core's EDGE_LIMIT_TABLE, whole numbers in digits, the serving floor at most the
 * in-flight limit given (resolveEdgeLimits lowers its ceiling, and the refusal says the lowered one).
 */
export function edgeLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, EDGE_LIMIT_TABLE);
}

/** The edge limits the serve flags set (none given: undefined, i.e. the node's defaults). */
export function edgeLimitsFromFlags(argv: LimitFlagArgs): Partial<EdgeLimits> | undefined {
  return commandTableFlags(argv, EDGE_LIMIT_TABLE, resolveEdgeLimits);
}

/** `caxton serve --shards` (decision 2149): core's NODE_LIMIT_TABLE, a whole number; its default computed by the node. */
export function nodeLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, NODE_LIMIT_TABLE);
}

/** The node limits the serve flags set (none given: undefined, i.e. the node computes its shards). */
export function nodeLimitsFromFlags(argv: LimitFlagArgs): Partial<NodeLimits> | undefined {
  return commandTableFlags(argv, NODE_LIMIT_TABLE, checkNodeTable);
}

/** `caxton serve --lease-ttl / --partitions / --kafka-session-timeout / --kafka-open-timeout` (decisions 2149, 2153): core's CLUSTER_LIMIT_TABLE (its rows with a flag), whole numbers (cluster mode only: serve-run.ts says so). */
export function clusterLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, CLUSTER_LIMIT_TABLE);
}

/** The cluster limits the serve flags set (none given: undefined, i.e. the node's defaults). */
export function clusterLimitsFromFlags(argv: LimitFlagArgs): Partial<ClusterLimits> | undefined {
  return commandTableFlags(argv, CLUSTER_LIMIT_TABLE, checkClusterTable);
}

/**
 * `caxton deploy --kind K --idle / --max-active` (decisions 1980, 2153): core's KIND_LIMIT_TABLE, each
 * meaningful only with --kind (deploy.ts says so): the idle period a duration, the cap digits only.
 */
export function kindLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  let out = y as Argv<T & LimitFlagArgs>;
  for (const row of Object.values(KIND_LIMIT_TABLE) as LimitRow[]) {
    const what = row.description.charAt(0).toLowerCase() + row.description.slice(1);
    out = out.option(row.deploy!.flag, { type: 'string', describe: `With --kind: ${what} ${valueHelp(row)}` }) as Argv<T & LimitFlagArgs>;
  }
  return out;
}

/** The kind settings the deploy flags set (none given: undefined, i.e. the node's default idle period and no cap of its own). */
export function kindLimitsFromFlags(argv: LimitFlagArgs): Partial<Record<KindLimitName, number>> | undefined {
  const names = Object.keys(KIND_LIMIT_TABLE) as KindLimitName[];
  return tableFlags(
    argv,
    names.map((name) => rowFlag(name, KIND_LIMIT_TABLE[name], KIND_LIMIT_TABLE[name].deploy.flag)),
    (given) => checkKindTable(given, 'flags'),
  );
}

/**
 * `caxton serve --replay-history-seconds / --replay-history-bytes` (decision 2179): core's
 * REPLAY_HISTORY_LIMIT_TABLE, the history the embedded log keeps for `caxton replay`.
 */
export function replayHistoryLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, REPLAY_HISTORY_LIMIT_TABLE);
}

/** The history settings the serve flags set (none given: undefined, i.e. none kept). */
export function replayHistoryFromFlags(argv: LimitFlagArgs): Partial<ReplayHistoryLimits> | undefined {
  return commandTableFlags(argv, REPLAY_HISTORY_LIMIT_TABLE, resolveReplayHistory);
}

/**
 * `caxton serve --audit-segment-bytes / --audit-retain-segments` (decisions 1790, 2153): core's
 * AUDIT_SEGMENT_LIMIT_TABLE, whole numbers in digits (as the yargs numbers they replaced took them).
 */
export function auditSegmentLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, AUDIT_SEGMENT_LIMIT_TABLE);
}

/** The audit segment settings the serve flags set (none given: undefined, i.e. the trail's defaults). */
export function auditSegmentLimitsFromFlags(argv: LimitFlagArgs): Partial<Record<AuditSegmentLimitName, number>> | undefined {
  return commandTableFlags(argv, AUDIT_SEGMENT_LIMIT_TABLE, checkAuditSegmentTable);
}

/**
 * `caxton serve --kafka-linger-ms / --kafka-fetch-min-bytes / --kafka-fetch-max-wait-ms` (decisions 2100,
 * 2153): core's KAFKA_REQUEST_LIMIT_TABLE, whole numbers in digits (cluster mode only: serve-run.ts says so).
 */
export function kafkaRequestLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return serveRowOptions(y, KAFKA_REQUEST_LIMIT_TABLE);
}

/** The Kafka request shape the serve flags set (none given: undefined, i.e. the log's defaults). */
export function kafkaRequestLimitsFromFlags(argv: LimitFlagArgs): Partial<KafkaRequestLimits> | undefined {
  return commandTableFlags(argv, KAFKA_REQUEST_LIMIT_TABLE, checkKafkaRequestTable);
}

/**
 * `caxton scale --replicas` (decision 2154): core's REPLICA_LIMIT_TABLE row with `scale`, digits only,
 * required (a scale says how many); its help says what 1 means rather than a default.
 */
export function replicaLimitOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return rowOptions(y, REPLICA_LIMIT_TABLE, 'scale');
}

/** The replica count the scale flag sets, checked by the row (the flag is required: yargs refuses it missing). */
export function replicasFromFlags(argv: LimitFlagArgs): number {
  const given = commandTableFlags(argv, REPLICA_LIMIT_TABLE, checkReplicaTable, 'scale');
  if (given?.replicas === undefined) throw new UsageError('--replicas is required', 'e.g. --replicas 3; --replicas 1 is the agent alone');
  return given.replicas;
}

/**
 * `caxton upgrade --max-crash-rate / --max-failure-rate / --max-p99-ms / --bake` (decisions 1871,
 * 2149): core's ROLLOUT_LIMIT_TABLE rows (those with `flag`), each meaningful only with --strategy
 * (rollout-flags.ts says so), read and checked like the serve and deploy flags.
 */
export function rolloutThresholdOptions<T>(y: Argv<T>): Argv<T & LimitFlagArgs> {
  return rowOptions(y, ROLLOUT_LIMIT_TABLE, 'flag', 'With --strategy: ');
}

/** The rollout thresholds the flags set (none given: undefined, i.e. the table's defaults). */
export function rolloutThresholdsFromFlags(argv: LimitFlagArgs): Partial<RolloutThresholds> | undefined {
  return commandTableFlags(argv, ROLLOUT_LIMIT_TABLE, resolveRolloutThresholds, 'flag');
}

/** The upgrade flags of the rollout rows, by name (`max-crash-rate`…), in table order. */
export const ROLLOUT_THRESHOLD_FLAGS: readonly string[] = Object.freeze(flagRows(ROLLOUT_LIMIT_TABLE, 'flag').map((r) => r.flag));

/** A table's rows that a command sets (those with `serve`, an upgrade `flag` or a `scale` flag), in table order, with their names and flags. */
function flagRows<N extends string>(
  table: Readonly<Record<N, LimitRow>>,
  how: 'serve' | 'flag' | 'scale' = 'serve',
): { name: N; row: LimitRow; flag: string }[] {
  return (Object.keys(table) as N[]).flatMap((name) => {
    const row = table[name];
    const flag = row[how];
    return flag === undefined ? [] : [{ name, row, flag }];
  });
}

/** A flag per row of `table` that has one, its help the row's description and its "Value: …" (forms, range, default). */
function rowOptions<T>(
  y: Argv<T>,
  table: Readonly<Record<string, LimitRow>>,
  how: 'serve' | 'flag' | 'scale',
  prefix = '',
  countExample?: string,
): Argv<T & LimitFlagArgs> {
  let out = y as Argv<T & LimitFlagArgs>;
  // A required row's flag is demanded (yargs refuses it missing); its help says so (valueHelp).
  for (const { row, flag } of flagRows(table, how))
    out = out.option(flag, {
      type: 'string',
      demandOption: row.required === true,
      describe: `${prefix}${row.description} ${valueHelp(row, countExample)}`,
    }) as Argv<T & LimitFlagArgs>;
  return out;
}

/** A serve flag per row of `table` that has one (rowOptions of `serve`). */
function serveRowOptions<T>(y: Argv<T>, table: Readonly<Record<string, LimitRow>>, countExample?: string): Argv<T & LimitFlagArgs> {
  return rowOptions(y, table, 'serve', '', countExample);
}

/**
 * The one reader of a table's flags of one command (serve's by default, upgrade's `flag`, scale's):
 * each row's flag through tableFlags, the values checked by the table's resolver (`resolve`, named
 * `flags` in its errors).
 */
function commandTableFlags<N extends string>(
  argv: LimitFlagArgs,
  table: Readonly<Record<N, LimitRow>>,
  resolve: (given: Partial<Record<N, number>>, field: string) => unknown,
  how: 'serve' | 'flag' | 'scale' = 'serve',
): Partial<Record<N, number>> | undefined {
  return tableFlags(
    argv,
    flagRows(table, how).map(({ name, row, flag }) => rowFlag(name, row, flag)),
    (given) => resolve(given, 'flags'),
  );
}

/**
 * A flag in whole units of its flag unit (MiB of a row in bytes, or the row's own unit): digits
 * only. No k/M/G suffix (parseCount's decimal multipliers would make `5k` 5,000 MiB), no fraction,
 * no `1e3`, `0x10` or `Infinity` (a yargs number took them); the range, 0 included, is the row's to
 * judge (tableFlags), so this refuses only the form, hinted with the row's default and least in the
 * flag's unit.
 */
function parseDigits(row: LimitRow, flag: string, text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) {
    // A computed default has no one number to show: the least stands alone, with the default in words
    // (the most, 256 worker threads for --shards, is no value to suggest).
    const least = `${flag} ${inFlagUnit(row, rowFloor(row))} (the least it takes)`;
    // A required row (`--replicas`) is never left out; a default that is the least is said once.
    const hint = row.required
      ? `e.g. ${least} or ${flag} ${inFlagUnit(row, row.ceiling)} (the most it takes)`
      : row.default === undefined
        ? `e.g. ${least}; omit it for the default, ${defaultText(row, String)}`
        : row.default === rowFloor(row) && row.defaultWhen === undefined
          ? `e.g. ${flag} ${inFlagUnit(row, row.default)} (the default and the least it takes)`
          : `e.g. ${flag} ${inFlagUnit(row, row.default)} (the default${row.defaultWhen === undefined ? '' : ` ${row.defaultWhen}`}) or ${least}`;
    throw new UsageError(`${flag} "${text}" is not a whole number of ${flagUnit(row)}`, hint);
  }
  return fromFlagUnit(row, Number(text));
}

/** `5` or `5%`: a whole percent; its range (0..100 for the rollout rates) is the row's to judge (tableFlags). */
function parsePercent(row: LimitRow, flag: string, text: string): number {
  const m = /^\s*(\d+)\s*%?\s*$/.exec(text);
  // The default and the least, in the two forms taken: the most (100%: never roll back) is no value to suggest.
  if (!m)
    throw new UsageError(
      `${flag} "${text}" is not a whole percent`,
      `e.g. ${flag} ${defaultText(row, (d) => `${d}%`)} (the default) or ${flag} ${rowFloor(row)} (the least it takes)`,
    );
  return Number(m[1]);
}

/**
 * The range that applied, as the flag takes its values: a duration flag's as durations where they
 * say it exactly (`from 100ms to 1d`, as its help does), anything else in the flag's unit
 * (`1..16 (instances)`, `64..16,384 (MiB)`).
 */
export function flagRange(row: LimitRow, min: number, ceiling: number): string {
  if (isDurationFlag(row)) return `from ${sayDuration(min)} to ${sayDuration(ceiling)}`;
  return `${number(inFlagUnit(row, min))}..${number(inFlagUnit(row, ceiling))} (${flagUnit(row)})`;
}

/**
 * A duration flag's refusal hint in the flag's terms (core's hint, which an embedder reads, says
 * milliseconds): the flag, the range that applied and the default as durations, then what it bounds.
 */
function durationHint(row: LimitRow, flag: string, min: number, ceiling: number): string {
  return `--${flag} takes a duration ${flagRange(row, min, ceiling)}; omit it for the default, ${defaultText(row, formatDuration)}. ${row.description}`;
}

/** A row of a table as its flag reads it: the text parsed to the row's unit (tableFlags checks the range). */
interface TableFlag<N extends string> {
  name: N;
  flag: string;
  row: LimitRow;
  parse: (text: string) => number;
}

/** A row's flag, parsed by the row's unit (pages or a size, a duration, a count), or digits of its flag unit. */
function rowFlag<N extends string>(name: N, row: LimitRow, flag: string): TableFlag<N> {
  return { name, flag, row, parse: (text) => parseByUnit(row, `--${flag}`, text) };
}

/**
 * The one reader of a table's flags (the deploy flags, serve's node defaults, upgrade's rollout thresholds, and through
 * commandTableFlags the traffic, prepare cache, artifact, edge, node, cluster, Kafka request and audit segment tables' serve flags): each flag's one text (flagText refuses it repeated), parsed by its row,
 * and the values checked by the table's own check (checkTable), whose LimitOutOfRangeError becomes
 * a usage error naming the flag and the range that applied in the flag's unit, with the row's hint
 * (how it is set, its default and description).
 */
function tableFlags<N extends string>(
  argv: LimitFlagArgs,
  flags: readonly TableFlag<N>[],
  check: (given: Partial<Record<N, number>>) => unknown,
): Partial<Record<N, number>> | undefined {
  const given: Partial<Record<N, number>> = {};
  const typed: Partial<Record<N, string>> = {};
  for (const f of flags) {
    const text = flagText(argv, f.flag);
    if (text !== undefined) {
      given[f.name] = f.parse(text);
      typed[f.name] = text.trim();
    }
  }
  if (Object.keys(given).length === 0) return undefined;
  try {
    check(given);
    return given;
  } catch (err) {
    if (!(err instanceof LimitOutOfRangeError)) throw err;
    const f = flags.find((x) => x.name === err.limit);
    if (f === undefined) throw err;
    const range = flagRange(f.row, err.min, err.ceiling);
    // The text as typed ("61s", "10"), not the parsed value: what the operator wrote is what they look for.
    throw new UsageError(
      `--${f.flag} ${typed[f.name]!} is out of range: it must be ${range}`,
      isDurationFlag(f.row) ? durationHint(f.row, f.flag, err.min, err.ceiling) : err.hint,
    );
  }
}
