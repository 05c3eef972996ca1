/**
 * The kill switch through real `caxton` processes against a real `caxton serve` (decision 1403):
 * freeze, a message sent while frozen is accepted but not answered, status and agents show what
 * holds, deploy is refused with a hint, thaw lets the answer out; suspend/resume one agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('caxton freeze / thaw / suspend / resume', () => {
  let serve: Serve;

  before(async () => {
    serve = await startServe();
    const r = await caxton(['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'echo', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  it('freezes the node: messages are accepted and wait, status says so, deploy is refused; thaw lets them through', async () => {
    const frozen = await caxton(['freeze', '--json', ...serve.conn]);
    assert.equal(frozen.code, 0, show(frozen));
    const res = JSON.parse(frozen.stdout) as { status: { frozen: boolean; nodeFrozen: boolean }; drainedMs: number };
    assert.equal(res.status.frozen, true);
    assert.ok(res.drainedMs >= 0);

    const status = await caxton(['status', ...serve.conn]);
    assert.match(status.stdout, /^kill switch\s+FROZEN \(this node\): no agent code runs$/m, show(status));

    const waited = await caxton(['send', 'echo', 'request', 'while frozen', '--wait', '--timeout', '2', ...serve.conn]);
    assert.equal(waited.code, 8, `accepted, but no answer while frozen: ${show(waited)}`);
    const agents = await caxton(['agents', 'echo', '--json', ...serve.conn]);
    assert.equal((JSON.parse(agents.stdout) as { mailboxDepth: number }).mailboxDepth, 1, show(agents));

    const deploy = await caxton(['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'echo2', ...serve.conn]);
    assert.notEqual(deploy.code, 0);
    assert.match(deploy.stderr, /frozen/);
    assert.match(deploy.stderr, /hint: run `caxton thaw` first/);

    const thawed = await caxton(['thaw', ...serve.conn]);
    assert.equal(thawed.code, 0, show(thawed));
    assert.match(thawed.stdout, /^kill switch: thawed$/m);
    const tail = await caxton(['send', 'echo', 'request', 'after the thaw', '--wait', '--timeout', '10', ...serve.conn]);
    assert.equal(tail.code, 0, show(tail));
  });

  it('suspends and resumes one agent; agents shows it suspended', async () => {
    const s = await caxton(['suspend', 'echo', ...serve.conn]);
    assert.equal(s.code, 0, show(s));
    assert.match(s.stdout, /^suspended echo /m);
    const list = await caxton(['agents', ...serve.conn]);
    assert.match(list.stdout, /^echo\s+suspended\s/m, show(list));
    const r = await caxton(['resume', 'echo', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^resumed echo \(running,/m);
    const missing = await caxton(['suspend', 'nobody', ...serve.conn]);
    assert.equal(missing.code, 3, show(missing));
  });
});
