/**
 * `caxton serve`'s edge admission flags (decisions 1810, 2103) become the node's `edgeAdmission`
 * options, and values the node would refuse at start are usage errors with a hint here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOptions } from '../src/commands/serve-run.js';
import { UsageError } from '../src/cli-error.js';
import { run } from '../src/app.js';
import { captureIo } from './support/capture-io.js';
import { EDGE_LIMIT_TABLE } from '@caxton/core';

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

describe('serve --edge-serving-floor', () => {
  it('is left to the node (its default, 128) when not given', () => {
    assert.equal(nodeOptions(base, '/srv').edgeAdmission, undefined);
  });

  it('becomes edgeAdmission.servingMinLimit, beside the ceiling and the target', () => {
    assert.deepEqual(nodeOptions(withFlags({ 'edge-serving-floor': '128' }), '/srv').edgeAdmission, { servingMinLimit: 128 });
    assert.deepEqual(
      nodeOptions(withFlags({ 'edge-serving-floor': '16', 'edge-max-in-flight': '32', 'edge-target-ms': '50' }), '/srv').edgeAdmission,
      { maxLimit: 32, targetDelayMs: 50, servingMinLimit: 16 },
    );
  });

  it('refuses a floor above 1,000 or above the ceiling, zero and fractions, with a hint', () => {
    const refused: Record<string, string>[] = [
      { 'edge-serving-floor': '1001' },
      { 'edge-serving-floor': '64', 'edge-max-in-flight': '32' },
      { 'edge-serving-floor': '0' },
      { 'edge-serving-floor': '12.5' },
    ];
    for (const flags of refused) {
      assert.throws(
        () => nodeOptions(withFlags(flags), '/srv'),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, `${JSON.stringify(flags)}: a usage error`);
          assert.match(err.message, /--edge-serving-floor/);
          assert.match(String(err.hint), /floor/);
          return true;
        },
      );
    }
    assert.equal(
      nodeOptions(withFlags({ 'edge-serving-floor': '1000' }), '/srv').edgeAdmission?.servingMinLimit,
      1_000,
      'the floor itself is accepted (the rule off)',
    );
  });
});

describe("serve's edge flags, read from their rows (decision 2147)", () => {
  it('refuse a serving floor above the in-flight limit given with that limit as the range', () => {
    assert.throws(
      () => nodeOptions(withFlags({ 'edge-serving-floor': '64', 'edge-max-in-flight': '32' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.message === '--edge-serving-floor 64 is out of range: it must be 1..32 (messages)' &&
        err.hint!.includes(EDGE_LIMIT_TABLE.servingMinLimit.description),
    );
  });

  it("refuse each flag one past its row, in its unit with the row's hint, and a text that is not digits", () => {
    const cases = [
      ['edge-max-in-flight', '3', '1000001', '4..1,000,000 (messages)', EDGE_LIMIT_TABLE.maxLimit],
      ['edge-target-ms', '0', '60001', '1..60,000 (ms)', EDGE_LIMIT_TABLE.targetDelayMs],
      ['edge-serving-floor', '0', '1001', '1..1,000 (messages)', EDGE_LIMIT_TABLE.servingMinLimit],
    ] as const;
    for (const [flag, low, high, range, row] of cases) {
      for (const text of [low, high]) {
        assert.throws(
          () => nodeOptions(withFlags({ [flag]: text }), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `--${flag} ${text} is out of range: it must be ${range}` &&
            err.hint!.includes(row.description),
          `${flag} ${text}`,
        );
      }
      assert.throws(
        () => nodeOptions(withFlags({ [flag]: '10k' }), '/srv'),
        (err: unknown) =>
          err instanceof UsageError &&
          err.message === `--${flag} "10k" is not a whole number of ${row.unit}` &&
          /the default.*the least it takes/.test(err.hint ?? ''),
        flag,
      );
    }
  });

  it('are described from their rows in --help', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' ');
    for (const text of [
      '--edge-max-in-flight',
      'a whole number of messages (default 10,000, from 4 to 1,000,000)',
      '--edge-target-ms',
      'a whole number of ms (default 15, from 1 to 60,000)',
      '--edge-serving-floor',
      'a whole number of messages (default 128, from 1 to 1,000)',
      EDGE_LIMIT_TABLE.servingMinLimit.description,
    ]) {
      assert.ok(help.includes(text), text);
    }
  });
});
