/**
 * Python agents (componentize-py: CPython inside the component, the jco path) through the real
 * sandbox: examples/py-echo and the hostile examples/hostile/py-* agents, built here with the
 * Caxton build library (reusing up-to-date artifacts, like scripts/build-examples.mjs).
 * Every misbehaviour ends as a typed result of that agent only: an infinite loop runs out of fuel,
 * a memory bomb stops at the cap, an uncaught exception traps and the next message gets a fresh
 * instance, the same message costs the same fuel every time, and CPython's own os/open/socket find
 * nothing behind the deny-by-default WASI.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent } from '@caxton/toolchain';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { REPO } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

const AGENTS = {
  echo: 'py-echo',
  loop: 'hostile/py-infinite-loop',
  bomb: 'hostile/py-memory-bomb',
  poison: 'hostile/py-poison',
  probe: 'hostile/py-wasi-probe',
  contractor: 'contract-net/py-contractor',
  initiator: 'contract-net/py-initiator',
} as const;
type AgentKey = keyof typeof AGENTS;

/** A Python agent takes ~12 MiB at rest: 24 MiB leaves room for messages (the node default is 16 MiB). */
const LIMITS = { fuelPerMessage: 20_000_000, memoryPages: 384 };

let sandbox: Sandbox;
const artifacts = new Map<AgentKey, Uint8Array>();
let n = 0;

async function deploy(key: AgentKey, limits: Partial<typeof LIMITS> = {}, config: Record<string, string> = {}): Promise<string> {
  const name = `py-${key}-${++n}@test`;
  await sandbox.deploy({ name, artifact: artifacts.get(key) as Uint8Array, limits: { ...LIMITS, ...limits }, config });
  return name;
}

function run(agent: string, content: string): WorkResult {
  return sandbox.run(work(agent, content));
}

const crashKind = (r: WorkResult): string | false => r.status === 'crashed' && r.kind;

