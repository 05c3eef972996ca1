/**
 * `npm start` itself: scripts/main-job.mjs builds the contract net's agents, starts `caxton serve`,
 * deploys a JavaScript initiator and a courier in each of six languages and runs conversations
 * through them. With --rounds 2 it must finish two conversations, every language bidding in each,
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
    const job = new Proc(
      process.execPath,
      [path.join(ROOT, 'scripts', 'main-job.mjs'), '--rounds', '2', '--port', '0', '--http-port', '0'],
      { cwd: ROOT, timeoutMs: 240_000 },
    );
    const r = await job.done;
    assert.equal(r.code, 0, show(r));

    assert.deepEqual(r.stdout.match(/^— conversation \d+ finished \(\w+\) —$/gm), [
      '— conversation 1 finished (inform) —',
      '— conversation 2 finished (inform) —',
    ]);
    assert.match(r.stdout, /^done: 2 conversation\(s\) completed\.$/m);
    // Each agent was deployed with the language its build recorded (shown by the console and `caxton agents`).
    const couriers = {
      'courier-as': 'assemblyscript',
      'courier-rs': 'rust',
      'courier-c': 'c',
      'courier-go': 'go',
      'courier-py': 'python',
      'courier-js': 'javascript',
    };
    for (const [name, language] of [...Object.entries(couriers), ['broker', 'javascript']]) {
      assert.match(r.stdout, new RegExp(`^deployed ${name}\\s+\\S+\\.wasm\\s+\\d+ KiB\\s+${language}\\b`, 'm'), `${name} in ${language}`);
    }
    assert.doesNotMatch(r.stdout, /^left out/m, 'every language built');
    // The web console was served on loopback, and the job said where and with which token.
    assert.match(r.stdout, /^console: http:\/\/127\.0\.0\.1:\d+\/ \(token: \.caxton\/demo\/auth-token\)$/m);
    // Each conversation went through the whole contract net, as the live view shows it: a call to
    // all six, a refusal from C's courier (configured to decline), one award.
    for (const parcel of [1, 2]) {
      const request = r.stdout.indexOf(`"deliver parcel #${parcel}" parcel-${parcel}`);
      assert.ok(request > 0, `parcel ${parcel} was requested`);
      const conversation = r.stdout.slice(r.stdout.lastIndexOf('\n', request) + 1);
      const steps = [
        /operator\s+→ broker\s+request/,
        /broker\s+\[javascript\]\s+→ courier-as,courier-c,courier-go,courier-js,courier-py,courier-rs cfp/,
        /courier-c\s+\[c\]\s+→ broker\s+refuse/,
        /broker\s+\[javascript\]\s+→ courier-\w+\s+accept-proposal/,
        new RegExp(
          `broker\\s+\\[javascript\\]\\s+→ operator\\s+inform\\s+"done: deliver parcel #${parcel} by courier-\\w+@caxton for \\d+" parcel-${parcel}`,
        ),
      ];
      for (const step of steps) assert.match(conversation, step, `parcel ${parcel}`);
    }
    // Every language but C's bid (in either conversation: a loaded machine may make one bid late).
    for (const [name, language] of Object.entries(couriers)) {
      if (name !== 'courier-c')
        assert.match(r.stdout, new RegExp(`${name}\\s+\\[${language}\\]\\s+→ broker\\s+propose`), `${name} proposed`);
    }

    // The node it started is gone: nothing answers at its address any more.
    const address = /gRPC API on (\S+)/.exec(r.stdout)?.[1];
    assert.ok(address, r.stdout);
    const probe = await caxton(['status', '--addr', address, '--token', 'x'.repeat(43), '--timeout', '5']);
    assert.equal(probe.code, 4, show(probe));
  });
});
