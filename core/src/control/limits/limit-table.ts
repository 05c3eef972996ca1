/**
 * The machinery of every limit table (decision 1720, decision 2147): a row's shape, the one check
 * (`checkTable`) and its typed error, `defineLimitTable`, and the helpers that say a row in its
 * flag's unit. It knows no table: the tables (the other files of this folder) are built on it.
 */
import { CaxtonError } from '../../errors.js';

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

export const number = (n: number): string => n.toLocaleString('en-US');

/** A table's defaults, by row name. A function declaration: hoisted above the tables that call it. */
export function tableDefaults<T extends Record<string, LimitRow & { default: number }>>(table: T): Readonly<{ [K in keyof T]: number }> {
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
export function defineLimitTable<T extends Record<string, LimitRow>>(table: T, o: { what: string; field: string }): DefinedLimitTable<T> {
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
export function rowField(name: string, row: LimitRow, prefix: string): string {
  return prefix === 'header' && row.deploy ? `header.${row.deploy.wire}` : `${prefix}.${name}`;
}

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