describe('Python agents in the sandbox', { timeout: 30 * 60_000 }, () => {
  before(async () => {
    const { readFile } = await import('node:fs/promises');
    for (const [key, dir] of Object.entries(AGENTS) as [AgentKey, string][]) {
      const built = await buildAgent(path.join(REPO, 'examples', dir), { reuse: true });
      assert.equal(built.language, 'python');
      artifacts.set(key, new Uint8Array(await readFile(built.artifactPath)));
    }
    sandbox = testSandbox();
  });

  it('py-echo answers on the jco path, fits the default memory cap, and reports its cost', async (t) => {
    const agent = await deploy('echo');
    assert.equal(sandbox.agent(agent)!.artifact.manifest.path, 'jco');
    const r = run(agent, 'hello');
    assert.equal(r.status, 'ok');
    assert.deepEqual(
      r.outbox.map((m) => [m.performative, m.content, m.inReplyTo]),
      [['inform', 'hello', 'rw-1']],
    );
    const again = run(agent, 'hello');
    const pages = sandbox.metrics(agent)!.memoryPages;
    t.diagnostic(
      `py-echo: ${artifacts.get('echo')!.byteLength} bytes, init fuel ${r.initFuelUsed}, handle fuel ${again.fuelUsed}, memory ${pages} pages`,
    );
    assert.ok(pages <= 256, `a Python echo must fit the 16 MiB default (uses ${pages} pages)`);
  });

  it('an infinite loop ends out of fuel, and the next message gets a fresh instance', async () => {
    const agent = await deploy('loop', { fuelPerMessage: 5_000_000 });
    const r = run(agent, 'spin');
    assert.equal(crashKind(r), 'out-of-fuel');
    assert.deepEqual([r.outbox, r.timers], [[], []]);
    const next = run(agent, 'spin again');
    assert.equal(crashKind(next), 'out-of-fuel', 'a fresh instance, stopped again');
    assert.ok(next.initFuelUsed > 0, 'the restart paid for a new instance and its init');
  });

  it('a spinning init fails the deployment within the budget', async () => {
    await assert.rejects(deploy('loop', { fuelPerMessage: 5_000_000 }, { 'spin-in': 'init' }), /fuel/i);
  });

  it('a memory bomb stops at the cap, never the host', async (t) => {
    const agent = await deploy('bomb', { memoryPages: 320 });
    const r = run(agent, 'boom');
    t.diagnostic(`memory bomb: ${r.status}${r.status === 'crashed' ? ` ${r.kind}: ${r.message.slice(0, 160)}` : ''}`);
    assert.ok(r.status === 'crashed' || r.status === 'rejected', `status ${r.status}`);
    if (r.status === 'crashed') assert.ok(['out-of-memory', 'trap'].includes(r.kind), `crash kind ${r.kind}: ${r.message}`);
    assert.ok(sandbox.metrics(agent)!.memoryPages <= 320, 'never above the cap');
    assert.deepEqual(r.outbox, []);
  });

  it('leaking per message grows the instance until the cap; each message holds what the last left', async () => {
    const agent = await deploy('bomb', {}, { 'leak-kb-per-message': '256' });
    const sizes = ['a', 'b', 'c'].map((c) => run(agent, c).outbox[0]?.content);
    assert.deepEqual(sizes, ['256', '512', '768']);
  });

  it('an uncaught exception is a trap: logged, effects discarded, the next message gets a fresh instance', async () => {
    const agent = await deploy('poison', {}, { poison: 'TOXIC' });
    assert.deepEqual(
      run(agent, 'one').outbox.map((m) => m.content),
      ['one #1'],
    );
    const r = run(agent, 'a TOXIC payload');
    assert.equal(crashKind(r), 'trap');
    assert.deepEqual(r.outbox, []);
    assert.ok(
      r.logs.some((l) => l.level === 'error' && /RuntimeError: py-poison: swallowed TOXIC/.test(l.message)),
      'the traceback is logged',
    );
    const next = run(agent, 'two');
    assert.equal(next.status, 'ok');
    assert.deepEqual(
      next.outbox.map((m) => m.content),
      ['two #1'],
      'a fresh instance: its counter starts again',
    );
    assert.ok(next.initFuelUsed > 0);
  });

  it('the same messages cost the same fuel, message by message, across fresh instances', async () => {
    const script = ['one', 'two', 'a longer message with more text to copy', 'one'];
    const trace = async (): Promise<number[]> => {
      const agent = await deploy('echo');
      return script.map((c) => {
        const r = run(agent, c);
        assert.equal(r.status, 'ok');
        return r.fuelUsed;
      });
    };
    const first = await trace();
    const second = await trace();
    assert.deepEqual(second, first);
    assert.ok(first.every((f) => f > 0));
  });

  it('CPython cannot read the environment, open a host file or open a socket', async (t) => {
    const agent = await deploy('probe');
    const r = run(agent, 'probe');
    assert.equal(r.status, 'ok');
    const report = r.outbox[0]?.content ?? '';
    t.diagnostic(`wasi probe: ${report}`);
    assert.match(report, /^env=0 /, report);
    // No preopened directory: every path is absent. Sockets: the shim answers access-denied.
    assert.match(report, / listdir=error:FileNotFoundError /, report);
    assert.match(report, / open=error:FileNotFoundError /, report);
    assert.match(report, / sock=error:PermissionError /, report);
    assert.match(report, / clock=ok$/, report);
  });

  describe('contract net in Python', () => {
    const far = () => Date.now() + 3_600_000;

    it('the contractor proposes its configured price, performs when accepted, and refuses when told to', async () => {
      const agent = await deploy('contractor', {}, { price: '42' });
      const cfp = run(agent, 'haul 3 crates');
      assert.equal(cfp.status, 'ok');
      const cfpWork = work(agent, 'haul 3 crates', {
        performative: 'cfp',
        protocol: 'fipa-contract-net',
        replyBy: far(),
        conversationId: 'cn-1',
      });
      const proposed = sandbox.run(cfpWork);
      assert.deepEqual(
        proposed.outbox.map((m) => [m.performative, m.content, m.conversationId, m.protocol]),
        [['propose', '42', 'cn-1', 'fipa-contract-net']],
      );
      const accepted = sandbox.run(work(agent, 'haul 3 crates', { performative: 'accept-proposal', conversationId: 'cn-1' }));
      assert.deepEqual(
        accepted.outbox.map((m) => [m.performative, m.content]),
        [['inform', `done: haul 3 crates by ${agent} for 42`]],
      );
      const expired = sandbox.run(work(agent, 'late', { performative: 'cfp', replyBy: 1000, conversationId: 'cn-2' }));
      assert.deepEqual(expired.outbox, [], 'an expired cfp gets no proposal');

      const decliner = await deploy('contractor', {}, { decline: 'true' });
      const refused = sandbox.run(work(decliner, 'haul', { performative: 'cfp', replyBy: far() }));
      assert.deepEqual(
        refused.outbox.map((m) => [m.performative, m.content]),
        [['refuse', 'not taking work']],
      );
    });

    it('the initiator calls for proposals, accepts the cheapest, rejects the rest and reports the result', async () => {
      const agent = await deploy('initiator', {}, { contractors: 'c1,c2,c3', 'deadline-ms': '5000' });
      const started = run(agent, 'move the piano');
      assert.equal(started.status, 'ok');
      assert.deepEqual(
        started.outbox.map((m) => m.performative),
        ['agree', 'cfp'],
      );
      const cfp = started.outbox[1]!;
      assert.deepEqual(
        cfp.receivers.map((r) => r.name),
        ['c1@caxton', 'c2@caxton', 'c3@caxton'],
      );
      assert.equal(cfp.protocol, 'fipa-contract-net');
      assert.ok((cfp.replyBy ?? 0) > Date.now() - 60_000, 'the cfp carries reply-by');
      assert.equal(started.timers.length, 1, 'a timer for the deadline');
      const answer = (from: string, performative: string, content: string) =>
        sandbox.run(
          work(agent, content, {
            performative: performative as 'propose',
            sender: { name: from },
            conversationId: cfp.conversationId!,
            inReplyTo: cfp.replyWith!,
          }),
        );
      assert.deepEqual(answer('c1@caxton', 'propose', '30').outbox, []);
      assert.deepEqual(answer('c3@caxton', 'refuse', 'busy').outbox, []);
      const decided = answer('c2@caxton', 'propose', '20');
      assert.deepEqual(decided.outbox.map((m) => [m.performative, m.receivers[0]?.name]).sort(), [
        ['accept-proposal', 'c2@caxton'],
        ['reject-proposal', 'c1@caxton'],
      ]);
      assert.ok(decided.logs.some((l) => /awarding "move the piano" to c2@caxton at 20/.test(l.message)));
      const done = answer('c2@caxton', 'inform', 'done: move the piano');
      assert.deepEqual(
        done.outbox.map((m) => [m.performative, m.content, m.receivers[0]?.name]),
        [['inform', 'done: move the piano', 'tester@test']],
      );
    });

    it('the initiator closes the round at the deadline timer and fails when nobody bid', async () => {
      const agent = await deploy('initiator', {}, { contractors: 'c1', 'deadline-ms': '100' });
      const started = run(agent, 'paint the fence');
      const token = started.timers[0]!.token;
      const closed = sandbox.run({ kind: 'timer', id: 'tm-1', agent, token });
      assert.deepEqual(
        closed.outbox.map((m) => [m.performative, m.content]),
        [['failure', 'no proposals for: paint the fence']],
      );
      const late = sandbox.run(
        work(agent, '10', { performative: 'propose', sender: { name: 'c1@caxton' }, conversationId: started.outbox[1]!.conversationId! }),
      );
      assert.deepEqual(
        late.outbox.map((m) => [m.performative, m.content]),
        [['reject-proposal', 'too late']],
      );
    });
  });
});
