/**
 * The bookkeeping around each call, with a real AssemblyScript agent on the direct path (decision
 * 2112): a result hands over only the effect lists its call filled (the others are one shared,
 * frozen empty list), no later call touches a list a result holds, and a batch reads the time once
 * per item (an item starts where the one before it ended).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ItemClock } from '../src/agent-sandbox.js';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { asProbe } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

let sandbox: Sandbox;
let probe: Uint8Array;
let n = 0;

async function deploy(): Promise<string> {
  const name = `books-${++n}@test`;
  await sandbox.deploy({ name, artifact: probe, limits: { fuelPerMessage: 2_000_000, memoryPages: 32 } });
  return name;
}

const LISTS = ['outbox', 'timers', 'directory', 'stateWrites', 'http', 'logs'] as const;

/** The effect lists of `r` that are the shared frozen empty list. */
function shared(r: WorkResult): string[] {
  return LISTS.filter((k) => Object.isFrozen(r[k]) && r[k].length === 0);
}

before(async () => {
  sandbox = testSandbox();
  probe = await asProbe();
});

describe('per-call bookkeeping (decision 2112)', () => {
  it('a result carries only the lists its call filled; the others are one shared frozen empty list', async () => {
    const agent = await deploy();
    const echo = sandbox.run(work(agent, 'echo:one'));
    assert.equal(echo.status, 'ok');
    assert.deepEqual(shared(echo), ['timers', 'directory', 'stateWrites', 'http', 'logs']);
    assert.equal(echo.outbox.length, 1);
    assert.ok(!Object.isFrozen(echo.outbox), "a filled list is the result's own");
    assert.equal(echo.timers, echo.logs, 'one list for all the unused effects');
    assert.throws(() => (echo.logs as unknown[]).push('x'), TypeError, 'nothing can add to the shared list');
    const logged = sandbox.run(work(agent, 'log:hello'));
    assert.deepEqual(shared(logged), ['outbox', 'timers', 'directory', 'stateWrites', 'http']);
    assert.deepEqual(
      logged.logs.map((l) => l.message),
      ['hello'],
    );
  });

  it('no later call adds to a list an earlier result holds', async () => {
    const agent = await deploy();
    const results = ['echo:first', 'log:a', 'echo:second', 'timer:50', 'register:x', 'log:b', 'echo:third'].map((c) =>
      sandbox.run(work(agent, c)),
    );
    for (const r of results) assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.deepEqual(
      results.map((r) => r.outbox.map((m) => m.content)),
      [['first'], [], ['second'], [], [], [], ['third']],
    );
    assert.deepEqual(
      results.map((r) => r.logs.map((l) => l.message)),
      [[], ['a'], [], [], [], ['b'], []],
    );
    assert.deepEqual(
      results.map((r) => r.timers.map((t) => t.token)),
      [[], [], [], ['t-50'], [], [], []],
    );
    assert.deepEqual(
      results.map((r) => r.directory.length),
      [0, 0, 0, 0, 1, 0, 0],
    );
  });

  it('with a clock, a call starts at its reading and leaves its own end there for the next item', async () => {
    const agent = sandbox.agent(await deploy())!;
    const clock: ItemClock = { at: performance.now() - 50 };
    const before = performance.now();
    const r = agent.run(work(agent.name, 'echo:timed'), clock);
    const after = performance.now();
    assert.equal(r.status, 'ok');
    assert.ok(r.durationUs >= 50_000, `timed from the clock's reading 50 ms ago: ${r.durationUs} us`);
    assert.ok(clock.at >= before && clock.at <= after, "the call's end is the next item's start");
    // A crash is timed and hands on its end the same way.
    const start = performance.now() - 20;
    clock.at = start;
    const crashed = agent.run(work(agent.name, 'trap'), clock);
    assert.equal(crashed.status, 'crashed');
    assert.ok(crashed.durationUs >= 20_000 && clock.at > start);
  });
});
