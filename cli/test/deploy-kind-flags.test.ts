/**
 * `caxton deploy --kind K --idle / --max-active` read from core's KIND_LIMIT_TABLE rows (decision
 * 2153): refused before any file is read or any node is called — one past either end of a row, a
 * cap that is not digits, an idle period that is not a duration, and either flag without --kind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KIND_LIMIT_TABLE } from '@caxton/core';
import { run } from '../src/app.js';
import { kindLimitsFromFlags } from '../src/limit-flags.js';
import { captureIo } from './support/capture-io.js';

async function refused(args: string[]): Promise<string> {
  const io = captureIo();
  // A source that does not exist: a refusal of the flags must come first, or this would say the file is missing.
  assert.equal(await run(['deploy', 'missing.wasm', ...args], io), 2, args.join(' '));
  return io.err.replace(/\s+/g, ' ');
}

describe('deploy --idle and --max-active from their rows (decision 2153)', () => {
  it("read each row's least and most, and nothing when not given", () => {
    assert.deepEqual(kindLimitsFromFlags({ idle: '100ms', 'max-active': '1' }), { idleMs: 100, maxActive: 1 });
    assert.deepEqual(kindLimitsFromFlags({ idle: '1d', 'max-active': '12000' }), { idleMs: 86_400_000, maxActive: 12_000 });
    assert.equal(kindLimitsFromFlags({}), undefined);
  });

  it("refuse one past either end in the flag's unit, with the row's hint", async () => {
    for (const [flag, text, range, row] of [
      ['--idle', '99ms', 'from 100ms to 1d', KIND_LIMIT_TABLE.idleMs],
      ['--idle', '25h', 'from 100ms to 1d', KIND_LIMIT_TABLE.idleMs],
      ['--max-active', '0', '1..12,000 (instances)', KIND_LIMIT_TABLE.maxActive],
      ['--max-active', '12001', '1..12,000 (instances)', KIND_LIMIT_TABLE.maxActive],
    ] as const) {
      const said = await refused(['--kind', 'counter', flag, text]);
      assert.ok(said.includes(`${flag} ${text} is out of range: it must be ${range}`), said);
      assert.ok(said.includes(row.description), said);
    }
  });

  it('refuse a cap that is not digits and an idle period that is not a duration', async () => {
    assert.ok(
      (await refused(['--kind', 'counter', '--max-active', '1e3'])).includes('--max-active "1e3" is not a whole number of instances'),
    );
    assert.ok((await refused(['--kind', 'counter', '--idle', 'soon'])).includes('--idle "soon" is not a duration'));
  });

  it('refuse either flag without --kind, naming the flag given, whatever its value', async () => {
    assert.ok((await refused(['--idle', '10s'])).includes('--idle applies to a kind: give --kind <name> too'));
    assert.ok((await refused(['--max-active', '10'])).includes('--max-active applies to a kind: give --kind <name> too'));
    // Said before the value is read: the mistake is the missing --kind, not the number.
    assert.ok((await refused(['--max-active', '0'])).includes('--max-active applies to a kind'));
    assert.ok((await refused(['--idle', 'soon'])).includes('--idle applies to a kind'));
  });

  it('are described right after --kind, the idle period with its least', async () => {
    const io = captureIo();
    assert.equal(await run(['deploy', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' ');
    const at = (flag: string): number => help.indexOf(`--${flag} `);
    assert.ok(
      at('kind') < at('idle') && at('idle') < at('max-active') && at('max-active') < at('fuel'),
      'kind, idle, max-active, then the limits',
    );
    assert.ok(help.includes('With --kind: an instance of the kind idle this long is passivated'), help);
    assert.ok(help.includes('at least 100ms; at most 1d; default 30s'), help);
    assert.ok(
      help.includes("a whole number of instances (default none: only the node's bound of 12,000 instances, from 1 to 12,000)"),
      help,
    );
  });
});

describe('deploy --priority-class (decision 2187)', () => {
  it('is refused without --kind and for a name that is no class, before any file is read', async () => {
    assert.ok((await refused(['--priority-class', 'high'])).includes('--priority-class applies to a kind: give --kind <name> too'));
    const said = await refused(['--kind', 'counter', '--priority-class', 'urgent']);
    assert.ok(said.includes('--priority-class "urgent" is not a priority class'), said);
    assert.ok(said.includes('give one of low, normal, high (default normal)'), said);
  });
});
