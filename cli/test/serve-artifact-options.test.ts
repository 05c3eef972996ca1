/**
 * `caxton serve --max-artifact-mib / --prepare-timeout-s / --prepare-heap-mib` (decision 2147): rows
 * of core's ARTIFACT_LIMIT_TABLE, read through the table flags' one reader: digits only, a value
 * outside the row refused in the flag's unit with the row's hint, the help generated from the row.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOptions } from '../src/commands/serve-run.js';
import { UsageError } from '../src/cli-error.js';
import { run } from '../src/app.js';
import { captureIo } from './support/capture-io.js';
import { ARTIFACT_LIMIT_TABLE } from '@caxton/core';

const base = {
  dataDir: 'state',
  timeout: 30,
  json: false,
  tls: false,
  addr: undefined,
  auth: true,
  requireClientCert: false,
} as unknown as Parameters<typeof nodeOptions>[0];
const withFlag = (flag: string, ...texts: string[]): typeof base =>
  ({ ...base, [flag]: texts.length === 1 ? texts[0] : texts }) as typeof base;

/** Each flag: its row, where nodeOptions puts it (in the engine's unit), its range and default as the flag says them. */
const FLAGS = [
  {
    row: ARTIFACT_LIMIT_TABLE.maxArtifactBytes,
    unit: 'MiB',
    least: '1',
    most: '1024',
    byDefault: '64',
    inOptions: (o: ReturnType<typeof nodeOptions>) => o.maxArtifactBytes,
    per: 2 ** 20,
  },
  {
    row: ARTIFACT_LIMIT_TABLE.prepareDeadlineMs,
    unit: 'seconds',
    least: '1',
    most: '3600',
    byDefault: '120',
    inOptions: (o: ReturnType<typeof nodeOptions>) => o.prepare?.deadlineMs,
    per: 1_000,
  },
  {
    row: ARTIFACT_LIMIT_TABLE.prepareHeapBytes,
    unit: 'MiB',
    least: '64',
    most: '16384',
    byDefault: '1024',
    inOptions: (o: ReturnType<typeof nodeOptions>) => o.prepare?.maxHeapMb,
    per: 1,
  },
] as const;

const grouped = (text: string): string => Number(text).toLocaleString('en-US');

describe("serve's component flags, read from their rows (decision 2147)", () => {
  for (const f of FLAGS) {
    const flag = `--${f.row.serve}`;

    it(`${flag}: left to the node when not given; its least and most become the node's option`, () => {
      assert.equal(f.inOptions(nodeOptions(base, '/srv')), undefined);
      assert.equal(f.inOptions(nodeOptions(withFlag(f.row.serve, f.least), '/srv')), Number(f.least) * f.per);
      assert.equal(f.inOptions(nodeOptions(withFlag(f.row.serve, f.most), '/srv')), Number(f.most) * f.per);
    });

    it(`${flag}: refuses one past either end in ${f.unit}, with the row's hint`, () => {
      for (const text of [String(Number(f.least) - 1), String(Number(f.most) + 1)]) {
        assert.throws(
          () => nodeOptions(withFlag(f.row.serve, text), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `${flag} ${text} is out of range: it must be ${grouped(f.least)}..${grouped(f.most)} (${f.unit})` &&
            err.hint!.includes(`caxton serve ${flag}, in ${f.unit}`) &&
            err.hint!.includes(`(${grouped(f.byDefault)} ${f.unit})`) &&
            err.hint!.includes(f.row.description),
          text,
        );
      }
    });

    it(`${flag}: takes digits only (no fraction, suffix or sign), hinted with its default and least; once`, () => {
      for (const text of ['1.5', 'lots', '5k', '-64', '']) {
        assert.throws(
          () => nodeOptions(withFlag(f.row.serve, text), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `${flag} "${text}" is not a whole number of ${f.unit}` &&
            err.hint === `e.g. ${flag} ${f.byDefault} (the default) or ${flag} ${f.least} (the least it takes)`,
          text,
        );
      }
      assert.throws(
        () => nodeOptions(withFlag(f.row.serve, f.least, f.most), '/srv'),
        (err: unknown) => err instanceof UsageError && err.message === `${flag} is given 2 times` && err.hint === `give ${flag} once`,
      );
    });
  }

  it('says a refusal and its hint on stderr, before any node starts', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--prepare-heap-mib', '32'], io), 2);
    const said = io.err.replace(/\s+/g, ' ');
    assert.ok(said.includes('--prepare-heap-mib 32 is out of range: it must be 64..16,384 (MiB)'), said);
    assert.ok(said.includes(ARTIFACT_LIMIT_TABLE.prepareHeapBytes.description), said);
  });

  it("describes each with its row's description, unit, default and range in --help", async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' '); // yargs wraps the text
    for (const f of FLAGS) {
      for (const text of [
        `--${f.row.serve}`,
        f.row.description,
        `a whole number of ${f.unit} (default ${grouped(f.byDefault)}, from ${grouped(f.least)} to ${grouped(f.most)})`,
      ]) {
        assert.ok(help.includes(text), text);
      }
    }
  });
});
