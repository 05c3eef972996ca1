/**
 * `npm start` itself: scripts/main-job.mjs builds the examples, starts `caxton serve`, deploys a
 * contract net and runs conversations through it. With --rounds 2 it must finish two conversations,
 * exit 0, and leave no node behind.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { ROOT } from './support/paths.js';
import { Proc, stopStragglers } from './support/processes.js';

describe('the main job (npm start)', () => {
  after(stopStragglers);

  it('runs two contract-net conversations to the end and exits 0', async () => {
    const job = new Proc(process.execPath, [path.join(ROOT, 'scripts', 'main-job.mjs'), '--rounds', '2', '--port', '0', '--http-port', '0'], { cwd: ROOT, timeoutMs: 110_000 });
    const r = await job.done;
    assert.equal(r.code, 0, show(r));

    assert.deepEqual(r.stdout.match(/^— conversation \d+ finished \(\w+\) —$/gm), [
      '— conversation 1 finished (inform) —',
      '— conversation 2 finished (inform) —',
    ]);
    assert.match(r.stdout, /^done: 2 conversation\(s\) completed\.$/m);
    // Each agent was deployed with the language its build recorded (shown by the console and `caxton agents`).
    assert.match(r.stdout, /^deployed courier-a\s+cnet-contractor\.wasm \(\d+ KiB, assemblyscript\)/m);
    assert.match(r.stdout, /^deployed broker\s+cnet-initiator\.wasm \(\d+ KiB, javascript\)/m);
    // The web console was served on loopback, and the job said where and with which token.
    assert.match(r.stdout, /^console: http:\/\/127\.0\.0\.1:\d+\/ \(token: \.caxton\/demo\/auth-token\)$/m);
    // Each conversation went through the whole contract net, as the live view shows it.
    for (const parcel of [1, 2]) {
      const request = r.stdout.indexOf(`"deliver parcel #${parcel}" parcel-${parcel}`);
      assert.ok(request > 0, `parcel ${parcel} was requested`);
      const conversation = r.stdout.slice(r.stdout.lastIndexOf('\n', request) + 1);
      for (const step of [/operator\s+→ broker\s+request/, /broker\s+→ courier-a,courier-b,courier-c,courier-d,courier-e cfp/,
        /courier-\w\s+→ broker\s+propose/, /courier-d\s+→ broker\s+refuse/, /broker\s+→ courier-\w\s+accept-proposal/,
        new RegExp(`broker\\s+→ operator\\s+inform\\s+"done: deliver parcel #${parcel} by courier-\\w@caxton for \\d+" parcel-${parcel}`)]) {
        assert.match(conversation, step, `parcel ${parcel}`);
      }
    }

    // The node it started is gone: nothing answers at its address any more.
    const address = /gRPC API on (\S+)/.exec(r.stdout)?.[1];
    assert.ok(address, r.stdout);
    const probe = await caxton(['status', '--addr', address, '--token', 'x'.repeat(43), '--timeout', '5']);
    assert.equal(probe.code, 4, show(probe));
  });
});
