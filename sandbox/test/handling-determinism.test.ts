/**
 * Deterministic handling (issue 57, decision 2174): what a handling observes beyond its message and
 * its state — the time, ids, WASI clocks and insecure randomness — derives from the work, so the
 * same work run again on a fresh instance (a redelivery after a crash, a replay) sees the same.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AclMessage } from '@caxton/core';
import { Sandbox } from '../src/sandbox.js';
import type { Work, WorkResult } from '../src/results.js';
import { AgentSeed } from '../src/host/handling-seed.js';
import { jsProbe } from './fixtures/build.js';
import { message, testEngine } from './helpers.js';

let bytes: Uint8Array;
const engine = testEngine();

interface Observed {
  now: string;
  ids: [string, string];
  wall: string;
  monotonicAdvanced: boolean;
  monotonic: string;
  insecure: number[];
}

/** A fresh sandbox (its own host-random `newId`) with the probe deployed under `name` and `seed`. */
async function fresh(name: string, seed: string | undefined): Promise<Sandbox> {
  const sandbox = new Sandbox({ engine, clock: () => 1_000 });
  await sandbox.deploy({
    name,
    artifact: bytes,
    limits: { fuelPerMessage: 50_000_000, memoryPages: 160 },
    ...(seed === undefined ? {} : { seed }),
  });
  return sandbox;
}

function observeWork(agent: string, deliveryId: string, acceptedAt: number): Work {
  const m: AclMessage = { ...message(agent, 'observe'), replyWith: deliveryId };
  return {
    kind: 'message',
    agent,
    delivery: { id: deliveryId, messageId: deliveryId.split('>')[0]!, receiver: agent, message: m, acceptedAt },
  };
}

function observed(r: WorkResult): Observed {
  assert.equal(r.status, 'ok', JSON.stringify(r.status === 'crashed' ? r.message : r.status));
  return JSON.parse(r.outbox[0]!.content!) as Observed;
}

before(async () => {
  bytes = await jsProbe();
});

describe('a handling sees what its work says, not the host', () => {
  it('the same work on two fresh instances observes the same time, ids, clocks and insecure bytes', async () => {
    const at = 1_767_225_600_123;
    const a = observed((await fresh('det-1@test', '42')).run(observeWork('det-1@test', 'm1>det-1', at)));
    const b = observed((await fresh('det-1@test', '42')).run(observeWork('det-1@test', 'm1>det-1', at)));
    assert.deepEqual(a, b);
    assert.equal(a.now, String(at), "now is the delivery's acceptance, not the host clock (1000)");
    assert.equal(a.wall, String(Math.floor(at / 1000)), 'the WASI wall clock agrees with now');
    assert.equal(a.monotonicAdvanced, true, 'the monotonic clock moves as the guest computes');
    assert.notEqual(a.ids[0], a.ids[1], 'two ids of one handling differ');
    for (const id of a.ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(a.insecure.length, 8);
  });

  it('another delivery, another time, another deployment seed or another agent: other ids and bytes', async () => {
    const at = 1_767_225_600_000;
    const base = observed((await fresh('det-2@test', '7')).run(observeWork('det-2@test', 'm1>det-2', at)));
    const otherWork = observed((await fresh('det-2@test', '7')).run(observeWork('det-2@test', 'm2>det-2', at)));
    const otherTime = observed((await fresh('det-2@test', '7')).run(observeWork('det-2@test', 'm1>det-2', at + 1)));
    const otherSeed = observed((await fresh('det-2@test', '8')).run(observeWork('det-2@test', 'm1>det-2', at)));
    const otherAgent = observed((await fresh('det-3@test', '7')).run(observeWork('det-3@test', 'm1>det-2', at)));
    for (const other of [otherWork, otherTime, otherSeed, otherAgent]) {
      assert.notDeepEqual(other.ids, base.ids);
      assert.notDeepEqual(other.insecure, base.insecure);
    }
  });

  it("a timer's handling sees its due time; one without a due time sees the host clock", async () => {
    const sandbox = await fresh('det-4@test', '1');
    const due = sandbox.run({ kind: 'timer', id: 'timer:t1', agent: 'det-4@test', token: 'observe', dueAt: 1_767_225_999_000 });
    const line = due.logs.find((l) => l.message.startsWith('observed '))!.message.slice('observed '.length);
    assert.equal((JSON.parse(line) as Observed).now, '1767225999000');
    const undated = sandbox.run({ kind: 'timer', id: 'timer:t2', agent: 'det-4@test', token: 'observe' });
    const line2 = undated.logs.find((l) => l.message.startsWith('observed '))!.message.slice('observed '.length);
    assert.equal((JSON.parse(line2) as Observed).now, '1000');
  });

  it('the monotonic clock of an instance never goes back, across handlings', async () => {
    const sandbox = await fresh('det-5@test', '1');
    let last = 0n;
    for (let i = 0; i < 3; i++) {
      const o = observed(sandbox.run(observeWork('det-5@test', `m${i}>det-5`, 1_767_225_600_000 - i * 1000)));
      assert.ok(BigInt(o.monotonic) > last, `${o.monotonic} after ${last}`);
      last = BigInt(o.monotonic);
    }
  });

  it('derives ids as a version-8 UUID from the agent key, the work and a counter (pure)', () => {
    const seed = new AgentSeed('a@p', '1');
    const one = seed.forWork('w', 5);
    const two = seed.forWork('w', 5);
    assert.equal(one.nextId(), two.nextId());
    assert.notEqual(one.nextId(), seed.forWork('w', 5).nextId(), 'the counter moves on');
    assert.deepEqual(seed.forWork('w', 5).insecureBytes(16), seed.forWork('w', 5).insecureBytes(16));
    const stream = seed.forWork('w', 5);
    const whole = seed.forWork('w', 5).insecureBytes(12);
    assert.deepEqual(new Uint8Array([...stream.insecureBytes(5), ...stream.insecureBytes(7)]), whole, 'one stream, read in pieces');
  });
});
