/**
 * stdout floods from a JavaScript (QuickJS, jco path) agent: 500 writes of 64 KiB without a newline
 * cost linear work (each write is charged, scanned for a newline once and kept only up to one log
 * line), and what is kept is bounded by the log limits of the call, not by what was written. Every
 * byte read is charged at the host's cost of it (OUTPUT_FUEL_PER_BYTE, decision 1720), so a flood
 * runs out of fuel in proportion to what it writes — up to `maxOutputBytes` per call; past that the
 * bytes are dropped unread, counted and told (decision 2114), and paid for at what producing them
 * costs the guest's shard (DROPPED_OUTPUT_FUEL_PER_BYTE, decision 2129). The tests of the per-byte price raise
 * `maxOutputBytes` so that every byte is read.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DROPPED_OUTPUT_FUEL_PER_BYTE, HOST_CALL_COST, OUTPUT_FUEL_PER_BYTE } from '../src/fuel/cost-model.js';
import { DEFAULT_LIMITS } from '../src/limits/limits.js';
import type { Sandbox } from '../src/sandbox.js';
import { jsProbe } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

/** Every byte these floods write is read (the output limit's ceiling, 64 MiB, is above 500 × 64 KiB). */
const READ_ALL = { maxOutputBytes: 64 * 1024 * 1024 };

let sandbox: Sandbox;
let bytes: Uint8Array;
before(async () => {
  bytes = await jsProbe('flood');
  sandbox = testSandbox();
});

describe('stdout floods', () => {
  it('500 × 64 KiB without a newline keeps one truncated line, then the next lines', async () => {
    await sandbox.deploy({
      name: 'flood-1@test',
      artifact: bytes,
      limits: { fuelPerMessage: 1_000_000_000, memoryPages: 160, ...READ_ALL },
    });
    const r = sandbox.run(work('flood-1@test', 'flood:500'));
    assert.equal(r.status, 'ok', r.status === 'crashed' ? r.message : '');
    assert.deepEqual(
      r.logs.map((l) => [l.source, l.message.length]),
      [
        ['stdout', DEFAULT_LIMITS.maxLogLineLength + 1],
        ['stdout', 'after the flood'.length],
      ],
    );
    assert.ok(r.logs[0]!.message.endsWith('…') && /^a+…$/.test(r.logs[0]!.message));
    // Every byte written was paid for at the output price: 500 × 64 KiB.
    assert.ok(r.fuelUsed > 500 * 65536 * OUTPUT_FUEL_PER_BYTE, `fuel ${r.fuelUsed}`);
  });

  it('charges each byte written at the output price: fuel grows with the bytes, and bounds the flood', async () => {
    await sandbox.deploy({
      name: 'flood-4@test',
      artifact: bytes,
      limits: { fuelPerMessage: 1_000_000_000, memoryPages: 160, ...READ_ALL },
    });
    const fuel = (chunks: number): number => {
      const r = sandbox.run(work('flood-4@test', `flood:${chunks}`));
      assert.equal(r.status, 'ok', r.status === 'crashed' ? r.message : '');
      return r.fuelUsed;
    };
    fuel(1); // warm: the first call of an instance pays for things the next ones do not
    const extraBytes = 40 * 65536;
    const perByte = (fuel(60) - fuel(20)) / extraBytes;
    // The host's price per byte, plus what the guest itself spends per byte (≈ 0.25 fuel) and the
    // per-write host-call price (50 per 64 KiB).
    assert.ok(perByte >= OUTPUT_FUEL_PER_BYTE && perByte < OUTPUT_FUEL_PER_BYTE + 1, `fuel per byte written: ${perByte}`);

    // A budget of 100 chunks' worth: 50 chunks fit, 150 run out of fuel part way.
    const budget = 100 * (65536 * OUTPUT_FUEL_PER_BYTE + HOST_CALL_COST);
    await sandbox.deploy({ name: 'flood-5@test', artifact: bytes, limits: { fuelPerMessage: budget, memoryPages: 160, ...READ_ALL } });
    assert.equal(sandbox.run(work('flood-5@test', 'flood:50')).status, 'ok');
    const over = sandbox.run(work('flood-5@test', 'flood:150'));
    assert.equal(over.status === 'crashed' && over.kind, 'out-of-fuel');
  });

  it('many short lines: the call keeps at most its line and byte budget, and counts the rest', async () => {
    await sandbox.deploy({
      name: 'flood-2@test',
      artifact: bytes,
      limits: { fuelPerMessage: 200_000_000, memoryPages: 160, maxLogLines: 50 },
    });
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

  it("past maxOutputBytes a call's writes are dropped unread: charged per byte offered, counted and told, and the next call starts afresh", async () => {
    // The hostile bench's grant (decision 2129: 500 × 64 KiB offered now cost ≈ 108 M fuel).
    await sandbox.deploy({ name: 'flood-6@test', artifact: bytes, limits: { fuelPerMessage: 200_000_000, memoryPages: 160 } });
    const limit = DEFAULT_LIMITS.maxOutputBytes;
    const written = 500 * 65536 + '\nafter the flood\n'.length;
    const r = sandbox.run(work('flood-6@test', 'flood:500'));
    assert.equal(r.status, 'ok', r.status === 'crashed' ? `${r.kind}: ${r.message}` : '');
    // The bytes under the limit paid the output price, every byte past it the dropped price (what
    // producing it costs the guest's shard, decision 2129); not the read price.
    const floor = limit * OUTPUT_FUEL_PER_BYTE + (written - limit) * DROPPED_OUTPUT_FUEL_PER_BYTE;
    assert.ok(r.fuelUsed >= floor && r.fuelUsed < floor + written / 2, `fuel ${r.fuelUsed}, floor ${floor}`);
    assert.deepEqual(
      r.logs.map((l) => [l.source, l.level, l.source === 'stdout' ? l.message.length : l.message]),
      [
        ['stdout', 'info', DEFAULT_LIMITS.maxLogLineLength + 1],
        [
          'stderr',
          'warn',
          `[caxton] ${written - limit} bytes written to stdout/stderr past the per-call limit of ${limit} were dropped unread`,
        ],
      ],
    );
    assert.equal(sandbox.agent('flood-6@test')!.refusals().outputDropped, 1);
    const next = sandbox.run(work('flood-6@test', 'lines:3'));
    assert.deepEqual(
      next.logs.map((l) => l.message),
      ['line 0', 'line 1', 'line 2'],
    );
    assert.equal(sandbox.agent('flood-6@test')!.refusals().outputDropped, 1);
  });

  it('at the default fuel a flood past maxOutputBytes runs out of fuel: its dropped bytes are paid for', async () => {
    await sandbox.deploy({ name: 'flood-7@test', artifact: bytes, limits: { memoryPages: 160 } });
    const r = sandbox.run(work('flood-7@test', 'flood:500'));
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
    assert.equal(sandbox.run(work('flood-7@test', 'lines:3')).status, 'ok');
  });
});
