/**
 * Containment with real Rust agents (built by `caxton build` from examples/, through Debian's
 * rustc) in the real sandbox: a loop ends out of fuel, a memory bomb stops at the cap, a panic
 * is a trap whose next message gets a fresh instance, the same messages cost the same fuel, and
 * Rust's standard library cannot reach a host file, the environment or a socket (the target has
 * no WASI at all: the component imports only caxton:agent/host). The echo and contract-net
 * examples answer as their AssemblyScript counterparts do.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent, loadJco } from '@caxton/toolchain';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { REPO } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

/** Cold cargo builds share the CPUs with other builds: minutes, not seconds, to be safe. */
const BUILD_TIMEOUT = 10 * 60_000;

let sandbox: Sandbox;
const artifacts: Record<string, Uint8Array> = {};
let n = 0;

async function build(example: string): Promise<Uint8Array> {
  const r = await buildAgent(path.join(REPO, 'examples', example), { reuse: true });
  assert.equal(r.language, 'rust');
  return new Uint8Array(await readFile(r.artifactPath));
}

async function deploy(artifact: string, limits: Record<string, number> = {}, config: Record<string, string> = {}): Promise<string> {
  const name = `rust-${artifact.replace(/\W+/g, '-')}-${++n}@test`;
  await sandbox.deploy({ name, artifact: artifacts[artifact]!, limits: { fuelPerMessage: 5_000_000, memoryPages: 64, ...limits }, config });
  return name;
}

function run(agent: string, content: string, extra = {}): WorkResult {
  return sandbox.run(work(agent, content, extra));
}

function contents(r: WorkResult): (string | undefined)[] {
  return r.outbox.map((m) => m.content);
}

before(
  async () => {
    sandbox = testSandbox();
    artifacts['probe'] = await build('hostile/rust-probe');
    artifacts['echo'] = await build('rust-echo');
    artifacts['contractor'] = await build('contract-net/rust-contractor');
  },
  { timeout: BUILD_TIMEOUT },
);

describe('Rust agents answer through the real sandbox', () => {
  it('rust-echo answers a request with an inform echoing the content', async () => {
    const agent = await deploy('echo');
    const r = run(agent, 'héllo wörld ✓');
    assert.equal(r.status, 'ok');
    assert.equal(r.outbox.length, 1);
    assert.equal(r.outbox[0]!.performative, 'inform');
    assert.equal(r.outbox[0]!.content, 'héllo wörld ✓', 'UTF-8 round-trips');
    assert.equal(r.outbox[0]!.conversationId, 'conv-1');
    assert.equal(r.outbox[0]!.inReplyTo, 'rw-1');
    assert.deepEqual(
      r.outbox[0]!.receivers.map((a) => a.name),
      ['tester@test'],
    );
  });

  it('an empty string reaches a Rust agent as empty, not absent (direct path, decision 2203)', async () => {
    const agent = await deploy('echo');
    const r = run(agent, '');
    assert.equal(r.status, 'ok');
    assert.equal(r.outbox[0]!.content, '', 'Some("") stays Some(""): the host lowers "" at a non-null address');
  });

  it('rust-contractor proposes its configured price, performs when accepted, refuses when told to', async () => {
    const c = await deploy('contractor', {}, { price: '42' });
    const cfp = run(c, 'deliver parcel', { performative: 'cfp', protocol: 'fipa-contract-net' });
    assert.equal(cfp.status, 'ok');
    assert.deepEqual(
      cfp.outbox.map((m) => [m.performative, m.content, m.protocol]),
      [['propose', '42', 'fipa-contract-net']],
    );
    const award = run(c, 'deliver parcel', { performative: 'accept-proposal', protocol: 'fipa-contract-net' });
    assert.deepEqual(
      award.outbox.map((m) => m.performative),
      ['inform'],
    );
    assert.match(award.outbox[0]!.content ?? '', /^done: deliver parcel by rust-contractor-\d+@test for 42$/);
    const decliner = await deploy('contractor', {}, { decline: 'true' });
    const refused = run(decliner, 'x', { performative: 'cfp', protocol: 'fipa-contract-net' });
    assert.deepEqual(
      refused.outbox.map((m) => [m.performative, m.content]),
      [['refuse', 'not taking work']],
    );
    await assert.rejects(deploy('contractor', {}, { price: 'cheap' }), /price/);
  });
});

