/**
 * `caxton serve --fair-quantum-fuel / --fair-window / --fair-idle` (decision 2140): the fuel-fair
 * sharing's limits, rows of core's traffic table, become the node's `traffic` options, parsed by
 * unit; a value past the row's ceiling is a usage error naming the flag, with the row as the hint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { SERVE_TRAFFIC_LIMITS, TRAFFIC_LIMIT_TABLE } from '@caxton/core';
import { nodeOptions } from '../src/commands/serve-run.js';
import { trafficLimitOptions, trafficLimitsFromFlags } from '../src/limit-flags.js';
import { UsageError } from '../src/cli-error.js';
import { formatDuration } from '../src/format/units.js';

const base = {
  dataDir: 'state',
  timeout: 30,
  json: false,
  tls: false,
  addr: undefined,
  auth: true,
  requireClientCert: false,
} as unknown as Parameters<typeof nodeOptions>[0];
const withFlags = (flags: Record<string, string>): typeof base => ({ ...base, ...flags }) as typeof base;

describe('serve --fair-*', () => {
  it("leave the traffic limits to the node (the table's defaults) when not given", () => {
    assert.equal(nodeOptions(base, '/srv').traffic, undefined);
  });

  it('become traffic.fairQuantumFuel, fairWindowMs and fairIdleMs: a count for fuel, durations for the times', () => {
    assert.deepEqual(nodeOptions(withFlags({ 'fair-quantum-fuel': '20M', 'fair-window': '2s', 'fair-idle': '100ms' }), '/srv').traffic, {
      fairQuantumFuel: 20_000_000,
      fairWindowMs: 2_000,
      fairIdleMs: 100,
    });
    assert.deepEqual(nodeOptions(withFlags({ 'fair-idle': '5ms' }), '/srv').traffic, { fairIdleMs: 5 });
  });

  it('refuse a value past the ceiling, naming the flag and the ceiling, and text that is not a value of the unit', () => {
    assert.throws(
      () => nodeOptions(withFlags({ 'fair-window': '61s' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        /--fair-window 61s is out of range: it must be from 1ms to 1m$/.test(err.message) &&
        /fuel/.test(String(err.hint)),
    );
    assert.throws(
      () => nodeOptions(withFlags({ 'fair-quantum-fuel': '200G' }), '/srv'),
      (err: unknown) => err instanceof UsageError && /--fair-quantum-fuel/.test(err.message),
    );
    assert.throws(
      () => nodeOptions(withFlags({ 'fair-idle': '50' }), '/srv'),
      (err: unknown) => err instanceof UsageError && /is not a duration/.test(err.message),
    );
    assert.throws(
      () => nodeOptions(withFlags({ 'fair-quantum-fuel': 'lots' }), '/srv'),
      (err: unknown) => err instanceof UsageError && /is not a number/.test(err.message),
    );
  });

  it('hint a text that is not a duration with values the flag accepts (its default and its ceiling)', () => {
    let hint = '';
    assert.throws(
      () => nodeOptions(withFlags({ 'fair-idle': '50' }), '/srv'),
      (err: unknown) => {
        hint = err instanceof UsageError ? String(err.hint) : '';
        return hint !== '';
      },
    );
    const examples = [...hint.matchAll(/--fair-idle (\S+)/g)].map((m) => m[1]!);
    assert.deepEqual(examples, ['50ms', '10s'], hint);
    for (const text of examples)
      assert.ok(nodeOptions(withFlags({ 'fair-idle': text }), '/srv').traffic?.fairIdleMs, `${text} is accepted`);
  });

  it('refuse a flag given twice (yargs makes it an array), for every serve traffic flag', () => {
    for (const name of SERVE_TRAFFIC_LIMITS) {
      const flag = TRAFFIC_LIMIT_TABLE[name].serve;
      assert.throws(
        () => trafficLimitsFromFlags({ [flag]: ['1', '2'] }),
        (err: unknown) => err instanceof UsageError && err.message === `--${flag} is given 2 times` && err.hint === `give --${flag} once`,
        flag,
      );
    }
  });

  it('are declared from the table, with the description, the ceiling and the default in --help', async () => {
    const help = (await trafficLimitOptions(yargs([]).scriptName('caxton')).getHelp()).replace(/\s+/g, ' ');
    for (const name of SERVE_TRAFFIC_LIMITS) {
      const d = TRAFFIC_LIMIT_TABLE[name];
      assert.match(help, new RegExp(`--${d.serve}\\b`));
      const ceiling = d.unit === 'ms' ? formatDuration(d.ceiling).replace(/ /g, '') : d.ceiling.toLocaleString('en-US');
      assert.ok(help.includes(`at most ${ceiling}`), `${name}'s ceiling in the help, a duration's as one`);
      const byDefault = d.unit === 'ms' ? formatDuration(d.default) : d.default.toLocaleString('en-US');
      assert.ok(help.includes(`default ${byDefault}`), `${name}'s default in the help, a duration's as one (1s)`);
    }
  });
});
