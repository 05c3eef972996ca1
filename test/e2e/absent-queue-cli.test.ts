/**
 * Queues for absent agents through the CLI and a real `caxton serve` (decision 1990): the node
 * defaults (`serve --absent-queue/--absent-ttl`) land in a deployment; `stop --keep-queue` keeps
 * the name; sends wait until the queue is full, then exit 7 (`bus.absent-queue-full`, said with its hint);
 * `caxton agents` shows `stopped (n queued)`; a deploy of the name handles what waited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

interface Agent {
  name: string;
  state: string;
  mailboxDepth: number;
  messagesHandled: number;
  limits: Record<string, number>;
  absentQueue?: { queued: number; limit: number; ttlMs: number };
}

describe('absent queues, against a real caxton serve', () => {
  let serve: Serve;
  const wasm = builtExample('as-echo', 'as-echo.wasm');

  before(async () => {
    serve = await startServe({ args: ['--absent-queue', '2', '--absent-ttl', '1h'] });
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  async function agent(name: string): Promise<Agent> {
    const r = await caxton(['agents', name, '--json', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as Agent;
  }

  it("keeps a stopped agent's queue, refuses past it, and delivers it on redeploy", async () => {
    const deployed = await caxton(['deploy', wasm, '--name', 'echo', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    const fresh = await agent('echo');
    assert.equal(fresh.limits['absentQueue'], 2, 'the node default');
    assert.equal(fresh.limits['absentTtlMs'], 3_600_000);

    const stopped = await caxton(['stop', 'echo', '--keep-queue', ...serve.conn]);
    assert.equal(stopped.code, 0, show(stopped));
    assert.match(stopped.stdout, /its queue is kept \(0 waiting\) until it is deployed again/);
    for (const content of ['first', 'second']) {
      const sent = await caxton(['send', 'echo', 'request', content, ...serve.conn]);
      assert.equal(sent.code, 0, show(sent));
    }
    const refused = await caxton(['send', 'echo', 'request', 'third', ...serve.conn]);
    assert.equal(refused.code, 7, show(refused));
    assert.match(refused.stderr, /agent echo is absent and already has 2 messages waiting for it \(its absent queue is full\)/);
    assert.match(refused.stderr, /--absent-queue/);

    const table = await caxton(['agents', ...serve.conn]);
    assert.equal(table.code, 0, show(table));
    assert.match(table.stdout, /^echo +stopped \(2 queued\) /m);
    const again = await caxton(['stop', 'echo', '--keep-queue', ...serve.conn]);
    assert.equal(again.code, 6, show(again)); // a conflict: stopped already

    const back = await caxton(['deploy', wasm, '--name', 'echo', ...serve.conn]);
    assert.equal(back.code, 0, show(back));
    const end = Date.now() + 30_000;
    let now = await agent('echo');
    while (now.messagesHandled < 2 && Date.now() < end) now = await agent('echo'); // each call is a process: no sleep needed
    assert.equal(now.state, 'running');
    assert.equal(now.messagesHandled, 2, 'both waiting messages handled once');
    assert.equal(now.absentQueue, undefined);
  });
});
