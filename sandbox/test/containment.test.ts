/**
 * Containment with a real AssemblyScript agent on the direct path: every way a guest can misbehave
 * ends as a typed crash of that agent only, the next message gets a fresh instance, and a crash
 * loop ends in `failed` with nothing running.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { asProbe } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

let sandbox: Sandbox;
let probe: Uint8Array;
let n = 0;

async function deploy(limits: Record<string, number> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const name = `probe-${++n}@test`;
  await sandbox.deploy({ name, artifact: probe, limits: { fuelPerMessage: 2_000_000, memoryPages: 32, ...limits }, ...extra });
  return name;
}

function run(agent: string, content: string): WorkResult {
  return sandbox.run(work(agent, content));
}

function contents(r: WorkResult): (string | undefined)[] {
  return r.outbox.map((m) => m.content);
}

before(async () => {
  probe = await asProbe();
  sandbox = testSandbox();
});

describe('an agent keeps its state between messages, and only its own', () => {
  it('counts in its own memory; two agents never share it', async () => {
    const a = await deploy();
    const b = await deploy();
    assert.deepEqual(contents(run(a, 'count')), ['1']);
    assert.deepEqual(contents(run(a, 'count')), ['2']);
    assert.deepEqual(contents(run(b, 'count')), ['1']);
    assert.deepEqual(contents(run(a, 'count')), ['3']);
    assert.equal(sandbox.metrics(a)!.instantiations, 1);
  });
});

describe('an infinite loop runs out of fuel', () => {
  it('stops within its budget, and the next message is handled by a fresh instance', async () => {
    const budget = 1_000_000;
    const agent = await deploy({ fuelPerMessage: budget });
    run(agent, 'count');
    run(agent, 'count');
    const r = run(agent, 'spin');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
    assert.ok(r.fuelUsed >= budget && r.fuelUsed < budget + 1_000, `fuel used ${r.fuelUsed} is the budget plus at most one charge`);
    assert.equal(r.status === 'crashed' && r.error.code, 'sandbox.out-of-fuel');
    assert.deepEqual(r.outbox, []);
    assert.equal(r.state, 'idle');
    const next = run(agent, 'count');
    assert.equal(next.status, 'ok');
    assert.deepEqual(contents(next), ['1'], 'a fresh instance: the counter starts over');
    assert.equal(sandbox.metrics(agent)!.instantiations, 2);
  });

  it('stops a spinning init with the init budget and fails the deployment', async () => {
    await assert.rejects(
      deploy({ fuelPerInit: 500_000 }, { config: { 'spin-init': '1' } }),
      (err: { code: string; context: Record<string, unknown> }) =>
        err.code === 'sandbox.agent.init-failed' && err.context['kind'] === 'out-of-fuel',
    );
  });
});

describe('memory is capped per agent', () => {
  it('a memory bomb stops at the cap as out-of-memory; the host is untouched', async () => {
    const agent = await deploy({ memoryPages: 48 });
    const r = run(agent, 'bomb');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-memory');
    assert.match(r.status === 'crashed' ? r.message : '', /refused by the cap of 48 pages/);
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
  });

  it('a guest that handles memory.grow failing gets -1 exactly at the cap', async () => {
    const agent = await deploy({ memoryPages: 40 });
    const r = run(agent, 'grow');
    assert.equal(r.status, 'rejected');
    assert.equal(r.status === 'rejected' && r.reason, 'memory full at 40 pages');
    assert.equal(sandbox.metrics(agent)!.memoryPages, 40);
    assert.deepEqual(contents(run(agent, 'count')), ['1'], 'still the same, healthy instance');
  });

  it('refuses a cap below what the artifact starts with', async () => {
    await assert.rejects(
      deploy({ memoryPages: 1 }).then(() => deploy({ memoryPages: 0 })),
      /memoryPages: 0 is not a valid memoryPages; it must be a whole number in 1\.\.65,536 \(pages\)/,
    );
  });
});

describe('traps are contained', () => {
  it('unreachable is a trap with its message', async () => {
    const agent = await deploy();
    const r = run(agent, 'trap');
    assert.equal(r.status === 'crashed' && r.kind, 'trap');
    assert.match(r.status === 'crashed' ? r.message : '', /unreachable/);
    assert.equal(run(agent, 'echo:still here').status, 'ok');
  });

  it('unbounded recursion is a stack overflow', async () => {
    const agent = await deploy({ fuelPerMessage: 500_000_000 });
    const r = run(agent, 'recurse');
    assert.equal(r.status === 'crashed' && r.kind, 'stack-overflow');
    assert.deepEqual(contents(run(agent, 'echo:after')), ['after']);
  });

  it('effects of a crashed call are discarded, its logs kept', async () => {
    const agent = await deploy({ fuelPerMessage: 300_000 });
    const ok = run(agent, 'sendmany:3');
    assert.equal(ok.outbox.length, 3);
    const r = run(agent, 'spin');
    assert.equal(r.status, 'crashed');
    assert.deepEqual([r.outbox, r.timers, r.directory], [[], [], []]);
  });
});

describe('fuel is deterministic', () => {
  it('the same messages cost the same fuel, message by message, across fresh instances', async () => {
    const script = ['echo:one', 'count', 'fib:15', 'log:hello', 'register:x', 'count', 'reject:no', 'params'];
    const trace = async () => {
      const agent = await deploy();
      return script.map((c) => run(agent, c).fuelUsed);
    };
    const first = await trace();
    const second = await trace();
    assert.deepEqual(second, first);
    assert.ok(first.every((f) => f > 0));
    // A fresh instance after a crash pays the same, message by message (its init is reported apart).
    const agent = await deploy();
    const crashed = run(agent, 'trap');
    assert.equal(crashed.status, 'crashed');
    const results = script.map((c) => run(agent, c));
    assert.deepEqual(
      results.map((r) => r.fuelUsed),
      first,
    );
    assert.ok(results[0]!.initFuelUsed > 0, 'the restart paid for instantiation and init');
    assert.ok(results.slice(1).every((r) => r.initFuelUsed === 0));
  });

  it('charges in proportion to work', async () => {
    const agent = await deploy({ fuelPerMessage: 100_000_000 });
    run(agent, 'fib:1');
    const base = run(agent, 'fib:1').fuelUsed; // parsing and replying
    const small = run(agent, 'fib:10').fuelUsed - base; // 177 calls of fib
    const large = run(agent, 'fib:20').fuelUsed - base; // 21891 calls
    const ratio = large / small;
    assert.ok(ratio > 100 && ratio < 150, `fib(20)/fib(10) fuel ratio ${ratio.toFixed(1)} should track 21891/177 = 123.7`);
  });
});

describe('crash loops end in failed', () => {
  it('after K restarts in T the agent is failed, nothing runs and its instance is released', async () => {
    const agent = await deploy({}, { restartPolicy: { maxRestarts: 3, windowMs: 60_000 } });
    const kinds = [1, 2, 3].map(() => run(agent, 'trap'));
    assert.ok(kinds.every((r) => r.status === 'crashed' && r.state === 'idle'));
    const last = run(agent, 'trap');
    assert.equal(last.status, 'crashed');
    assert.equal(last.state, 'failed');
    const m = sandbox.metrics(agent)!;
    assert.equal(m.state, 'failed');
    assert.equal(m.restarts, 3);
    assert.equal(m.memoryPages, 0, 'no instance is kept');
    const instantiations = m.instantiations;
    const after = run(agent, 'echo:anyone?');
    assert.equal(after.status, 'not-running');
    assert.equal(after.fuelUsed, 0);
    assert.equal(sandbox.metrics(agent)!.instantiations, instantiations, 'no new instance was made');
  });
});
