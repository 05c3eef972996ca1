/**
 * Deterministic handling (issue 57, decision 2174): the ids and insecure randomness a handling sees
 * derive from its work and its deployment, so the same work run again on a fresh instance — a
 * redelivery after a crash, a replica, a replay — sees the same; its clocks are the host's, counted.
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

/** A fresh sandbox (its own host-random `newId`, its clock at 1000) with the probe deployed as `name`, its seed's name and creation time given. */
async function fresh(name: string, seed: { name: string; createdAt: number } | undefined): Promise<Sandbox> {
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

const seed = (createdAt: number, name = 'det'): { name: string; createdAt: number } => ({ name, createdAt });

before(async () => {
  bytes = await jsProbe();
});

describe('a handling derives its ids and insecure randomness from its work', () => {
  it('a replay of a handling whose first clock read was recorded reads that time first, whatever the host says (decision 2178)', async () => {
    const sandbox = await fresh('det@test', seed(42));
    const recorded = sandbox.run({ ...observeWork('det@test', 'm1>det', 7), clockAt: 1_790_000_000_123 });
    const a = observed(recorded);
    assert.equal(a.now, '1790000000123', 'the recorded time, not the host clock (1000)');
    assert.equal(recorded.clockAt, 1_790_000_000_123, 'and it is what this run would record in turn');
    const live = sandbox.run(observeWork('det@test', 'm2>det', 7));
    assert.equal(observed(live).now, '1000', 'the next handling, not a replay of a recorded one: the host clock again');
    assert.equal(live.clockAt, 1_000);
  });

  it("the same work on two fresh instances sees the same ids and insecure bytes; the clocks are the host's, and counted", async () => {
    const at = 1_767_225_600_123;
    const run = async () => (await fresh('det@test', seed(42))).run(observeWork('det@test', 'm1>det', at));
    const [ra, rb] = [await run(), await run()];
    const a = observed(ra);
    const b = observed(rb);
    assert.deepEqual(a.ids, b.ids);
    assert.deepEqual(a.insecure, b.insecure);
    assert.equal(a.now, '1000', "now is the host's clock (the sandbox's, here), not the delivery's time");
    assert.equal(a.wall, '1', 'the WASI wall clock agrees with now');
    assert.ok((ra.clockReads ?? 0) >= 4, `the clock reads are counted (${ra.clockReads})`);
    assert.equal(ra.clockAt, 1_000, "the first read's time is given back, for the log to record (decision 2178)");
    assert.notEqual(a.ids[0], a.ids[1], 'two ids of one handling differ');
    for (const id of a.ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(a.insecure.length, 8);
  });

  it("a replica or a rollout's candidate derives what its agent does: the seed names the deployment, not the instance", async () => {
    const at = 1_767_225_600_000;
    const own = observed((await fresh('det@test', seed(7))).run(observeWork('det@test', 'm1>det', at)));
    const replica = observed((await fresh('det#r2@test', seed(7))).run(observeWork('det#r2@test', 'm1>det', at)));
    assert.deepEqual(replica.ids, own.ids);
    assert.deepEqual(replica.insecure, own.insecure);
  });

  it('another delivery, another time, another deployment or another agent: other ids and bytes', async () => {
    const at = 1_767_225_600_000;
    const base = observed((await fresh('det@test', seed(7))).run(observeWork('det@test', 'm1>det', at)));
    const otherWork = observed((await fresh('det@test', seed(7))).run(observeWork('det@test', 'm2>det', at)));
    const otherTime = observed((await fresh('det@test', seed(7))).run(observeWork('det@test', 'm1>det', at + 1)));
    const otherSeed = observed((await fresh('det@test', seed(8))).run(observeWork('det@test', 'm1>det', at)));
    const otherAgent = observed((await fresh('det2@test', seed(7, 'det2'))).run(observeWork('det2@test', 'm1>det', at)));
    for (const other of [otherWork, otherTime, otherSeed, otherAgent]) {
      assert.notDeepEqual(other.ids, base.ids);
      assert.notDeepEqual(other.insecure, base.insecure);
    }
  });

  it("a timer's handling derives from its id and due time", async () => {
    const sandbox = await fresh('det@test', seed(1));
    const ids = (r: WorkResult): string[] => {
      const line = r.logs.find((l) => l.message.startsWith('observed '))!.message.slice('observed '.length);
      return (JSON.parse(line) as Observed).ids;
    };
    const once = ids(sandbox.run({ kind: 'timer', id: 'timer:t1', agent: 'det@test', token: 'observe', dueAt: 1_767_225_999_000 }));
    const again = ids(
      (await fresh('det@test', seed(1))).run({
        kind: 'timer',
        id: 'timer:t1',
        agent: 'det@test',
        token: 'observe',
        dueAt: 1_767_225_999_000,
      }),
    );
    assert.deepEqual(again, once);
  });

  it('derives ids as a version-8 UUID from the agent key, the work and a counter (pure)', () => {
    const seed = new AgentSeed('a', '1');
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
