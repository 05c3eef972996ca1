/**
 * The deploy/upgrade limit flags come from the limits table (decision 1720): one flag per
 * deployable limit, parsed and checked against the limit's ceiling before anything is sent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import {
  AGENT_LIMIT_TABLE,
  ARTIFACT_LIMIT_TABLE,
  AUDIT_SEGMENT_LIMIT_TABLE,
  CLUSTER_LIMIT_TABLE,
  KAFKA_REQUEST_LIMIT_TABLE,
  ROLLOUT_LIMIT_TABLE,
  DEPLOYABLE_LIMITS,
  EDGE_LIMIT_TABLE,
  flagTakesDigitsOnly,
  inFlagUnit,
  NODE_LIMIT_TABLE,
  PREPARE_CACHE_LIMIT_TABLE,
  rowFloor,
  TRAFFIC_LIMIT_TABLE,
  type LimitRow,
} from '@caxton/core';
import { UsageError } from '../src/cli-error.js';
import { formatDuration } from '../src/format/units.js';
import {
  exactDuration,
  limitFlagOptions,
  limitsFromFlags,
  NODE_DEFAULT_LIMIT_FLAGS,
  nodeDefaultLimitOptions,
  nodeDefaultLimitsFromFlags,
} from '../src/limit-flags.js';

describe('limit flags', () => {
  it('map each flag to its limit', () => {
    assert.deepEqual(limitsFromFlags({ 'max-sends-per-s': '500', 'max-sends-per-call': '2k', fuel: '5M', memory: '16MiB' }), {
      sendsPerSecond: 500,
      maxOutbox: 2000,
      fuelPerMessage: 5_000_000,
      memoryPages: 256,
    });
    assert.equal(limitsFromFlags({}), undefined, 'no flag: the node defaults (deploy) or keep (upgrade)');
  });

  it('read the absent TTL as a duration and the absent queue as a count (decision 1990)', () => {
    assert.deepEqual(limitsFromFlags({ 'absent-ttl': '1h30m', 'absent-queue': '2k' }), { absentTtlMs: 5_400_000, absentQueue: 2000 });
    assert.throws(
      () => limitsFromFlags({ 'absent-ttl': '3600' }),
      (e: unknown) =>
        e instanceof UsageError && /is not a duration/.test(e.message) && /--absent-ttl 1d .*--absent-ttl 30d/.test(e.hint ?? ''),
      "the hint's examples are the row's default and ceiling",
    );
    assert.throws(
      () => limitsFromFlags({ 'absent-ttl': '31d' }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === '--absent-ttl 31d is out of range: it must be from 1ms to 30d' &&
        (e.hint ?? '').startsWith('--absent-ttl takes a duration from 1ms to 30d; omit it for the default, 1d. '),
      "a duration flag's hint in durations (decision 2154)",
    );
    assert.deepEqual(
      nodeDefaultLimitsFromFlags({ 'absent-ttl': '10m', fuel: '5M' }),
      { absentTtlMs: 600_000 },
      'serve takes only the absent-queue defaults',
    );
  });

  it('refuse a flag given twice (yargs would make it an array, silently ignored), for every deployable limit', () => {
    for (const name of DEPLOYABLE_LIMITS) {
      const flag = AGENT_LIMIT_TABLE[name].deploy.flag;
      assert.throws(
        () => limitsFromFlags({ [flag]: ['1', '2'] }),
        (e: unknown) => e instanceof UsageError && e.message === `--${flag} is given 2 times` && e.hint === `give --${flag} once`,
        flag,
      );
    }
    assert.throws(
      () => nodeDefaultLimitsFromFlags({ 'absent-ttl': ['1h', '2h'] }),
      (e: unknown) => e instanceof UsageError && /--absent-ttl is given 2 times/.test(e.message),
    );
  });

  it('refuse a value over the ceiling with a usage error naming the flag, the ceiling and the limit', () => {
    const ceiling = AGENT_LIMIT_TABLE.sendsPerSecond.ceiling;
    assert.throws(
      () => limitsFromFlags({ 'max-sends-per-s': String(ceiling + 1) }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === '--max-sends-per-s 1000001 is out of range: it must be 1..1,000,000 (per second)' &&
        /^sendsPerSecond/.test(e.hint ?? ''),
    );
    assert.throws(
      () => limitsFromFlags({ 'max-sends-per-call': 'lots' }),
      (e: unknown) => e instanceof UsageError && /is not a number/.test(e.message),
    );
    assert.throws(
      () => limitsFromFlags({ 'max-sends-per-call': '0' }),
      (e: unknown) => e instanceof UsageError && /≥ 1/.test(e.message),
    );
  });

  it('declare one option per deployable limit, described from the table', async () => {
    const help = await limitFlagOptions(yargs([]).scriptName('caxton')).getHelp();
    for (const name of DEPLOYABLE_LIMITS) {
      const d = AGENT_LIMIT_TABLE[name];
      assert.match(help, new RegExp(`--${d.deploy.flag}\\b`));
      // A duration's ceiling as the duration the flag takes (every ceiling here is one exactly: 30d).
      const ceiling = d.unit === 'ms' ? formatDuration(d.ceiling).replace(/ /g, '') : d.ceiling.toLocaleString('en-US');
      const text = help.replace(/\s+/g, ' ');
      assert.ok(text.includes(`at most ${ceiling};`), `${name}'s ceiling in the help, a duration's as one`);
      const byDefault = d.unit === 'ms' ? formatDuration(d.default) : d.default.toLocaleString('en-US');
      assert.ok(text.includes(`default: the node default (${byDefault})`), `${name}'s default in the help, a duration's as one`);
    }
  });

  it("describe serve's node defaults from the table, the ceiling and default with their unit (decision 2145)", async () => {
    const help = (await nodeDefaultLimitOptions(yargs([]).scriptName('caxton')).getHelp()).replace(/\s+/g, ' ');
    for (const name of NODE_DEFAULT_LIMIT_FLAGS) {
      const d = AGENT_LIMIT_TABLE[name];
      const ceiling = d.unit === 'ms' ? formatDuration(d.ceiling).replace(/ /g, '') : d.ceiling.toLocaleString('en-US');
      const byDefault = d.unit === 'ms' ? formatDuration(d.default) : d.default.toLocaleString('en-US');
      assert.ok(help.includes(`Node default for agents deployed without --${d.deploy.flag}:`), `${name}'s flag in the help`);
      assert.ok(
        help.includes(`at most ${ceiling}; default ${byDefault}`),
        `${name}'s ceiling and default in the help, a duration's both as durations`,
      );
    }
  });
});

describe("a duration row's ceiling in help (decision 2153)", () => {
  it('is said as a duration only where one says it exactly, else in ms', () => {
    assert.equal(exactDuration(604_800_000), '7d');
    assert.equal(exactDuration(600_000), '10m');
    assert.equal(exactDuration(90_061_000), undefined, '1d 1h 1m: two units would say less than the ceiling');
    assert.equal(exactDuration(1_500), undefined, 'formatDuration drops the 500 ms');
  });
});

describe("docs/cli.md's serve table (decision 2147)", () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/cli.md', import.meta.url)), 'utf8');
  const serve = /### `caxton serve`\n([\s\S]*?)\n### /.exec(doc)?.[1] ?? '';
  const grouped = (n: number): string => n.toLocaleString('en-US');
  const tables: Readonly<Record<string, LimitRow>>[] = [
    TRAFFIC_LIMIT_TABLE,
    PREPARE_CACHE_LIMIT_TABLE,
    ARTIFACT_LIMIT_TABLE,
    EDGE_LIMIT_TABLE,
    NODE_LIMIT_TABLE,
    CLUSTER_LIMIT_TABLE,
    KAFKA_REQUEST_LIMIT_TABLE,
    AUDIT_SEGMENT_LIMIT_TABLE,
  ];

  it('has a row for every upgrade threshold flag of the rollout table, saying its range (decision 2149)', () => {
    const upgrade = /### `caxton upgrade [^\n]*\n([\s\S]*?)\n### /.exec(doc)?.[1] ?? '';
    for (const row of Object.values(ROLLOUT_LIMIT_TABLE)) {
      const line = upgrade.split('\n').find((l) => l.startsWith(`| \`--${row.flag} `));
      assert.ok(line, `--${row.flag} has a row`);
      // A duration flag's range as the durations it takes ("1ms..7d"); a digits or percent flag's in grouped numbers.
      const range =
        row.unit === 'ms' && !flagTakesDigitsOnly(row)
          ? `${formatDuration(row.min)}..${formatDuration(row.ceiling)}`
          : `${grouped(row.min)}..${grouped(row.ceiling)}`;
      assert.ok(line.includes(range), `--${row.flag}'s row says ${range}`);
    }
  });

  it("has a row for every serve flag of a limit table, and a digits-only flag's row says its range in the flag's unit", () => {
    assert.ok(serve.length > 0, 'docs/cli.md has a `caxton serve` section');
    for (const row of tables.flatMap((t) => Object.values(t))) {
      if (row.serve === undefined) continue;
      const line = serve.split('\n').find((l) => l.startsWith(`| \`--${row.serve} `) || l.startsWith(`| \`--${row.serve}\``));
      assert.ok(line, `--${row.serve} has a row`);
      if (flagTakesDigitsOnly(row)) {
        const range = `${grouped(inFlagUnit(row, rowFloor(row)))}..${grouped(inFlagUnit(row, row.ceiling))}`;
        assert.ok(line.includes(range), `--${row.serve}'s row says ${range}`);
      }
    }
  });
});
