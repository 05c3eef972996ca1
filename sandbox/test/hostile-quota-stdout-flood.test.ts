/**
 * stdout floods from a JavaScript (QuickJS, jco path) agent: 500 writes of 64 KiB without a newline
 * cost linear work (each write is charged, scanned for a newline once and kept only up to one log
 * line), and what is kept is bounded by the log limits of the call, not by what was written.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../src/limits/limits.js';
import type { Sandbox } from '../src/sandbox.js';
import { jsProbe } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

let sandbox: Sandbox;
let bytes: Uint8Array;
before(async () => {
  bytes = await jsProbe('flood');
  sandbox = testSandbox();
});

describe('stdout floods', () => {
  it('500 × 64 KiB without a newline keeps one truncated line, then the next lines', async () => {
    await sandbox.deploy({ name: 'flood-1@test', artifact: bytes, limits: { fuelPerMessage: 200_000_000, memoryPages: 160 } });
    const r = sandbox.run(work('flood-1@test', 'flood:500'));
    assert.equal(r.status, 'ok', r.status === 'crashed' ? r.message : '');
    assert.deepEqual(r.logs.map((l) => [l.source, l.message.length]), [
      ['stdout', DEFAULT_LIMITS.maxLogLineLength + 1],
      ['stdout', 'after the flood'.length],
    ]);
    assert.ok(r.logs[0]!.message.endsWith('…') && /^a+…$/.test(r.logs[0]!.message));
    // Every byte written was paid for (8 bytes per fuel): 500 × 64 KiB.
    assert.ok(r.fuelUsed > (500 * 65536) / 8, `fuel ${r.fuelUsed}`);
  });

  it('many short lines: the call keeps at most its line and byte budget, and counts the rest', async () => {
    await sandbox.deploy({ name: 'flood-2@test', artifact: bytes, limits: { fuelPerMessage: 200_000_000, memoryPages: 160, maxLogLines: 50 } });
    const r = sandbox.run(work('flood-2@test', 'lines:300'));
    assert.equal(r.status, 'ok');
    assert.equal(r.logs.length, 50);
    assert.equal(r.droppedLogLines, 250);
    assert.equal(r.logs[49]!.message, 'line 49');
  });

  it('a flood running out of fuel is stopped by fuel, not by time', async () => {
    await sandbox.deploy({ name: 'flood-3@test', artifact: bytes, limits: { fuelPerMessage: 1_000_000, memoryPages: 160 } });
    const r = sandbox.run(work('flood-3@test', 'flood:500'));
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
  });
});
