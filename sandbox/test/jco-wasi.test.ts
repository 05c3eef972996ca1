/**
 * A JavaScript (QuickJS) agent on the jco path: same contract and limits as the direct path, and
 * WASI deny-by-default — it cannot read the environment, find a file or open a socket.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Sandbox } from '../src/sandbox.js';
import type { WorkResult } from '../src/results.js';
import { jsProbe } from './fixtures/build.js';
import { testSandbox, timer, work } from './helpers.js';

let sandbox: Sandbox;
let bytes: Uint8Array;
let n = 0;

async function deploy(limits: Record<string, number> = {}, config: Record<string, string> = {}): Promise<string> {
  const name = `js-${++n}@test`;
  await sandbox.deploy({ name, artifact: bytes, limits: { fuelPerMessage: 20_000_000, memoryPages: 160, ...limits }, config });
  return name;
}

const run = (agent: string, content: string): WorkResult => sandbox.run(work(agent, content));
const reply = (r: WorkResult): string | undefined => {
  assert.equal(r.status, 'ok', JSON.stringify(r.status === 'crashed' ? r.message : r));
  return r.outbox[0]?.content;
};

before(async () => {
  bytes = await jsProbe();
  sandbox = testSandbox();
});

describe('a JavaScript agent through jco glue', () => {
  it('handles messages, keeps state, and its sends come back as an outbox with the sender left to the bus', async () => {
    const agent = await deploy();
    const r = run(agent, 'echo:hello');
    assert.equal(reply(r), 'hello');
    assert.equal(r.outbox[0]!.sender, undefined);
    assert.deepEqual(r.outbox[0]!.receivers, [{ name: 'tester@test' }]);
    assert.equal(r.outbox[0]!.inReplyTo, 'rw-1');
    assert.equal(reply(run(agent, 'count')), '1');
    assert.equal(reply(run(agent, 'count')), '2');
    assert.equal(reply(run(agent, 'self')), agent);
  });

  it('returns a thrown string as rejected, logs, and timer firings', async () => {
    const agent = await deploy();
    const r = run(agent, 'reject:not today');
    assert.equal(r.status, 'rejected');
    assert.equal(r.status === 'rejected' && r.reason, 'not today');
    const logged = run(agent, 'log:hello log');
    assert.deepEqual(
      logged.logs.map((l) => [l.level, l.message, l.source]),
      [['info', 'hello log', 'agent']],
    );
    const fired = sandbox.run(timer(agent, 'tick'));
    assert.equal(fired.status, 'ok');
    assert.equal(fired.messageId, null);
    assert.deepEqual(
      fired.logs.map((l) => l.message),
      ['timer tick'],
    );
  });

  it('an infinite loop runs out of fuel, and the next message gets a fresh instance', async () => {
    const agent = await deploy({ fuelPerMessage: 5_000_000 });
    assert.equal(reply(run(agent, 'count')), '1');
    const r = run(agent, 'spin');
    assert.equal(r.status === 'crashed' && r.kind, 'out-of-fuel');
    assert.ok(r.fuelUsed >= 5_000_000 && r.fuelUsed < 5_010_000);
    assert.equal(reply(run(agent, 'count')), '1');
  });

  it('a memory bomb stops at the cap; QuickJS handles the failed growth itself', async () => {
    const agent = await deploy({ memoryPages: 64, fuelPerMessage: 500_000_000 });
    const r = run(agent, 'bomb');
    // memory.grow returned -1 inside the guest; QuickJS turned it into a JS exception that the
    // component returns as an error (a guest may also trap: then it is crashed/out-of-memory).
    if (r.status === 'crashed') assert.equal(r.kind, 'out-of-memory');
    else assert.equal(r.status === 'rejected' && r.reason, 'out of memory');
    const pages = sandbox.metrics(agent)!.memoryPages;
    assert.ok(pages <= 64 + 1, `memories total ${pages} pages: the 64-page cap (plus jco's 0-page shim memory) held`);
    assert.equal(reply(run(agent, 'echo:alive')), 'alive');
  });

  it('unbounded recursion is a stack overflow', async () => {
    const agent = await deploy({ fuelPerMessage: 500_000_000 });
    const r = run(agent, 'recurse');
    assert.equal(r.status === 'crashed' && r.kind, 'stack-overflow');
    assert.equal(reply(run(agent, 'count')), '1');
  });

  it('fails the deployment when init throws', async () => {
    await assert.rejects(deploy({}, { 'fail-init': 'no database' }), /init returned an error: no database/);
  });
});

describe('WASI is deny-by-default', () => {
  it('the agent sees no environment variables, arguments or working directory', async () => {
    process.env['CAXTON_SANDBOX_TEST_SECRET'] = 'hunter2';
    const agent = await deploy();
    const seen = JSON.parse(reply(run(agent, 'env'))!);
    assert.deepEqual(seen, { env: [], args: [], cwd: null });
  });

  it('the agent’s one preopened directory is its own /data (decision 2191), so no host file is reachable', async () => {
    const agent = await deploy();
    assert.equal(reply(run(agent, 'fs')), 'ok:["/data"]');
  });

  it('the agent cannot open a socket or resolve a name', async () => {
    const agent = await deploy();
    assert.equal(reply(run(agent, 'socket')), 'denied:access-denied');
    assert.equal(reply(run(agent, 'dns')), 'denied:access-denied');
  });

  it("stdout lines become the agent's log lines", async () => {
    const agent = await deploy();
    const r = run(agent, 'print:hi');
    assert.equal(r.status, 'ok');
    const lines = r.logs.filter((l) => l.source === 'stdout').map((l) => l.message);
    assert.deepEqual(lines, ['stdout says hi', 'and a partial line'], 'the partial last line is flushed at the end of the call');
  });
});

describe('WASI clocks tick in whole milliseconds', () => {
  it('the monotonic clock reports and keeps a 1 ms resolution (no nanosecond timing channel)', async () => {
    const { createDenyWasi } = await import('../src/wasi/deny-wasi.js');
    const wasi = createDenyWasi({ charge: () => {}, output: () => {} });
    const clock = wasi.imports['wasi:clocks/monotonic-clock'] as { now(): bigint; resolution(): bigint };
    assert.equal(clock.resolution(), 1_000_000n);
    for (let i = 0; i < 10_000; i++) {
      const t = clock.now();
      assert.equal(t % 1_000_000n, 0n, `${t} is not a whole millisecond`);
    }
    const wall = wasi.imports['wasi:clocks/wall-clock'] as { now(): { nanoseconds: number }; resolution(): { nanoseconds: number } };
    assert.equal(wall.resolution().nanoseconds, 1_000_000);
    assert.equal(wall.now().nanoseconds % 1_000_000, 0);
  });
});
