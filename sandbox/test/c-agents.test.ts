/**
 * C agents (clang + wasi-libc + sdk-c) through the real sandbox: examples/c-echo, the contract-net
 * contractor, the C SDK's own test agent (sdk-c/test) and the hostile agents under
 * examples/hostile/c-*, built here with the real build (reused when up to date). An infinite loop
 * ends out of fuel, a memory bomb stops at the cap, traps are contained and the next message gets a
 * fresh instance, fuel is identical across runs, and wasi-libc cannot reach the host's files,
 * environment or sockets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent, CompileError, ensureToolchain } from '@caxton/toolchain';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { REPO } from './fixtures/build.js';
import { testSandbox, work } from './helpers.js';

const PROJECTS = {
  echo: 'examples/c-echo',
  contractor: 'examples/contract-net/c-contractor',
  sdkTest: 'sdk-c/test/agent',
  loop: 'examples/hostile/c-infinite-loop',
  bomb: 'examples/hostile/c-memory-bomb',
  trap: 'examples/hostile/c-trap',
  wasi: 'examples/hostile/c-wasi-probe',
} as const;

const artifacts: Partial<Record<keyof typeof PROJECTS, Uint8Array>> = {};
let sandbox: Sandbox;
let n = 0;

async function deploy(
  which: keyof typeof PROJECTS,
  limits: Record<string, number> = {},
  config: Record<string, string> = {},
): Promise<string> {
  const name = `c-${which}-${++n}@test`;
  await sandbox.deploy({ name, artifact: artifacts[which]!, limits: { fuelPerMessage: 5_000_000, memoryPages: 32, ...limits }, config });
  return name;
}

function run(agent: string, content: string, extra: Parameters<typeof work>[2] = {}): WorkResult {
  return sandbox.run(work(agent, content, extra));
}

function contents(r: WorkResult): (string | undefined)[] {
  return r.outbox.map((m) => m.content);
}

before(async () => {
  await ensureToolchain('c', () => undefined);
  for (const [key, rel] of Object.entries(PROJECTS)) {
    // The SDK's test agent builds outside the checkout (sdk-c/ has no git-ignored build folder),
    // into a directory kept between runs for `reuse` (a known cache to scripts/test-run/temp-leftovers.mjs).
    const outDir = key === 'sdkTest' ? join(tmpdir(), `caxton-c-sdk-test-${process.getuid?.() ?? 0}`) : undefined;
    const r = await buildAgent(join(REPO, rel), { reuse: true, ...(outDir ? { outDir } : {}) });
    artifacts[key as keyof typeof PROJECTS] = new Uint8Array(readFileSync(r.artifactPath));
  }
  sandbox = testSandbox();
});

describe('C agents on the direct path', () => {
  it('the echo answers inform with the content, in the conversation, on the direct (utf8) path', async () => {
    const agent = await deploy('echo');
    assert.equal(sandbox.agent(agent)!.artifact.manifest.path, 'direct');
    const r = run(agent, 'héllo wörld ✓');
    assert.equal(r.status, 'ok');
    assert.deepEqual(
      r.outbox.map((m) => [m.performative, m.content, m.conversationId, m.inReplyTo, m.receivers[0]?.name]),
      [['inform', 'héllo wörld ✓', 'conv-1', 'rw-1', 'tester@test']],
    );
  });

  it('empty content reaches the agent as an empty string, not none (caxton_opt keeps it)', async () => {
    const agent = await deploy('echo');
    const r = run(agent, '');
    assert.equal(r.status, 'ok');
    assert.equal(r.outbox[0]!.content, '', 'an empty content is echoed as empty, not dropped');
  });

  it('memory stays flat: what the host allocates for a message is freed after it (post-return)', async () => {
    const agent = await deploy('echo');
    run(agent, 'warm up');
    const pages = sandbox.metrics(agent)!.memoryPages;
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 300; i++) assert.equal(run(agent, `${big}${i}`).status, 'ok');
    assert.equal(sandbox.metrics(agent)!.memoryPages, pages);
  });

  it("the C SDK's own tests (sdk-c/test, C) pass inside the sandbox", async () => {
    // The SDK reads no JSON since decision 2193 (the host reads A2A answers): this file's small
    // defaults hold its checks.
    const agent = await deploy('sdkTest');
    const r = run(agent, 'run', { userParams: { 'X-probe': 'yes' } });
    assert.equal(r.status, 'ok', JSON.stringify(r));
    const report = r.outbox.find((m) => m.content?.startsWith('sdk-test'))?.content ?? JSON.stringify(r.outbox);
    assert.match(report, /^sdk-test ok \d+ checks$/, report);
  });

  it('the contractor proposes its configured price, refuses when told to, performs when accepted', async () => {
    const priced = await deploy('contractor', {}, { price: '42' });
    assert.deepEqual(
      run(priced, 'carry a box', { performative: 'cfp' }).outbox.map((m) => [m.performative, m.content]),
      [['propose', '42']],
    );
    const done = run(priced, 'carry a box', { performative: 'accept-proposal' });
    assert.deepEqual(
      done.outbox.map((m) => m.performative),
      ['inform'],
    );
    assert.match(done.outbox[0]!.content ?? '', /^done: carry a box by c-contractor-\d+@test for 42$/);
    const declining = await deploy('contractor', {}, { decline: 'true' });
    assert.deepEqual(
      run(declining, 'x', { performative: 'cfp' }).outbox.map((m) => [m.performative, m.content]),
      [['refuse', 'not taking work']],
    );
    const expired = run(priced, 'late', { performative: 'cfp', replyBy: 1 });
    assert.deepEqual(expired.outbox, [], 'an expired cfp gets no bid');
    const stable = await deploy('contractor');
    const bid = Number(run(stable, 'x', { performative: 'cfp' }).outbox[0]?.content);
    assert.ok(bid >= 10 && bid <= 99, `a stable price from the name: ${bid}`);
    await assert.rejects(deploy('contractor', {}, { price: 'cheap' }), /price must be a non-negative number/);
  });
});

describe('hostile C agents are contained', () => {
  it('an infinite loop ends out of fuel; the next message gets a fresh instance', async () => {
    const budget = 1_000_000;
    const agent = await deploy('loop', { fuelPerMessage: budget });
    assert.deepEqual(contents(run(agent, 'count')), ['1']);
    assert.deepEqual(contents(run(agent, 'count')), ['2']);
    const r = run(agent, 'spin');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
    assert.ok(r.fuelUsed >= budget && r.fuelUsed < budget + 1_000, `fuel used ${r.fuelUsed}`);
    assert.deepEqual(r.outbox, []);
    assert.deepEqual(contents(run(agent, 'count')), ['1'], 'a fresh instance: the counter starts over');
    assert.equal(sandbox.metrics(agent)!.instantiations, 2);
  });

  it('a malloc bomb stops at the memory cap (out-of-memory), never the host', async () => {
    const agent = await deploy('bomb', { memoryPages: 48 });
    const r = run(agent, 'bomb');
    assert.equal(r.status, 'crashed');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-memory');
    assert.match(r.status === 'crashed' ? r.message : '', /refused by the cap of 48 pages/);
    assert.deepEqual(contents(run(agent, 'count')), ['1'], 'a fresh, healthy instance');
    // malloc returning NULL is visible to a careful agent: it answers instead of crashing.
    const soft = run(agent, 'soft');
    assert.equal(soft.status, 'ok');
    assert.match(soft.outbox[0]?.content ?? '', /^got \d+ MiB$/);
    assert.ok(sandbox.metrics(agent)!.memoryPages <= 48);
  });

  for (const kind of ['trap', 'abort', 'null'] as const) {
    it(`a trap (${kind}) is contained: its outbox is discarded and the next message gets a fresh instance`, async () => {
      const agent = await deploy('trap');
      assert.deepEqual(contents(run(agent, 'count')), ['1']);
      assert.deepEqual(contents(run(agent, 'count')), ['2']);
      const r = run(agent, kind);
      assert.equal(r.status === 'crashed' && r.kind, 'trap');
      assert.match(r.status === 'crashed' ? r.message : '', kind === 'null' ? /out of bounds/ : /unreachable/);
      assert.deepEqual(r.outbox, []);
      assert.deepEqual(contents(run(agent, 'count')), ['1']);
      assert.equal(sandbox.metrics(agent)!.instantiations, 2);
    });
  }

  it('the same messages cost identical fuel, message by message, across fresh instances', async () => {
    const script: Array<[keyof typeof PROJECTS, string, Record<string, unknown>]> = [
      ['echo', 'one', {}],
      ['echo', 'two two', {}],
      ['contractor', 'job', { performative: 'cfp' }],
      ['contractor', 'job', { performative: 'accept-proposal' }],
      ['trap', 'count', {}],
      ['trap', 'count', {}],
    ];
    const trace = async (): Promise<number[]> => {
      const agents = {
        echo: await deploy('echo'),
        contractor: await deploy('contractor', {}, { price: '7' }),
        trap: await deploy('trap'),
      } as Record<string, string>;
      return script.map(([a, c, extra]) => run(agents[a]!, c, extra).fuelUsed);
    };
    const first = await trace();
    assert.deepEqual(await trace(), first);
    assert.ok(first.every((f) => f > 0));
    // After a crash, the fresh instance pays the same per message.
    const agent = await deploy('trap');
    assert.equal(run(agent, 'trap').status, 'crashed');
    assert.deepEqual([run(agent, 'count').fuelUsed, run(agent, 'count').fuelUsed], first.slice(4));
  });

  it('wasi-libc cannot read the environment, open a host file or a directory', async () => {
    const agent = await deploy('wasi', { fuelPerMessage: 20_000_000, memoryPages: 64 });
    assert.equal(sandbox.agent(agent)!.artifact.manifest.path, 'jco', 'WASI imports go through the adapter and the deny-by-default shim');
    const r = run(agent, 'probe');
    assert.equal(r.status, 'ok', JSON.stringify(r));
    const report = r.outbox[0]?.content ?? '';
    assert.match(report, /^env=count:0,home:-,path:- fopen=errno:\d+ read=0 open=errno:\d+ sock=skipped$/, report);
    assert.doesNotMatch(report, /=ok/);
  });

  it('wasi-libc cannot accept on a socket (the adapter traps; contained like any trap)', async () => {
    const agent = await deploy('wasi', { fuelPerMessage: 20_000_000, memoryPages: 64 }, { 'probe-sockets': 'true' });
    const r = run(agent, 'probe');
    if (r.status === 'ok') assert.match(r.outbox[0]?.content ?? '', /sock=errno:\d+$/);
    else assert.equal(r.status === 'crashed' && r.kind, 'trap');
    assert.deepEqual(
      r.outbox.filter((m) => /sock=ok/.test(m.content ?? '')),
      [],
    );
  });
});

describe('building C agents', () => {
  it("a compile error keeps clang's message, with file and line", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caxton-c-broken-'));
    try {
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'caxton.json'), '{ "language": "c" }\n');
      await writeFile(
        join(dir, 'src', 'agent.c'),
        '#include <caxton.h>\nvoid caxton_on_message(const caxton_message *m) {\n  int x = ;\n}\n',
      );
      await assert.rejects(buildAgent(dir), (err: unknown) => {
        assert.ok(err instanceof CompileError, String(err));
        assert.match(err.message, /src\/agent\.c:3:11: error: expected expression/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a libc call that needs WASI is refused at build time, naming the import', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caxton-c-printf-'));
    try {
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'caxton.json'), '{ "language": "c" }\n');
      await writeFile(
        join(dir, 'src', 'agent.c'),
        '#include <caxton.h>\n#include <stdlib.h>\nvoid caxton_on_message(const caxton_message *m) {\n  caxton_info(getenv("HOME"));\n}\n',
      );
      await assert.rejects(buildAgent(dir), /imports wasi_snapshot_preview1\.environ/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