describe('Rust agents are contained', () => {
  it('keeps state in its own instance', async () => {
    const a = await deploy('probe');
    const b = await deploy('probe');
    assert.deepEqual(contents(run(a, 'count')), ['1']);
    assert.deepEqual(contents(run(a, 'count')), ['2']);
    assert.deepEqual(contents(run(b, 'count')), ['1']);
  });

  it('an infinite loop ends out of fuel and the next message gets a fresh instance', async () => {
    const budget = 1_000_000;
    const agent = await deploy('probe', { fuelPerMessage: budget });
    run(agent, 'count');
    const r = run(agent, 'spin');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
    assert.ok(r.fuelUsed >= budget && r.fuelUsed < budget + 1_000, `fuel used ${r.fuelUsed}`);
    assert.deepEqual(r.outbox, []);
    assert.deepEqual(contents(run(agent, 'count')), ['1'], 'a fresh instance');
    assert.equal(sandbox.metrics(agent)!.instantiations, 2);
  });

  it('a memory bomb stops at the cap (never the host) and the agent goes on', async () => {
    const agent = await deploy('probe', { memoryPages: 48, fuelPerMessage: 500_000_000 });
    const r = run(agent, 'bomb');
    assert.ok(r.status === 'crashed' || r.status === 'rejected', `status ${r.status}`);
    if (r.status === 'crashed') assert.ok(['out-of-memory', 'trap'].includes(r.kind), `kind ${r.kind}: ${r.message}`);
    assert.ok(sandbox.metrics(agent)!.memoryPages <= 48);
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
  });

  it('a panic is a trap; the next message gets a fresh instance', async () => {
    const agent = await deploy('probe');
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
    const r = run(agent, 'panic');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'trap');
    assert.match(r.status === 'crashed' ? r.message : '', /unreachable/);
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
  });

  it('unbounded recursion is contained', async () => {
    const agent = await deploy('probe', { fuelPerMessage: 500_000_000 });
    const r = run(agent, 'recurse');
    assert.equal(r.status, 'crashed');
    assert.ok(
      r.status === 'crashed' && ['stack-overflow', 'out-of-memory', 'trap'].includes(r.kind),
      `kind ${r.status === 'crashed' ? r.kind : ''}`,
    );
    assert.deepEqual(contents(run(agent, 'echo:after')), ['after']);
  });

  it('an Err from handle is an application-level failure, not a crash', async () => {
    const agent = await deploy('probe');
    const r = run(agent, 'reject:no thanks');
    assert.equal(r.status, 'rejected');
    assert.equal(r.status === 'rejected' && r.reason, 'no thanks');
  });

  it('the same messages cost identical fuel across fresh instances', async () => {
    const script = ['echo:one', 'count', 'fib:15', 'count', 'reject:no', 'fs'];
    const trace = async (): Promise<number[]> => {
      const agent = await deploy('probe');
      return script.map((c) => run(agent, c).fuelUsed);
    };
    const first = await trace();
    assert.deepEqual(await trace(), first);
    assert.ok(first.every((f) => f > 0));
  });

  it("Rust's standard library cannot open a host file, read the environment or open a socket", async () => {
    const agent = await deploy('probe');
    const [fs] = contents(run(agent, 'fs'));
    const [env] = contents(run(agent, 'env'));
    const [net] = contents(run(agent, 'net'));
    assert.match(fs ?? '', /^denied: /, fs);
    assert.match(env ?? '', /^denied: /, env);
    const listed = run(agent, 'envs');
    assert.equal(listed.status === 'crashed' && listed.kind, 'trap', 'listing the environment is unsupported: a contained trap');
    assert.deepEqual(listed.outbox, []);
    assert.match(net ?? '', /^denied: /, net);
    const { api } = await loadJco([path.join(REPO, 'runtime')]);
    const wit = await api.componentWit(artifacts['probe']!);
    assert.doesNotMatch(wit, /wasi/, 'the component imports no WASI interface');
    assert.match(wit, /import caxton:agent\/host@0\.1\.0;/);
  });
});
