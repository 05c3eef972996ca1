/**
 * `caxton scale --replicas` read from core's REPLICA_LIMIT_TABLE row (decision 2154): digits only,
 * refused before any node is called — one past either end, text that is not a whole number, a flag
 * given twice — with the row's hint; and help generated from the row.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REPLICA_LIMIT_TABLE } from '@caxton/core';
import { run } from '../src/app.js';
import { replicasFromFlags } from '../src/limit-flags.js';
import { UsageError } from '../src/cli-error.js';
import { captureIo } from './support/capture-io.js';

/** No node is listening on this port: a refusal of the flag must come first, or this would say the node is unreachable. */
async function refused(args: string[]): Promise<string> {
  const io = captureIo();
  assert.equal(await run(['scale', 'svc', ...args, '--addr', '127.0.0.1:1'], io), 2, args.join(' '));
  return io.err.replace(/\s+/g, ' ');
}

describe('scale --replicas from its row (decision 2154)', () => {
  it('reads the least and the most, spaces around the digits allowed', () => {
    assert.equal(replicasFromFlags({ replicas: '1' }), 1);
    assert.equal(replicasFromFlags({ replicas: ` ${REPLICA_LIMIT_TABLE.replicas.ceiling} ` }), REPLICA_LIMIT_TABLE.replicas.ceiling);
  });

  it("refuses one past either end in its unit, with the row's hint (no default to omit it for)", async () => {
    for (const text of ['0', String(REPLICA_LIMIT_TABLE.replicas.ceiling + 1)]) {
      const said = await refused(['--replicas', text]);
      assert.ok(said.includes(`--replicas ${text} is out of range: it must be 1..16 (instances)`), said);
      assert.ok(
        said.includes(
          'replicas (caxton scale --replicas) accepts 1..16 instances; it is always given (1 until the agent is first scaled).',
        ),
        said,
      );
      assert.ok(!said.includes('omit it'), said);
    }
  });

  it('refuses text that is not a whole number, a fraction and an exponent included, hinting at values it takes', async () => {
    for (const text of ['3x', '2.5', '1e1', '-1']) {
      const said = await refused(['--replicas', text]);
      assert.ok(said.includes(`--replicas "${text}" is not a whole number of instances`), said);
      assert.ok(said.includes('e.g. --replicas 1 (the least it takes) or --replicas 16 (the most it takes)'), said);
    }
    assert.throws(
      () => replicasFromFlags({ replicas: ['2', '3'] }),
      (e: unknown) => e instanceof UsageError && e.message === '--replicas is given 2 times',
    );
  });

  it('is required, and described from its row', async () => {
    const missing = captureIo();
    assert.equal(await run(['scale', 'svc', '--addr', '127.0.0.1:1'], missing), 2);
    assert.match(missing.err, /replicas/);
    const io = captureIo();
    assert.equal(await run(['scale', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' ');
    assert.ok(
      help.includes(`${REPLICA_LIMIT_TABLE.replicas.description} Value: a whole number of instances (required, from 1 to 16)`),
      help,
    );
  });
});
