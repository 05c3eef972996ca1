/**
 * Containment with a real Go agent (examples/hostile/go-probe, built by the real `caxton build`
 * with the machine's Go) through the real sandbox: every way a Go guest can misbehave ends as a
 * typed crash of that agent only, the next message gets a fresh instance, fuel is deterministic,
 * and Go's runtime and standard library reach no host file, environment variable or socket.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { buildAgent } from '@caxton/toolchain';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { REPO } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

let sandbox: Sandbox;
let probe: Uint8Array;
let n = 0;

async function deploy(limits: Record<string, number> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const name = `go-probe-${++n}@test`;
  await sandbox.deploy({ name, artifact: probe, limits: { fuelPerMessage: 20_000_000, ...limits }, ...extra });
  return name;
}

function run(agent: string, content: string): WorkResult {
  return sandbox.run(work(agent, content));
}

function contents(r: WorkResult): (string | undefined)[] {
  return r.outbox.map((m) => m.content);
}

function logText(r: WorkResult): string {
  return r.logs.map((l) => l.message).join('\n');
}

before(async () => {
  // Cached by source hash beside the example (scripts/build-examples.mjs builds the same artifact).
  const built = await buildAgent(join(REPO, 'examples', 'hostile', 'go-probe'), { reuse: true });
  assert.equal(built.language, 'go');
  probe = new Uint8Array(await readFile(built.artifactPath));
  sandbox = testSandbox();
});

describe('a Go agent keeps its state between messages, and only its own', () => {
  it('counts in its own memory, within the default memory cap', async () => {
    const a = await deploy();
    const b = await deploy();
    assert.deepEqual(contents(run(a, 'count')), ['1']);
    assert.deepEqual(contents(run(a, 'count')), ['2']);
    assert.deepEqual(contents(run(b, 'count')), ['1']);
    assert.equal(sandbox.metrics(a)!.instantiations, 1);
    // Go's runtime at rest: about 40 pages (2.5 MiB) of the default 256.
    assert.ok(sandbox.metrics(a)!.memoryPages < 64, `memory at rest: ${sandbox.metrics(a)!.memoryPages} pages`);
  });
});

describe('a Go infinite loop runs out of fuel', () => {
  it('stops within its budget, and the next message is handled by a fresh instance', async () => {
    const budget = 5_000_000;
    const agent = await deploy({ fuelPerMessage: budget });
    run(agent, 'count');
    const r = run(agent, 'spin');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
    assert.ok(r.fuelUsed >= budget, `fuel used ${r.fuelUsed}`);
    assert.deepEqual(r.outbox, []);
    const next = run(agent, 'count');
    assert.equal(next.status, 'ok');
    assert.deepEqual(contents(next), ['1'], 'a fresh instance: the counter starts over');
    assert.equal(sandbox.metrics(agent)!.instantiations, 2);
  });

  it('stops a spinning Init with the init budget and fails the deployment', async () => {
    await assert.rejects(
      deploy({ fuelPerInit: 3_000_000 }, { config: { 'spin-init': '1' } }),
      (err: { code: string; context: Record<string, unknown> }) =>
        err.code === 'sandbox.agent.init-failed' && err.context['kind'] === 'out-of-fuel',
    );
  });
});

describe('a Go memory bomb stops at the cap', () => {
  it('crashes out-of-memory at the cap; the host is untouched and the next message gets a fresh instance', async () => {
    const agent = await deploy({ memoryPages: 96 });
    const r = run(agent, 'bomb');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-memory');
    assert.match(r.status === 'crashed' ? r.message : '', /refused by the cap of 96 pages/);
    assert.match(logText(r), /out of memory/, "Go's own report reaches the log");
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
  });

  it("memory that fits is usable: Go's heap grows past the WASI adapter's state without corrupting it", async () => {
    const agent = await deploy({ memoryPages: 512 });
    assert.deepEqual(contents(run(agent, 'grow:8')), [String(8 << 20)]);
    // Every WASI call goes through the adapter: its state must have survived the heap growth.
    const printed = run(agent, 'print:after');
    assert.equal(printed.status, 'ok', JSON.stringify(printed.logs));
    assert.ok(printed.logs.some((l) => l.message === 'probe says after'));
    assert.deepEqual(contents(run(agent, 'grow:8')), [String(8 << 20)]);
    assert.equal(run(agent, 'time').status, 'ok');
    assert.equal(sandbox.metrics(agent)!.instantiations, 1);
  });
});

describe('Go panics are contained', () => {
  it("a panic is a trap with Go's message in the log; the next message gets a fresh instance", async () => {
    const agent = await deploy();
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
    const r = run(agent, 'panic');
    assert.equal(r.status === 'crashed' && r.kind, 'trap');
    assert.match(logText(r), /panic: probe: deliberate panic/);
    assert.deepEqual(r.outbox, []);
    assert.deepEqual(contents(run(agent, 'count')), ['1'], 'a fresh instance');
  });

  it('a nil dereference is a trap too', async () => {
    const agent = await deploy();
    const r = run(agent, 'nil');
    assert.equal(r.status === 'crashed' && r.kind, 'trap');
    assert.match(logText(r), /nil pointer dereference/);
    assert.deepEqual(contents(run(agent, 'echo:after')), ['after']);
  });

  it('an error returned by Handle is an application failure, not a crash', async () => {
    const agent = await deploy();
    run(agent, 'count');
    const r = run(agent, 'fail:no');
    assert.equal(r.status, 'rejected');
    assert.deepEqual(contents(run(agent, 'count')), ['2'], 'the same instance');
  });
});

describe('Go fuel is deterministic', () => {
  it('the same messages cost the same fuel, message by message, across fresh instances', async () => {
    const script = ['echo:one', 'count', 'print:x', 'fs', 'env', 'count', 'fail:no', 'echo:two'];
    const trace = async (): Promise<number[]> => {
      const agent = await deploy();
      return script.map((c) => run(agent, c).fuelUsed);
    };
    const first = await trace();
    const second = await trace();
    assert.deepEqual(second, first);
    assert.ok(first.every((f) => f > 0));
  });
});

describe("Go's runtime and standard library reach nothing of the host", () => {
  it('os.Open / os.WriteFile find no host file system: only the agent’s own /data (decision 2191), which Go takes as its working directory', async () => {
    const agent = await deploy();
    assert.deepEqual(contents(run(agent, 'fs')), ['/etc/passwd=denied /=denied .=OPENED /proc/self/environ=denied write=denied']);
  });

  it('os.Environ, os.Args and os.Getenv are empty', async () => {
    const agent = await deploy();
    assert.deepEqual(contents(run(agent, 'env')), ['environ=0 args=0 home=""']);
  });

  it("net.Dial and name lookups fail (net.Listen is Go's in-process fake network on wasip1, no host socket)", async () => {
    const agent = await deploy();
    const [answer] = contents(run(agent, 'socket'));
    assert.match(answer ?? '', /^dial=denied listen=\S+ lookup=denied$/);
  });

  it("stdout becomes the agent's log", async () => {
    const agent = await deploy();
    const r = run(agent, 'print:hello');
    assert.ok(
      r.logs.some((l) => l.message === 'probe says hello' && l.source === 'stdout'),
      JSON.stringify(r.logs),
    );
  });
});

describe("examples/contract-net/go-contractor (the SDK's participant helpers, through the sandbox)", () => {
  let contractor: Uint8Array;
  before(async () => {
    const built = await buildAgent(join(REPO, 'examples', 'contract-net', 'go-contractor'), { reuse: true });
    contractor = new Uint8Array(await readFile(built.artifactPath));
  });

  async function deployContractor(name: string, config: Record<string, string>): Promise<string> {
    await sandbox.deploy({ name, artifact: contractor, limits: { fuelPerMessage: 20_000_000 }, config });
    return name;
  }

  const cfp = { performative: 'cfp' as const, protocol: 'fipa-contract-net', replyWith: 'cfp-1' };

  it('proposes its configured price, performs when accepted, and registered its service', async () => {
    const agent = await deployContractor('go-contractor-1@test', { price: '42' });
    const r = sandbox.run(work(agent, 'deliver', cfp));
    assert.deepEqual(
      r.outbox.map((m) => [m.performative, m.content, m.inReplyTo, m.conversationId]),
      [['propose', '42', 'cfp-1', 'conv-1']],
    );
    const accepted = sandbox.run(work(agent, 'deliver', { performative: 'accept-proposal', protocol: 'fipa-contract-net' }));
    assert.deepEqual(
      accepted.outbox.map((m) => [m.performative, m.content]),
      [['inform', 'done: deliver by go-contractor-1@test for 42']],
    );
  });

  it('refuses when configured to decline, and answers other performatives with not-understood', async () => {
    const agent = await deployContractor('go-contractor-2@test', { decline: 'true' });
    assert.deepEqual(
      sandbox.run(work(agent, 'deliver', cfp)).outbox.map((m) => [m.performative, m.content]),
      [['refuse', 'not taking work']],
    );
    assert.deepEqual(
      sandbox.run(work(agent, 'x')).outbox.map((m) => m.performative),
      ['not-understood'],
    );
  });

  it("an invalid price fails the deployment with the agent's own error", async () => {
    await assert.rejects(deployContractor('go-contractor-3@test', { price: 'cheap' }), /config price must be a non-negative number/);
  });
});
